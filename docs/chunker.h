#pragma once
// Cuts a document's text into chunks that respect its structure: paragraphs in plain text,
// headings and whole code fences in Markdown, top-level blocks in source code.

#include "docs/chunk.h"

namespace atelier::docs {

enum class TextKind { Plain, Markdown, Code };

// Chunks of `text` (a file's whole text, or one PDF page's with `page` set). Ordinals start at 0;
// a caller that joins several calls renumbers them.
Chunks chunkText(const QString& text, TextKind kind, const ChunkOptions& options, int page = 0);

// The readable text of an HTML page: scripts, styles and comments removed, tags dropped, block
// elements as line breaks, <h1>..<h6> as Markdown headings (so chunkText(.., Markdown) sees
// sections), character references decoded.
QString htmlToText(const QString& html);

} // namespace atelier::docs

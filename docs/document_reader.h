#pragma once
// Reads one file as a document: what kind it is by its name, its text (PDF pages through Qt PDF,
// HTML without its markup), checked for being text at all, and cut into chunks. A file that cannot
// be a document gives an error whose message is the reason shown in the collection.

#include "core/result.h"
#include "docs/chunk.h"

#include <QByteArray>

namespace atelier::docs {

enum class FileKind { Unknown, Text, Markdown, Code, Html, Pdf };

FileKind kindOf(const QString& path); // by the file's suffix; Unknown for pictures, archives, ...
QString kindName(FileKind kind);     // "text", "markdown", "code", "html", "pdf"

struct DocumentText {
    Chunks chunks;     // ordinals 0.. over the whole file
    QByteArray sha256; // hex of the file's bytes
};

// Reads at most `maxBytes` (a larger file is refused before reading). Refuses binary files (NUL
// bytes, or more than 1% of the bytes not UTF-8), a .pdf that Qt PDF cannot open, and a file with
// no text; each refusal's message is a short reason: "binary: NUL bytes at offset 12".
Result<DocumentText> readDocument(const QString& path, FileKind kind, const ChunkOptions& options,
                                  qint64 maxBytes);
// The same for bytes already in memory (the hash is of `bytes`); PDFs need the file itself.
Result<DocumentText> readTextDocument(const QByteArray& bytes, FileKind kind, const ChunkOptions& options);

} // namespace atelier::docs

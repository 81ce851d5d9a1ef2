#pragma once
// A piece of a document that retrieval returns and the chat prompt quotes, with where it came from.

#include <QString>

#include <vector>

namespace atelier::docs {

// How documents are cut: chunks of at most about `maxChars` characters, each starting up to
// `overlapChars` before the previous one ended (inside one section; never across a heading).
struct ChunkOptions {
    int maxChars = 1200;
    int overlapChars = 150;
};

struct Chunk {
    int ordinal = 0;        // 0, 1, ... within the file
    long long byteStart = 0; // UTF-8 offsets of the text in the file (in the page's text for a PDF)
    long long byteEnd = 0;
    int lineStart = 1;      // 1-based lines, inclusive
    int lineEnd = 1;
    int page = 0;           // 1-based PDF page; 0 for other files
    QString heading;        // the Markdown/HTML heading path, "Install > Linux"; '' when none
    QString text;
};

using Chunks = std::vector<Chunk>;

} // namespace atelier::docs

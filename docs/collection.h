#pragma once
// What a collection is: a name, the folders and files the user added, how its documents are cut,
// and one row per file found under them (indexed, or skipped with the reason).

#include "docs/chunk.h"

#include <QString>
#include <QStringList>

namespace atelier::docs {

struct CollectionSettings {
    ChunkOptions chunks;
    qint64 maxFileBytes = 50LL * 1000 * 1000; // larger files are skipped unread
    QString embeddingModel; // a bert / nomic-bert GGUF giving chunks vectors; empty: keyword search only

    QByteArray toJson() const;
    static CollectionSettings fromJson(const QByteArray& json); // defaults for what is missing or odd
};

struct Collection {
    qint64 id = 0;
    QString name;
    QStringList roots; // absolute paths of folders and files, as added
    CollectionSettings settings;
    int indexedFiles = 0;
    int skippedFiles = 0;
    int chunks = 0;
};

struct FileRecord {
    qint64 id = 0;
    QString path;    // absolute
    qint64 size = 0; // bytes
    qint64 mtime = 0; // ms since the epoch
    QByteArray hash; // sha256 hex; empty when never read
    QString kind;    // kindName()
    bool indexed = false;
    QString reason; // why it was skipped
};

// A chunk that a search found, with where to open it.
struct Hit {
    qint64 chunkId = 0;
    QString collection;
    QString path;
    int page = 0; // 1-based PDF page, 0 for other files
    int lineStart = 1;
    int lineEnd = 1;
    long long byteStart = 0;
    QString heading;
    QString text;
    double score = 0; // higher is better: -bm25, cosine or the fused RRF score
};

// "page 3" for a PDF, else "lines 10-24" (or "line 10").
QString positionText(const Hit& hit);

} // namespace atelier::docs

#pragma once
// The seam for an embedding model (issue 21's engine half: compute/llm's BERT-family encoder).
// Collections work without one (keyword search alone); with one, indexing stores a vector per
// chunk and search fuses cosine ranks with BM25's.

#include "core/result.h"

#include <QFileInfo>
#include <QString>
#include <QStringList>

#include <functional>
#include <vector>

namespace atelier::docs {

struct Embedder {
    QString model; // an id that changes when the vectors would (file name and hash, say)
    // One vector per text, all of one length; need not be normalized (search normalizes).
    std::function<Result<std::vector<std::vector<float>>>(const QStringList& texts)> embed;

    explicit operator bool() const { return bool(embed) && !model.isEmpty(); }
};

// What the vectors of the GGUF at `path` are stored under: its file name and size
// ("nomic-embed-text-v1.5.Q8_0.gguf:146146432"), the same for `atelier docs` and the window.
inline QString embeddingModelId(const QString& path)
{
    const QFileInfo info(path);
    return QStringLiteral("%1:%2").arg(info.fileName()).arg(info.size());
}

} // namespace atelier::docs

#pragma once
// The seam for an embedding model (issue 21's engine half: compute/llm's BERT-family encoder).
// Collections work without one (keyword search alone); with one, indexing stores a vector per
// chunk and search fuses cosine ranks with BM25's.

#include "core/result.h"

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

} // namespace atelier::docs

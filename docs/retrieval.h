#pragma once
// Finding the chunks that answer a question: BM25 through FTS5, cosine similarity over stored
// vectors when an embedder is given, and reciprocal-rank fusion of the two rankings.

#include "core/result.h"
#include "docs/collection.h"
#include "docs/embedder.h"

#include <vector>

namespace atelier::docs {

class CollectionStore;

struct SearchOptions {
    int k = 5;           // hits returned
    int candidates = 50; // how deep each ranking is read before fusion
};

// Reciprocal-rank fusion (Cormack et al. 2009): a chunk scores sum 1 / (rrfK + rank) over the
// rankings it appears in (rank from 1); best first, at most k, score set to the fused score.
std::vector<Hit> fuseReciprocalRank(const std::vector<std::vector<Hit>>& rankings, int k, double rrfK = 60);

// The stored vectors nearest `query` by cosine, best first, at most k (chunk ids and scores).
std::vector<std::pair<qint64, double>> nearestVectors(const std::vector<std::pair<qint64, std::vector<float>>>& vectors,
                                                      const std::vector<float>& query, int k);

// BM25 alone without an embedder (or when no chunk has a vector for its model); hybrid otherwise.
Result<std::vector<Hit>> search(CollectionStore& store, const std::vector<qint64>& collectionIds, const QString& query,
                                const SearchOptions& options, const Embedder& embedder = {});

} // namespace atelier::docs

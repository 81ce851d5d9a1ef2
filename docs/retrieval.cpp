#include "docs/retrieval.h"

#include "docs/collection_store.h"

#include <QHash>

#include <algorithm>
#include <cmath>

namespace atelier::docs {

std::vector<Hit> fuseReciprocalRank(const std::vector<std::vector<Hit>>& rankings, int k, double rrfK)
{
    QHash<qint64, Hit> hits;
    QHash<qint64, double> scores;
    for (const std::vector<Hit>& ranking : rankings) {
        for (size_t rank = 0; rank < ranking.size(); ++rank) {
            const Hit& h = ranking[rank];
            scores[h.chunkId] += 1.0 / (rrfK + double(rank + 1));
            if (!hits.contains(h.chunkId))
                hits.insert(h.chunkId, h);
        }
    }
    std::vector<Hit> fused;
    fused.reserve(size_t(hits.size()));
    for (auto it = hits.begin(); it != hits.end(); ++it) {
        Hit h = it.value();
        h.score = scores.value(it.key());
        fused.push_back(std::move(h));
    }
    // Ties (equal fused scores) keep a fixed order: the smaller chunk id first.
    std::sort(fused.begin(), fused.end(), [](const Hit& a, const Hit& b) {
        return a.score != b.score ? a.score > b.score : a.chunkId < b.chunkId;
    });
    if (fused.size() > size_t(std::max(k, 0)))
        fused.resize(size_t(std::max(k, 0)));
    return fused;
}

std::vector<std::pair<qint64, double>> nearestVectors(const std::vector<std::pair<qint64, std::vector<float>>>& vectors,
                                                      const std::vector<float>& query, int k)
{
    double queryNorm = 0;
    for (float x : query)
        queryNorm += double(x) * x;
    queryNorm = std::sqrt(queryNorm);
    std::vector<std::pair<qint64, double>> scored;
    if (queryNorm == 0)
        return scored;
    for (const auto& [id, v] : vectors) {
        if (v.size() != query.size())
            continue; // another model's length: not comparable
        double dot = 0, norm = 0;
        for (size_t i = 0; i < v.size(); ++i) {
            dot += double(v[i]) * query[i];
            norm += double(v[i]) * v[i];
        }
        if (norm > 0)
            scored.emplace_back(id, dot / (std::sqrt(norm) * queryNorm));
    }
    const size_t keep = std::min(scored.size(), size_t(std::max(k, 0)));
    std::partial_sort(scored.begin(), scored.begin() + qsizetype(keep), scored.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    scored.resize(keep);
    return scored;
}

Result<std::vector<Hit>> search(CollectionStore& store, const std::vector<qint64>& collectionIds, const QString& query,
                                const SearchOptions& options, const Embedder& embedder)
{
    const int depth = std::max(options.k, options.candidates);
    ATELIER_ASSIGN(std::vector<Hit> keyword, store.keywordSearch(collectionIds, query, embedder ? depth : options.k));
    if (!embedder)
        return keyword;
    ATELIER_ASSIGN(const auto stored, store.vectors(collectionIds, embedder.model));
    if (stored.empty()) {
        keyword.resize(std::min(keyword.size(), size_t(options.k)));
        return keyword;
    }
    ATELIER_ASSIGN(const auto queryVectors, embedder.embed(QStringList{query}));
    if (queryVectors.size() != 1)
        return makeError(ErrorCode::Format, "the embedding model gave no vector for the question");
    const auto nearest = nearestVectors(stored, queryVectors.front(), depth);
    std::vector<qint64> ids;
    QHash<qint64, double> cosine;
    for (const auto& [id, score] : nearest) {
        ids.push_back(id);
        cosine.insert(id, score);
    }
    ATELIER_ASSIGN(std::vector<Hit> semantic, store.hits(ids));
    for (Hit& h : semantic)
        h.score = cosine.value(h.chunkId);
    return fuseReciprocalRank({keyword, semantic}, options.k);
}

} // namespace atelier::docs

#pragma once
// The collections' tables in Atelier's database (schema 4, ui/store/schema.cpp): collections and
// their roots, file rows, chunks with their FTS5 index, and embedding vectors. One per connection:
// the indexing thread opens its own Database on the same file.

#include "core/result.h"
#include "docs/collection.h"

#include <QHash>

#include <vector>

namespace atelier::store { class Database; }

namespace atelier::docs {

class CollectionStore {
public:
    explicit CollectionStore(store::Database& db) : mDb(db) {}

    // A new collection; an error when the name is empty or taken.
    Result<Collection> create(const QString& name, const CollectionSettings& settings = {});
    Result<Collection> find(const QString& name); // an error naming it when there is none
    Result<std::vector<Collection>> list();       // by name, with their counts
    Status remove(const QString& name);           // its files, chunks and vectors go too
    Status addRoots(qint64 collectionId, const QStringList& absolutePaths);
    Status removeRoot(qint64 collectionId, const QString& path);
    // New chunking settings; when the chunks would differ, every file is read again on the next
    // update (their rows are marked stale).
    Status setSettings(qint64 collectionId, const CollectionSettings& settings);

    Result<QHash<QString, FileRecord>> files(qint64 collectionId); // by path
    Result<std::vector<FileRecord>> skippedFiles(qint64 collectionId);
    // Writes the file's row (inserted, or replaced by id) and its chunks in one transaction;
    // returns the new chunks' ids in order. A skipped file has no chunks and its reason set.
    Result<std::vector<qint64>> writeFile(qint64 collectionId, const FileRecord& file, const Chunks& chunks);
    Status touchFile(qint64 fileId, qint64 mtime); // unchanged bytes, a new modification time
    Status removeFiles(const std::vector<qint64>& fileIds);

    // BM25 over the chunks of `collectionIds`, best first: at most `k` hits, scores -bm25.
    // The query's words are searched for (any of them); FTS5 syntax in it is not interpreted.
    Result<std::vector<Hit>> keywordSearch(const std::vector<qint64>& collectionIds, const QString& query, int k);

    // Embedding vectors: one per chunk for `model`.
    Status writeVectors(const QString& model, const std::vector<qint64>& chunkIds,
                        const std::vector<std::vector<float>>& vectors);
    Result<std::vector<std::pair<qint64, std::vector<float>>>> vectors(const std::vector<qint64>& collectionIds,
                                                                        const QString& model);
    Result<std::vector<Hit>> hits(const std::vector<qint64>& chunkIds); // in the order given
    // Up to `limit` chunks of the collection that have no vector for `model` yet (id, the text an
    // embedder is given: heading and text), oldest first; and how many have one.
    Result<std::vector<std::pair<qint64, QString>>> chunksWithoutVectors(qint64 collectionId, const QString& model,
                                                                         int limit);
    Result<int> vectorCount(qint64 collectionId, const QString& model);

private:
    Result<Collection> fill(Collection c);

    store::Database& mDb;
};

// The FTS5 query for a user's words: each word quoted, joined with OR; '' when there are none.
QString ftsQuery(const QString& text);

} // namespace atelier::docs

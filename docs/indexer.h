#pragma once
// Brings a collection's rows up to date with the files under its roots: new and changed files are
// read and chunked, unchanged ones (same size and modification time) are not even opened, files
// that are gone drop out. Hostile trees are walked safely: symbolic links to folders are followed
// only inside the root and never twice (no loops), special files are never opened, and anything
// that is not a readable document is recorded as skipped with the reason.

#include "core/result.h"
#include "docs/collection.h"
#include "docs/embedder.h"

#include <atomic>
#include <functional>

namespace atelier::docs {

class CollectionStore;

struct IndexProgress {
    int done = 0;  // files looked at
    int total = 0; // files found
    QString path;  // the one being read
    // Once the files are done: chunks given vectors in this run, of the ones that lacked them.
    int embedded = 0;
    int toEmbed = 0;
};

struct IndexReport {
    int added = 0;     // files indexed for the first time
    int updated = 0;   // files whose bytes changed
    int unchanged = 0; // files left alone
    int skipped = 0;   // files skipped in this run (new or changed ones that are no documents)
    int removed = 0;   // rows of files that are gone
    int chunks = 0;    // chunks written
    int vectors = 0;   // chunks given a vector (new ones, and all of them after the model changed)
    bool cancelled = false;
    double seconds = 0;
    QString embedError; // the first failure of the embedder (the files stay searchable by keyword)
};

// One walk of a root: every document file found under it (or the file itself), in path order.
struct FoundFile {
    QString path;     // absolute, as reached from the root
    QString problem;  // set for what cannot be read: "a link to nothing", "not a regular file"
};
std::vector<FoundFile> findFiles(const QString& root, int maxDepth = 64);

class Indexer {
public:
    explicit Indexer(CollectionStore& store, Embedder embedder = {}) : mStore(store), mEmbedder(std::move(embedder)) {}

    // `progress` is called for each file (on the calling thread); `cancel` is polled between
    // files, and a cancelled run keeps what it wrote (the next run goes on from there).
    Result<IndexReport> update(const Collection& collection, const std::function<void(const IndexProgress&)>& progress = {},
                               const std::atomic<bool>* cancel = nullptr);

private:
    Status embedMissing(const Collection& collection, IndexReport& report,
                        const std::function<void(const IndexProgress&)>& progress, const std::atomic<bool>* cancel);

    CollectionStore& mStore;
    Embedder mEmbedder;
};

} // namespace atelier::docs

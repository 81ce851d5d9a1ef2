#pragma once
// The window's retrieval for a chat question: the same search as `atelier docs search` (docs/
// retrieval.h). When the chosen collections name an embedding model whose file is there and whose
// vectors are stored, the question is embedded by a job on the window's compute engine (the model
// stays resident, shared with the server and the indexer) and BM25 and cosine ranks are fused;
// otherwise BM25 alone, with the reason kept for the user to read. The UI thread never waits.

#include "docs/collection.h"

#include <QObject>
#include <QStringList>

#include <functional>
#include <vector>

namespace atelier::engine { class ComputeEngine; }
namespace atelier::store { class Database; }

namespace atelier::ui {

struct FoundSources {
    std::vector<docs::Hit> hits; // best first, [1]..[n]
    bool hybrid = false;         // keywords and vectors fused; false: keywords alone
    QString how;                 // "Found by keywords and meaning (bge.gguf)" or "… by keywords only: why"
    QString fallback;            // why vectors were not used although a model was chosen; empty otherwise
};

// Which embedding model `collections` (in the conversation's order) give their chunks vectors: the
// first one that names a model; empty when none does.
QString embeddingModelOf(store::Database& db, const QStringList& collections);

class SourceFinder : public QObject {
    Q_OBJECT
public:
    // `engine` may be null: keyword search only.
    SourceFinder(store::Database& db, engine::ComputeEngine* engine, QObject* parent = nullptr);
    ~SourceFinder() override;

    using Done = std::function<void(const FoundSources&)>;
    // The `k` best chunks of `collections` for `question`. `done` runs on this object's thread: at
    // once for keyword search, or when the question's vector has come back. One search at a time:
    // a new one cancels the one before (its `done` never runs).
    void find(const QStringList& collections, const QString& question, int k, Done done);
    void cancel();
    bool busy() const { return mJob != 0; }

private:
    void finish(const QVariant& vector, const QString& error);

    store::Database& mDb;
    engine::ComputeEngine* mEngine = nullptr;
    quint64 mJob = 0; // the embedding job waited for; 0: none
    struct Pending;
    std::unique_ptr<Pending> mPending;
};

} // namespace atelier::ui

#include "ui/docs/source_finder.h"

#include "docs/collection_store.h"
#include "docs/retrieval.h"
#include "engine/compute_engine.h"
#include "llm/embedding_resident.h"
#include "store/database.h"

#include <QFileInfo>

namespace atelier::ui {

namespace {

constexpr int kCandidates = 50; // as `atelier docs search`: each ranking read this deep before fusion

struct Chosen {
    std::vector<qint64> ids;
    QString model; // the embedding GGUF named by the first collection that names one
};

Chosen choose(docs::CollectionStore& store, const QStringList& collections)
{
    Chosen c;
    for (const QString& name : collections) {
        auto found = store.find(name);
        if (!found.ok())
            continue; // a collection that is gone is left out
        c.ids.push_back(found->id);
        if (c.model.isEmpty())
            c.model = found->settings.embeddingModel;
    }
    return c;
}

std::vector<docs::Hit> keywordHits(docs::CollectionStore& store, const std::vector<qint64>& ids, const QString& question,
                                   int k)
{
    auto hits = docs::search(store, ids, question, {k, kCandidates});
    return hits.ok() ? std::move(hits).value() : std::vector<docs::Hit>{};
}

FoundSources byKeywords(std::vector<docs::Hit> hits, const QString& fallback)
{
    FoundSources f;
    f.hits = std::move(hits);
    f.fallback = fallback;
    f.how = fallback.isEmpty()
                ? QObject::tr("Found by keywords (no embedding model is chosen for these collections)")
                : QObject::tr("Found by keywords only: %1").arg(fallback);
    return f;
}

} // namespace

QString embeddingModelOf(store::Database& db, const QStringList& collections)
{
    docs::CollectionStore store(db);
    return choose(store, collections).model;
}

struct SourceFinder::Pending {
    std::vector<qint64> ids;
    QString question;
    int k = 5;
    QString model;
    Done done;
};

SourceFinder::SourceFinder(store::Database& db, engine::ComputeEngine* engine, QObject* parent)
    : QObject(parent), mDb(db), mEngine(engine)
{
    if (!mEngine)
        return;
    connect(mEngine, &engine::ComputeEngine::jobFinished, this, [this](engine::JobId id, const QVariant& result) {
        if (id == mJob)
            finish(result, {});
    });
    connect(mEngine, &engine::ComputeEngine::jobFailed, this, [this](engine::JobId id, const QString& message) {
        if (id == mJob)
            finish({}, message);
    });
    connect(mEngine, &engine::ComputeEngine::jobCancelled, this, [this](engine::JobId id) {
        if (id == mJob)
            finish({}, tr("the question's vector was cancelled"));
    });
}

SourceFinder::~SourceFinder() { cancel(); }

void SourceFinder::find(const QStringList& collections, const QString& question, int k, Done done)
{
    cancel();
    docs::CollectionStore store(mDb);
    const Chosen chosen = choose(store, collections);
    if (chosen.ids.empty()) {
        done({});
        return;
    }
    const QString modelName = QFileInfo(chosen.model).fileName();
    QString fallback;
    if (chosen.model.isEmpty()) {
        // keyword search is what the collections ask for
    } else if (!QFileInfo(chosen.model).isFile()) {
        fallback = tr("the embedding model %1 is missing").arg(modelName);
    } else if (!mEngine) {
        fallback = tr("no device to run %1 on").arg(modelName);
    } else {
        const QString id = docs::embeddingModelId(chosen.model);
        int stored = 0;
        for (qint64 collection : chosen.ids)
            if (auto n = store.vectorCount(collection, id); n.ok())
                stored += n.value();
        if (stored == 0)
            fallback = tr("no chunk has a vector from %1 yet").arg(modelName);
    }
    if (chosen.model.isEmpty() || !fallback.isEmpty()) {
        done(byKeywords(keywordHits(store, chosen.ids, question, k), fallback));
        return;
    }

    mPending = std::make_unique<Pending>(Pending{chosen.ids, question, k, chosen.model, std::move(done)});
    const std::string path = chosen.model.toStdString();
    const std::vector<std::string> texts{question.toStdString()}; // batched, as `atelier docs search` asks
    mJob = mEngine->submit(std::make_unique<engine::FunctionJob>(
        tr("Question vector"), [path, texts](engine::JobContext& ctx) -> Result<QVariant> {
            ATELIER_ASSIGN(llm::EmbeddingModel * model, llm::residentEmbeddingModel(ctx.residents(), ctx.device(), path));
            ATELIER_ASSIGN(const auto vectors, model->embed(std::span<const std::string>(texts)));
            if (vectors.size() != 1)
                return makeError(ErrorCode::Format, "the embedding model gave no vector for the question");
            return QVariant::fromValue(QList<float>(vectors.front().begin(), vectors.front().end()));
        }));
}

void SourceFinder::cancel()
{
    if (mJob != 0 && mEngine)
        mEngine->cancel(mJob);
    mJob = 0;
    mPending.reset();
}

void SourceFinder::finish(const QVariant& vector, const QString& error)
{
    mJob = 0;
    const std::unique_ptr<Pending> p = std::move(mPending);
    if (!p)
        return;
    docs::CollectionStore store(mDb);
    const QString modelName = QFileInfo(p->model).fileName();
    if (!error.isEmpty()) {
        p->done(byKeywords(keywordHits(store, p->ids, p->question, p->k),
                           tr("%1 could not embed the question: %2").arg(modelName, error)));
        return;
    }
    const QList<float> values = vector.value<QList<float>>();
    docs::Embedder embedder;
    embedder.model = docs::embeddingModelId(p->model);
    embedder.embed = [values](const QStringList&) -> Result<std::vector<std::vector<float>>> {
        return std::vector<std::vector<float>>{std::vector<float>(values.begin(), values.end())};
    };
    auto hits = docs::search(store, p->ids, p->question, {p->k, kCandidates}, embedder);
    if (!hits.ok()) {
        p->done(byKeywords(keywordHits(store, p->ids, p->question, p->k), QString::fromStdString(hits.error().message)));
        return;
    }
    FoundSources found;
    found.hits = std::move(hits).value();
    found.hybrid = true;
    found.how = tr("Found by keywords and meaning (%1)").arg(modelName);
    p->done(found);
}

} // namespace atelier::ui

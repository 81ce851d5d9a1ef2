#include "ui/docs/compute_embedder.h"

#include "engine/compute_engine.h"
#include "llm/embedding_resident.h"

#include <QFileInfo>
#include <QPointer>

#include <chrono>
#include <future>
#include <mutex>

namespace atelier::ui {

namespace {

using Vectors = std::vector<std::vector<float>>;

// The promise a job keeps: answered once, by the job or, when the job is dropped unrun (cancelled
// in the queue), by its destructor, so the waiting thread never waits forever.
struct Answer {
    std::promise<Result<Vectors>> promise;
    std::once_flag once;
    void set(Result<Vectors> r)
    {
        std::call_once(once, [&] { promise.set_value(std::move(r)); });
    }
    ~Answer() { set(makeError(ErrorCode::Cancelled, "the embedding job did not run")); }
};

} // namespace

QString embeddingModelId(const QString& path) { return docs::embeddingModelId(path); }

docs::Embedder computeEmbedder(engine::ComputeEngine& engine, const QString& modelPath,
                               std::shared_ptr<std::atomic<bool>> cancel)
{
    docs::Embedder e;
    e.model = embeddingModelId(modelPath);
    QPointer<engine::ComputeEngine> target(&engine);
    const std::string path = modelPath.toStdString();
    e.embed = [target, path, cancel](const QStringList& texts) -> Result<Vectors> {
        std::vector<std::string> utf8;
        for (const QString& t : texts)
            utf8.push_back(t.toStdString());
        auto answer = std::make_shared<Answer>();
        std::future<Result<Vectors>> result = answer->promise.get_future();
        // The engine lives on the UI thread: submit from there.
        QMetaObject::invokeMethod(target, [target, path, utf8 = std::move(utf8), answer]() mutable {
            if (!target)
                return;
            target->submit(std::make_unique<engine::FunctionJob>(
                QStringLiteral("Document vectors"),
                [path, utf8 = std::move(utf8), answer](engine::JobContext& ctx) -> Result<QVariant> {
                    auto model = llm::residentEmbeddingModel(ctx.residents(), ctx.device(), path);
                    if (!model) {
                        answer->set(model.error());
                        return model.error();
                    }
                    auto vectors = model.value()->embed(utf8);
                    if (!vectors)
                        answer->set(vectors.error());
                    else
                        answer->set(std::move(vectors).value());
                    return QVariant();
                }));
        }, Qt::QueuedConnection);
        using namespace std::chrono_literals;
        while (result.wait_for(50ms) != std::future_status::ready) {
            if (cancel && cancel->load())
                return makeError(ErrorCode::Cancelled, "cancelled");
            if (!target)
                return makeError(ErrorCode::Cancelled, "the compute engine has gone");
        }
        return result.get();
    };
    return e;
}

} // namespace atelier::ui

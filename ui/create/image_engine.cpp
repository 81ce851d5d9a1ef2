#include "create/image_engine.h"

#include "create/picture_png.h"
#include "diffusion/generation_json.h"
#include "diffusion/stable_diffusion.h"

#include <QElapsedTimer>
#include <QFileInfo>

namespace atelier::ui {

namespace {

const std::string kResidentKey = "image.model";

// The checkpoint on the compute thread, with what it was loaded from.
struct LoadedImageModel {
    QString path;
    QString vaePath;
    std::unique_ptr<diffusion::StableDiffusion> model;
};

class GenerateJob final : public engine::Job {
public:
    GenerateJob(ImageRequest request, double previewDecodeShare)
        : mRequest(std::move(request))
        , mPreviewDecodeShare(previewDecodeShare)
    {
    }
    QString name() const override { return QStringLiteral("Generate %1").arg(mRequest.generation.seed); }

    Result<QVariant> run(engine::JobContext& ctx) override
    {
        auto result = generate(ctx);
        if (!result && result.error().code != ErrorCode::Cancelled)
            return makeError(result.error().code, explainImageError(result.error(), mRequest).toStdString());
        return result;
    }

private:
    Result<QVariant> generate(engine::JobContext& ctx)
    {
        QElapsedTimer timer;
        timer.start();
        ATELIER_ASSIGN(diffusion::StableDiffusion* model, loaded(ctx));
        diffusion::GenerationCallbacks callbacks;
        callbacks.cancel = &ctx.cancelFlag();
        // Previews through the VAE where they add at most a share of the run (issue 18: a map
        // alone gets the shapes model's colours wrong), the fitted latent map between them.
        callbacks.previewDecodeShare = mPreviewDecodeShare;
        callbacks.onStep = [&](const diffusion::GenerationStep& s) {
            const QImage image(s.preview.data(), s.previewWidth, s.previewHeight, s.previewWidth * 3,
                               QImage::Format_RGB888);
            ctx.partial(QVariant::fromValue(ImagePreview{s.step, s.steps, image.copy()}));
            ctx.progress(double(s.step + 1) / s.steps, QStringLiteral("Step %1 of %2").arg(s.step + 1).arg(s.steps));
        };
        ctx.progress(0.0, QStringLiteral("Encoding the prompt"));
        ATELIER_ASSIGN(diffusion::GeneratedImage generated, run(*model, callbacks));
        ImageResult result;
        result.request = mRequest;
        result.request.generation.initImage.clear(); // the pixels are not needed past this point
        if (result.request.inpaint)
            result.request.inpaint->mask.clear();
        result.parameters = generated.parameters;
        result.json = diffusion::generationJson(mRequest.generation, generated);
        ATELIER_ASSIGN(result.png, encodePicturePng(generated, result.json));
        result.image = QImage(generated.rgb.data(), generated.width, generated.height, generated.width * 3,
                              QImage::Format_RGB888)
                           .copy();
        result.seconds = timer.elapsed() / 1000.0;
        return QVariant::fromValue(result);
    }

    Result<diffusion::GeneratedImage> run(diffusion::StableDiffusion& model, const diffusion::GenerationCallbacks& callbacks)
    {
        if (!mRequest.inpaint)
            return diffusion::generate(model, mRequest.generation, callbacks);
        diffusion::InpaintRequest inpaint;
        inpaint.generation = mRequest.generation;
        inpaint.mask = mRequest.inpaint->mask;
        inpaint.grow = mRequest.inpaint->grow;
        inpaint.feather = mRequest.inpaint->feather;
        inpaint.onlyMasked = mRequest.inpaint->onlyMasked;
        inpaint.padding = mRequest.inpaint->padding;
        inpaint.fill = mRequest.inpaint->fill;
        return diffusion::inpaint(model, inpaint, callbacks);
    }

    Result<diffusion::StableDiffusion*> loaded(engine::JobContext& ctx)
    {
        auto* resident = ctx.residents().find<LoadedImageModel>(kResidentKey);
        if (resident && resident->path == mRequest.modelPath && resident->vaePath == mRequest.vaePath)
            return resident->model.get();
        diffusion::StableDiffusionOptions options;
        options.checkpoint.vaePath = mRequest.vaePath.toStdString();
        // The headers first: a file that cannot be used leaves the working model loaded.
        ATELIER_TRY(diffusion::Checkpoint::open(mRequest.modelPath.toStdString(), options.checkpoint));
        ctx.residents().erase(kResidentKey); // free the old model before loading the next
        const QString name = QFileInfo(mRequest.modelPath).fileName();
        auto progress = [&](double f) {
            ctx.progress(f, QStringLiteral("Loading %1").arg(name));
            return !ctx.cancelled();
        };
        ATELIER_ASSIGN(auto model, diffusion::StableDiffusion::load(ctx.device(), mRequest.modelPath.toStdString(),
                                                                   options, progress));
        auto entry = std::make_unique<LoadedImageModel>();
        entry->path = mRequest.modelPath;
        entry->vaePath = mRequest.vaePath;
        entry->model = std::move(model);
        return ctx.residents().put(kResidentKey, std::move(entry)).model.get();
    }

    ImageRequest mRequest;
    double mPreviewDecodeShare;
};

} // namespace

ImageEngine::ImageEngine(engine::ComputeEngine& engine, QObject* parent)
    : QObject(parent)
    , mEngine(engine)
{
    connect(&mEngine, &engine::ComputeEngine::jobStarted, this, [this](engine::JobId id) {
        if (Ticket* t = find(id)) {
            t->running = true;
            emit started(id);
            emit queueChanged();
        }
    });
    connect(&mEngine, &engine::ComputeEngine::jobProgress, this,
            [this](engine::JobId id, double fraction, const QString& text) {
                if (find(id))
                    emit progress(id, fraction, text);
            });
    connect(&mEngine, &engine::ComputeEngine::jobPartial, this, [this](engine::JobId id, const QVariant& data) {
        if (find(id) && data.canConvert<ImagePreview>()) {
            const auto p = data.value<ImagePreview>();
            emit preview(id, p.step, p.steps, p.image);
        }
    });
    connect(&mEngine, &engine::ComputeEngine::jobFinished, this, [this](engine::JobId id, const QVariant& result) {
        if (!find(id))
            return;
        remove(id);
        emit finished(id, result.value<ImageResult>());
    });
    connect(&mEngine, &engine::ComputeEngine::jobFailed, this, [this](engine::JobId id, const QString& message) {
        if (!find(id))
            return;
        remove(id);
        emit failed(id, message);
    });
    connect(&mEngine, &engine::ComputeEngine::jobCancelled, this, [this](engine::JobId id) {
        if (!find(id))
            return;
        remove(id);
        emit cancelled(id);
    });
}

ImageEngine::~ImageEngine() = default;

engine::JobId ImageEngine::enqueue(const ImageRequest& request)
{
    const engine::JobId id = mEngine.submit(std::make_unique<GenerateJob>(request, mPreviewDecodeShare));
    Ticket ticket{id, request, false};
    ticket.request.generation.initImage.clear(); // the queue shows requests; the job keeps the pixels
    if (ticket.request.inpaint)
        ticket.request.inpaint->mask.clear();
    mQueue.append(ticket);
    emit queueChanged();
    return id;
}

void ImageEngine::cancel(engine::JobId ticket)
{
    const Ticket* t = find(ticket);
    if (!t)
        return;
    mEngine.cancel(ticket);
    // A waiting picture leaves the queue now (the worker skips it when it comes to it, and what it
    // then reports about it is ignored); the running one stops at its next step.
    if (!t->running) {
        remove(ticket);
        emit cancelled(ticket);
    }
}

void ImageEngine::cancelAll()
{
    for (const Ticket& t : mQueue)
        mEngine.cancel(t.id);
}

ImageEngine::Ticket* ImageEngine::find(engine::JobId id)
{
    for (Ticket& t : mQueue)
        if (t.id == id)
            return &t;
    return nullptr;
}

void ImageEngine::remove(engine::JobId id)
{
    mQueue.removeIf([id](const Ticket& t) { return t.id == id; });
    emit queueChanged();
}

QString explainImageError(const Error& error, const ImageRequest& request)
{
    const QString message = QString::fromStdString(error.message);
    const auto& g = request.generation;
    switch (error.code) {
    case ErrorCode::OutOfDeviceMemory:
    case ErrorCode::OutOfHostMemory:
        return QObject::tr("Out of memory at %1x%2: %3\nTry a smaller size, fewer steps of batch, or close other "
                           "programs that use the GPU.")
            .arg(g.width)
            .arg(g.height)
            .arg(message);
    case ErrorCode::Format:
    case ErrorCode::Io:
        return QObject::tr("%1\nPick another model, or download this one again.").arg(message);
    case ErrorCode::Unsupported:
        return QObject::tr("%1\nThis model is not a Stable Diffusion 1.x or 2.x checkpoint Atelier can run.").arg(message);
    case ErrorCode::DeviceLost:
        return QObject::tr("The GPU stopped responding (%1). Restart Atelier; if it happens again, update the "
                           "graphics driver.")
            .arg(message);
    default:
        return message;
    }
}

} // namespace atelier::ui

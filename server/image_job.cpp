#include "server/image_job.h"

#include "diffusion/generation.h"
#include "diffusion/model_resolution.h"
#include "diffusion/stable_diffusion.h"

#include <QBuffer>
#include <QImage>

namespace atelier::server {

namespace {

const std::string kResidentKey = "server.image.model";

struct LoadedImageModel {
    QString path;
    std::unique_ptr<diffusion::StableDiffusion> model;
};

Result<diffusion::StableDiffusion*> loadedModel(engine::JobContext& ctx, const QString& path)
{
    auto* resident = ctx.residents().find<LoadedImageModel>(kResidentKey);
    if (resident && resident->path == path)
        return resident->model.get();
    ctx.residents().erase(kResidentKey);
    auto progress = [&ctx](double f) {
        ctx.progress(f, QStringLiteral("Loading"));
        return !ctx.cancelled();
    };
    ATELIER_ASSIGN(auto model, diffusion::StableDiffusion::load(ctx.device(), path.toStdString(), {}, progress));
    auto entry = std::make_unique<LoadedImageModel>();
    entry->path = path;
    entry->model = std::move(model);
    return ctx.residents().put(kResidentKey, std::move(entry)).model.get();
}

} // namespace

ImageJob::ImageJob(ImagesRequest request, QString modelPath, std::shared_ptr<JobFailure> failure)
    : mRequest(std::move(request)), mModelPath(std::move(modelPath)), mFailure(std::move(failure))
{
}

Result<QVariant> ImageJob::run(engine::JobContext& ctx)
{
    auto result = paint(ctx);
    if (!result && mFailure)
        mFailure->set(result.error());
    return result;
}

Result<QVariant> ImageJob::paint(engine::JobContext& ctx)
{
    ATELIER_ASSIGN(diffusion::StableDiffusion * model, loadedModel(ctx, mModelPath));
    diffusion::GenerationCallbacks callbacks;
    callbacks.cancel = &ctx.cancelFlag();
    ImagesAnswer answer;
    const int side = diffusion::declaredResolution(mModelPath.toStdString()).value_or(512);
    for (int i = 0; i < mRequest.count; ++i) {
        diffusion::GenerationRequest g;
        g.prompt = mRequest.prompt;
        g.negativePrompt = mRequest.negativePrompt;
        g.width = mRequest.width > 0 ? mRequest.width : side;
        g.height = mRequest.height > 0 ? mRequest.height : side;
        g.steps = mRequest.steps;
        g.cfgScale = mRequest.cfgScale;
        g.sampler = mRequest.sampler;
        g.seed = mRequest.seed + uint64_t(i);
        callbacks.onStep = [&](const diffusion::GenerationStep& s) {
            ctx.progress(double(i * s.steps + s.step + 1) / double(mRequest.count * s.steps));
        };
        ATELIER_ASSIGN(const diffusion::GeneratedImage picture, diffusion::generate(*model, g, callbacks));
        const QImage image(picture.rgb.data(), picture.width, picture.height, picture.width * 3, QImage::Format_RGB888);
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        if (!image.save(&buffer, "PNG"))
            return makeError(ErrorCode::Io, "the picture could not be encoded as PNG");
        answer.pngs << png;
        answer.seeds << g.seed;
    }
    return QVariant::fromValue(answer);
}

} // namespace atelier::server

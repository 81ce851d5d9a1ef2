#include "picture_command.h"

#include "core/app_paths.h"
#include "create/picture_png.h"
#include "diffusion/generation_json.h"

#include <QDir>
#include <QFileInfo>
#include <QSaveFile>

#include <cstdio>

namespace atelier::app {

Result<PictureModel> openPictureModel(const std::string& path, const std::string& vae, bool f32, int deviceIndex,
                                      bool validation)
{
    vk::Device::Options deviceOptions;
    deviceOptions.deviceIndex = deviceIndex;
    deviceOptions.validation = validation;
    deviceOptions.pipelineCachePath = paths::pipelineCachePath().toStdString();
    PictureModel opened;
    ATELIER_ASSIGN(opened.device, vk::Device::create(deviceOptions));
    diffusion::StableDiffusionOptions load;
    load.checkpoint.vaePath = vae;
    load.precision = f32 ? diffusion::WeightPrecision::AsStored : diffusion::WeightPrecision::F16;
    std::fprintf(stderr, "loading %s\n", path.c_str());
    auto model = diffusion::StableDiffusion::load(*opened.device, path, load);
    if (!model)
        return makeError(model.error().code, "cannot load " + path + ": " + model.error().message);
    opened.model = std::move(*model);
    return opened;
}

diffusion::GenerationCallbacks stepsOnStderr()
{
    diffusion::GenerationCallbacks callbacks;
    callbacks.onStep = [](const diffusion::GenerationStep& s) {
        std::fprintf(stderr, "\rstep %d/%d%s", s.step + 1, s.steps, s.step + 1 == s.steps ? "\n" : "");
        std::fflush(stderr);
    };
    return callbacks;
}

Status writePicture(const std::string& output, const diffusion::GenerationRequest& request,
                    const diffusion::GeneratedImage& image)
{
    ATELIER_ASSIGN(const QByteArray png, ui::encodePicturePng(image, diffusion::generationJson(request, image)));
    const QString path = QString::fromStdString(output);
    QDir().mkpath(QFileInfo(path).absolutePath());
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(png) != png.size() || !file.commit())
        return makeError(ErrorCode::Io, "cannot write " + output + ": " + file.errorString().toStdString());
    return {};
}

} // namespace atelier::app

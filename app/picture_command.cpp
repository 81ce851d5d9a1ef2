#include "picture_command.h"

#include "command_line.h"

#include "cli_device.h"
#include "create/picture_png.h"
#include "diffusion/checkpoint.h"
#include "diffusion/default_image_model.h"
#include "diffusion/generation_json.h"
#include "diffusion/regions.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

#include <cstdio>
#include <random>

namespace atelier::app {

Result<bool> readRegionOption(const std::string& key, const QString& value, diffusion::GenerationRequest& request)
{
    if (key == "--region") {
        ATELIER_ASSIGN(diffusion::Region region, diffusion::parseRegion(value));
        request.regions.push_back(std::move(region));
        return true;
    }
    if (key != "--layout")
        return false;
    QFile file(value);
    if (file.size() > (1 << 20) || !file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, "cannot read the layout " + value.toStdString() +
                                            (file.size() > (1 << 20) ? " (larger than 1 MiB)" : ""));
    ATELIER_ASSIGN(const std::vector<diffusion::Region> regions, diffusion::parseLayout(file.readAll()));
    request.regions.insert(request.regions.end(), regions.begin(), regions.end());
    return true;
}

Result<bool> readPictureOption(const std::string& key, const QString& value, PictureOptions& o,
                               diffusion::GenerationRequest& request)
{
    const std::string v = value.toStdString();
    if (key == "--model") {
        o.model = v;
    } else if (key == "--vae") {
        o.vae = v;
    } else if (key == "--output") {
        o.output = v;
    } else if (key == "--prompt") {
        request.prompt = value;
        o.hasPrompt = true;
    } else if (key == "--negative") {
        request.negativePrompt = value;
    } else if (key == "--sampler") {
        o.sampler = v;
    } else if (key == "--scheduler") {
        o.scheduler = v;
    } else if (key == "--steps") {
        ATELIER_ASSIGN(request.steps, wholeNumber(key, value, 1, 1000));
    } else if (key == "--cfg") {
        ATELIER_ASSIGN(request.cfgScale, decimalNumber(key, value));
        if (request.cfgScale < 0 || request.cfgScale > 100)
            return outOfRange(key, "between 0 and 100", value);
    } else if (key == "--strength") {
        ATELIER_ASSIGN(request.strength, decimalNumber(key, value));
        if (request.strength <= 0 || request.strength > 1)
            return outOfRange(key, "more than 0 and at most 1", value);
    } else if (key == "--clip-skip") {
        ATELIER_ASSIGN(request.clipSkip, wholeNumber(key, value, 1, 1000));
    } else if (key == "--seed") {
        ATELIER_ASSIGN(o.seed, wholeNumber(key, value, -1));
    } else if (key == "--precision") {
        if (v != "f16" && v != "f32")
            return outOfRange(key, "f16 or f32", value);
        o.f32 = v == "f32";
    } else {
        return false;
    }
    return true;
}

Status finishPictureOptions(PictureOptions& o, diffusion::GenerationRequest& request)
{
    if (o.output.empty())
        return makeError(ErrorCode::InvalidArgument, "-o OUT.png is required");
    if (!o.hasPrompt)
        return makeError(ErrorCode::InvalidArgument, "--prompt TEXT is required");
    ATELIER_ASSIGN(request.sampler, diffusion::parseA1111Sampler(o.sampler, o.scheduler));
    request.seed = o.seed >= 0 ? uint64_t(o.seed) : std::random_device{}() % 4294967295u;
    if (o.model.empty())
        o.model = diffusion::defaultImageModelPath().toStdString();
    return {};
}

Result<diffusion::CheckpointConfig> readPictureModelConfig(const PictureOptions& o)
{
    diffusion::CheckpointOptions options;
    options.vaePath = o.vae;
    auto checkpoint = diffusion::Checkpoint::open(o.model, options);
    if (!checkpoint)
        return makeError(checkpoint.error().code, "cannot load " + o.model + ": " + checkpoint.error().message);
    return checkpoint.value()->config();
}

int pictureScale(const diffusion::CheckpointConfig& config)
{
    return config.vae.downscale() << (config.unet.levels() - 1);
}

Status checkClipSkip(const diffusion::CheckpointConfig& config, int clipSkip)
{
    if (clipSkip > config.text.layers)
        return makeError(ErrorCode::InvalidArgument, "--clip-skip must be between 1 and the text encoder's " +
                                                         std::to_string(config.text.layers) + " layers, got " +
                                                         std::to_string(clipSkip));
    return {};
}

Result<PictureModel> openPictureModel(const std::string& path, const std::string& vae, bool f32, int deviceIndex,
                                      bool validation)
{
    PictureModel opened;
    ATELIER_ASSIGN(opened.device, openCliDevice(deviceIndex, validation));
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

void printPicturePath(const std::string& output)
{
    std::printf("%s\n", output.c_str());
    std::fflush(stdout);
}

} // namespace atelier::app

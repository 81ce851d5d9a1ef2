#include "generate_command.h"

#include "command_line.h"
#include "picture_command.h"

#include "core/app_paths.h"
#include "create/picture_png.h"
#include "diffusion/generation.h"
#include "diffusion/lora_prompt.h"
#include "diffusion/lora_weights.h"
#include "diffusion/regions.h"
#include "diffusion/stable_diffusion.h"

#include <cstdio>
#include <map>
#include <string>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier generate [--model PATH] --prompt TEXT [--negative TEXT] [--steps N] [--cfg S]\n"
    "                        [--sampler NAME] [--scheduler NAME] [--seed N] [--width W] [--height H]\n"
    "                        [--clip-skip N] [--init-image PNG --strength S] [--vae PATH] [--precision f16|f32]\n"
    "                        [--lora-dir DIR] [--region X0,Y0,X1,Y1:PROMPT ...] [--layout FILE.json]\n"
    "                        -o OUT.png\n"
    "Samplers: \"Euler\", \"Euler a\" (default), \"Heun\", \"DPM++ 2M\", \"DDIM\", \"LCM\"; schedulers:\n"
    "\"Automatic\" (default), \"Uniform\", \"Karras\". A seed of -1 (the default) picks a random one.\n"
    "Without --model, uses the default model in the models folder. --width and --height default to the\n"
    "model's own resolution (512 for SD 1.x, 768 for SD 2.x v-prediction, what a file's\n"
    "modelspec.resolution says). The picture's path goes to stdout; progress and timings to stderr.\n"
    "LoRAs come in the prompt as A1111 writes them, <lora:NAME:WEIGHT> (several at once), NAME.safetensors\n"
    "in the models folder's loras/ or in --lora-dir.\n"
    "Regional prompts: each --region (repeatable, picture pixels) paints its own prompt inside its box,\n"
    "the --prompt the rest; --layout reads {\"regions\": [{\"box\": [x0, y0, x1, y1], \"prompt\": \"...\",\n"
    "\"negative\": \"...\", \"strength\": 1.0}, ...]}.\n";

struct GenerateOptions {
    PictureOptions picture;
    std::string initImage;
    int width = 0, height = 0;  // 0: the model's own resolution (512 for SD 1.x)
    QString loraDir;            // where <lora:NAME:...> looks; empty: paths::lorasDir()
    diffusion::GenerationRequest request;
};

Status parse(const QStringList& args, GenerateOptions& o)
{
    std::map<std::string, QString> values;
    for (int i = 0; i < args.size(); ++i) {
        const std::string key = args[i].toStdString();
        if (key.rfind("-", 0) != 0 || i + 1 >= args.size())
            return makeError(ErrorCode::InvalidArgument, "unexpected argument '" + key + "'");
        ATELIER_ASSIGN(const bool region, readRegionOption(key, args[i + 1], o.request)); // repeatable
        if (region) {
            ++i;
            continue;
        }
        values[key == "-o" ? "--output" : key] = args[++i];
    }
    for (const auto& [key, value] : values) {
        ATELIER_ASSIGN(const bool shared, readPictureOption(key, value, o.picture, o.request));
        if (shared)
            continue;
        if (key == "--width") {
            ATELIER_ASSIGN(o.width, wholeNumber(key, value, 1, kMaxPictureSide));
        } else if (key == "--height") {
            ATELIER_ASSIGN(o.height, wholeNumber(key, value, 1, kMaxPictureSide));
        } else if (key == "--init-image") {
            o.initImage = value.toStdString();
        } else if (key == "--lora-dir") {
            o.loraDir = value;
        } else {
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key);
        }
    }
    return finishPictureOptions(o.picture, o.request);
}

// The picture's size (the model's own resolution where not given) against the model, and clip skip,
// before any weight loads.
Status checkAgainstModel(GenerateOptions& o)
{
    ATELIER_ASSIGN(const diffusion::CheckpointConfig config, readPictureModelConfig(o.picture));
    o.request.width = o.width > 0 ? o.width : config.defaultResolution;
    o.request.height = o.height > 0 ? o.height : config.defaultResolution;
    const int scale = pictureScale(config);
    if (o.request.width % scale || o.request.height % scale)
        return makeError(ErrorCode::InvalidArgument,
                         "the size must be a multiple of " + std::to_string(scale) + " pixels for this model, not " +
                             std::to_string(o.request.width) + "x" + std::to_string(o.request.height));
    ATELIER_TRY(checkClipSkip(config, o.request.clipSkip));
    ATELIER_TRY(diffusion::checkRegions(o.request.regions, o.request.width, o.request.height));
    // every LoRA the prompt names is there, before the model loads
    if (o.loraDir.isEmpty())
        o.loraDir = paths::lorasDir();
    for (const diffusion::LoraTag& tag : diffusion::extractLoraTags(o.request.prompt).loras) {
        if (!tag.valid)
            return makeError(ErrorCode::InvalidArgument, "the LoRA tag <lora:" + tag.name.toStdString() +
                                                             ":...> needs a number as its weight");
        ATELIER_TRY(diffusion::findLora(o.loraDir, tag.name));
    }
    return {};
}

int fail(const std::string& message)
{
    std::fprintf(stderr, "atelier generate: %s\n", message.c_str());
    return 1;
}

} // namespace

int runGenerate(const QStringList& arguments, int deviceIndex, bool validation)
{
    if (arguments.contains("--help") || arguments.contains("-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    GenerateOptions o;
    if (const Status parsed = parse(arguments, o); !parsed) {
        std::fprintf(stderr, "atelier generate: %s\n%s", parsed.error().message.c_str(), kUsage);
        return 2;
    }
    if (const Status fits = checkAgainstModel(o); !fits)
        return fail(fits.error().message);
    if (!o.initImage.empty()) {
        auto init = ui::loadInitImage(QString::fromStdString(o.initImage), o.request.width, o.request.height);
        if (!init)
            return fail(init.error().message);
        o.request.initImage = std::move(*init);
    }
    const PictureOptions& p = o.picture;
    auto opened = openPictureModel(p.model, p.vae, p.f32, deviceIndex, validation);
    if (!opened)
        return fail(opened.error().message);
    opened->model->setLoraFolder(o.loraDir);
    auto image = diffusion::generate(*opened->model, o.request, stepsOnStderr());
    if (!image)
        return fail(image.error().message);
    if (const Status written = writePicture(p.output, o.request, *image); !written)
        return fail(written.error().message);
    for (const diffusion::AppliedLora& lora : opened->model->loras().applied())
        std::fprintf(stderr, "LoRA %s (%s): %d weights changed, %d keys not for this model\n", lora.name.c_str(),
                     lora.shortHash.c_str(), lora.modules, lora.skippedKeys);
    const diffusion::GenerationTimings& t = image->timings;
    std::fprintf(stderr, "wrote %s (%dx%d, seed %llu)\ntext %.2f s, sampling %.2f s (%.2f it/s), VAE %.2f s\n",
                 p.output.c_str(), image->width, image->height, static_cast<unsigned long long>(o.request.seed),
                 t.textSeconds, t.samplingSeconds, t.samplingSeconds > 0 ? t.unetEvaluations / t.samplingSeconds : 0.0,
                 t.decodeSeconds);
    printPicturePath(p.output);
    return 0;
}

} // namespace atelier::app

#include "generate_command.h"

#include "picture_command.h"

#include "create/picture_png.h"
#include "diffusion/default_image_model.h"
#include "diffusion/generation.h"


#include <cstdio>
#include <map>
#include <random>
#include <string>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier generate [--model PATH] --prompt TEXT [--negative TEXT] [--steps N] [--cfg S]\n"
    "                        [--sampler NAME] [--scheduler NAME] [--seed N] [--width W] [--height H]\n"
    "                        [--clip-skip N] [--init-image PNG --strength S] [--vae PATH] [--precision f16|f32]\n"
    "                        -o OUT.png\n"
    "Samplers: \"Euler\", \"Euler a\" (default), \"Heun\", \"DPM++ 2M\", \"DDIM\", \"LCM\"; schedulers:\n"
    "\"Automatic\" (default), \"Uniform\", \"Karras\". A seed of -1 (the default) picks a random one.\n"
    "Without --model, uses the default model in the models folder. --width and --height default to the\n"
    "model's own resolution (512 for SD 1.x, 768 for SD 2.x v-prediction, what a file's\n"
    "modelspec.resolution says). Progress goes to stderr.\n";

struct GenerateOptions {
    std::string model, vae, initImage, output;
    std::string sampler = "Euler a", scheduler;
    int width = 0, height = 0;  // 0: the model's own resolution (512 for SD 1.x)
    long long seed = -1;
    bool f32 = false;
    diffusion::GenerationRequest request;
};

bool parse(const QStringList& args, GenerateOptions& o, std::string& error)
{
    std::map<std::string, QString> values;
    for (int i = 0; i < args.size(); ++i) {
        const std::string key = args[i].toStdString();
        if (key.rfind("-", 0) != 0 || i + 1 >= args.size()) {
            error = "unexpected argument '" + key + "'";
            return false;
        }
        values[key == "-o" ? "--output" : key] = args[++i];
    }
    try {
        for (const auto& [key, value] : values) {
            const std::string v = value.toStdString();
            if (key == "--model") o.model = v;
            else if (key == "--prompt") o.request.prompt = value;
            else if (key == "--negative") o.request.negativePrompt = value;
            else if (key == "--steps") o.request.steps = std::stoi(v);
            else if (key == "--cfg") o.request.cfgScale = std::stod(v);
            else if (key == "--sampler") o.sampler = v;
            else if (key == "--scheduler") o.scheduler = v;
            else if (key == "--seed") o.seed = std::stoll(v);
            else if (key == "--width") o.width = std::stoi(v);
            else if (key == "--height") o.height = std::stoi(v);
            else if (key == "--clip-skip") o.request.clipSkip = std::stoi(v);
            else if (key == "--init-image") o.initImage = v;
            else if (key == "--strength") o.request.strength = std::stod(v);
            else if (key == "--vae") o.vae = v;
            else if (key == "--precision") o.f32 = v == "f32";
            else if (key == "--output") o.output = v;
            else {
                error = "unknown option " + key;
                return false;
            }
        }
    } catch (const std::exception&) {
        error = "a number was expected";
        return false;
    }
    if (o.output.empty()) {
        error = "-o OUT.png is required";
        return false;
    }
    auto choice = diffusion::parseA1111Sampler(o.sampler, o.scheduler);
    if (!choice) {
        error = choice.error().message;
        return false;
    }
    o.request.sampler = *choice;
    return true;
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
    std::string error;
    if (!parse(arguments, o, error)) {
        std::fprintf(stderr, "atelier generate: %s\n%s", error.c_str(), kUsage);
        return 2;
    }
    o.request.seed = o.seed >= 0 ? uint64_t(o.seed) : std::random_device{}() % 4294967295u;
    if (o.model.empty())
        o.model = diffusion::defaultImageModelPath().toStdString();
    auto opened = openPictureModel(o.model, o.vae, o.f32, deviceIndex, validation);
    if (!opened)
        return fail(opened.error().message);
    const int side = opened->model->config().defaultResolution;
    o.request.width = o.width > 0 ? o.width : side;
    o.request.height = o.height > 0 ? o.height : side;
    if (!o.initImage.empty()) {
        auto init = ui::loadInitImage(QString::fromStdString(o.initImage), o.request.width, o.request.height);
        if (!init)
            return fail(init.error().message);
        o.request.initImage = std::move(*init);
    }
    auto image = diffusion::generate(*opened->model, o.request, stepsOnStderr());
    if (!image)
        return fail(image.error().message);
    if (const Status written = writePicture(o.output, o.request, *image); !written)
        return fail(written.error().message);
    const diffusion::GenerationTimings& t = image->timings;
    std::fprintf(stderr, "wrote %s (%dx%d, seed %llu): text %.2f s, sampling %.2f s (%.2f it/s), VAE %.2f s\n",
                 o.output.c_str(), image->width, image->height, static_cast<unsigned long long>(o.request.seed),
                 t.textSeconds, t.samplingSeconds, t.samplingSeconds > 0 ? t.unetEvaluations / t.samplingSeconds : 0.0,
                 t.decodeSeconds);
    return 0;
}

} // namespace atelier::app

#include "inpaint_command.h"

#include "picture_command.h"

#include "create/picture_png.h"
#include "diffusion/default_image_model.h"
#include "diffusion/inpaint.h"

#include <QImage>

#include <cstdio>
#include <map>
#include <random>
#include <string>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier inpaint [--model PATH] --image IN.png --mask MASK.png --prompt TEXT [--negative TEXT]\n"
    "                       [--strength S] [--feather PX] [--grow PX] [--only-masked] [--padding PX]\n"
    "                       [--work-size PX] [--fill original|noise|blur] [--extend L,T,R,B] [--steps N] [--cfg S]\n"
    "                       [--sampler NAME] [--scheduler NAME] [--seed N] [--clip-skip N] [--vae PATH]\n"
    "                       [--precision f16|f32] -o OUT.png\n"
    "White in the mask means repaint (a mask with only an alpha channel uses its alpha); it is scaled\n"
    "to the picture. Pixels outside the mask and its feather stay exactly as they were. Without\n"
    "--only-masked the picture's sides must be multiples of the model's scale (32 for SD). --strength\n"
    "defaults to 0.75, --feather to 4, --padding to 32, --fill to original; a seed of -1 (the default)\n"
    "picks a random one. Without --model, uses the default model in the models folder.\n"
    "Outpainting: --extend L,T,R,B adds that many pixels on each side and repaints them (with --mask, the\n"
    "mask's area too); --mask is optional then. The feather blends the seam into the picture's edge;\n"
    "--feather 0 keeps every pixel of the picture.\n";

struct InpaintOptions {
    std::string model, vae, image, mask, output;
    diffusion::CanvasExtension extension;
    bool extend = false;
    std::string sampler = "Euler a", scheduler, fill = "original";
    long long seed = -1;
    bool f32 = false;
    diffusion::InpaintRequest request;
};

bool parse(const QStringList& args, InpaintOptions& o, std::string& error)
{
    std::map<std::string, QString> values;
    for (int i = 0; i < args.size(); ++i) {
        const std::string key = args[i].toStdString();
        if (key == "--only-masked") {
            o.request.onlyMasked = true;
            continue;
        }
        if (key.rfind("-", 0) != 0 || i + 1 >= args.size()) {
            error = "unexpected argument '" + key + "'";
            return false;
        }
        values[key == "-o" ? "--output" : key] = args[++i];
    }
    diffusion::GenerationRequest& g = o.request.generation;
    try {
        for (const auto& [key, value] : values) {
            const std::string v = value.toStdString();
            if (key == "--model") o.model = v;
            else if (key == "--image") o.image = v;
            else if (key == "--mask") o.mask = v;
            else if (key == "--prompt") g.prompt = value;
            else if (key == "--negative") g.negativePrompt = value;
            else if (key == "--strength") g.strength = std::stod(v);
            else if (key == "--feather") o.request.feather = std::stoi(v);
            else if (key == "--grow") o.request.grow = std::stoi(v);
            else if (key == "--padding") o.request.padding = std::stoi(v);
            else if (key == "--work-size") o.request.workSide = std::stoi(v);
            else if (key == "--fill") o.fill = v;
            else if (key == "--extend") {
                const QStringList sides = value.split(',');
                if (sides.size() != 4) {
                    error = "--extend takes LEFT,TOP,RIGHT,BOTTOM pixels";
                    return false;
                }
                o.extension = {std::stoi(sides[0].toStdString()), std::stoi(sides[1].toStdString()),
                               std::stoi(sides[2].toStdString()), std::stoi(sides[3].toStdString())};
                o.extend = true;
            }
            else if (key == "--steps") g.steps = std::stoi(v);
            else if (key == "--cfg") g.cfgScale = std::stod(v);
            else if (key == "--sampler") o.sampler = v;
            else if (key == "--scheduler") o.scheduler = v;
            else if (key == "--seed") o.seed = std::stoll(v);
            else if (key == "--clip-skip") g.clipSkip = std::stoi(v);
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
    if (o.output.empty() || o.image.empty() || (o.mask.empty() && !o.extend)) {
        error = "--image IN.png, --mask MASK.png (or --extend) and -o OUT.png are required";
        return false;
    }
    auto choice = diffusion::parseA1111Sampler(o.sampler, o.scheduler);
    if (!choice) {
        error = choice.error().message;
        return false;
    }
    g.sampler = *choice;
    auto fill = diffusion::parseMaskedFill(o.fill);
    if (!fill) {
        error = fill.error().message;
        return false;
    }
    o.request.fill = *fill;
    return true;
}

// The mask scaled to width x height, 1 = repaint: white (grey levels in between) times alpha, or the
// alpha alone when the colour channels say nothing (one colour everywhere).
Result<std::vector<float>> loadMask(const QString& path, int width, int height)
{
    QImage image(path);
    if (image.isNull())
        return makeError(ErrorCode::Io, "cannot read the mask " + path.toStdString());
    image = image.convertToFormat(QImage::Format_RGBA8888)
                .scaled(width, height, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    bool oneColour = true;
    const QRgb first = image.pixel(0, 0) & 0xffffff;
    for (int y = 0; y < height && oneColour; ++y)
        for (int x = 0; x < width && oneColour; ++x)
            oneColour = (image.pixel(x, y) & 0xffffff) == first;
    const bool alphaOnly = image.hasAlphaChannel() && oneColour;
    std::vector<float> mask(size_t(width) * size_t(height));
    for (int y = 0; y < height; ++y) {
        const uchar* row = image.constScanLine(y);
        for (int x = 0; x < width; ++x) {
            const uchar* p = row + 4 * x;
            const float alpha = float(p[3]) / 255.0f;
            const float grey = (0.299f * float(p[0]) + 0.587f * float(p[1]) + 0.114f * float(p[2])) / 255.0f;
            mask[size_t(y) * size_t(width) + size_t(x)] = alphaOnly ? alpha : grey * alpha;
        }
    }
    return mask;
}

int fail(const std::string& message)
{
    std::fprintf(stderr, "atelier inpaint: %s\n", message.c_str());
    return 1;
}

} // namespace

int runInpaint(const QStringList& arguments, int deviceIndex, bool validation)
{
    if (arguments.contains("--help") || arguments.contains("-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    InpaintOptions o;
    std::string error;
    if (!parse(arguments, o, error)) {
        std::fprintf(stderr, "atelier inpaint: %s\n%s", error.c_str(), kUsage);
        return 2;
    }
    diffusion::GenerationRequest& g = o.request.generation;
    g.seed = o.seed >= 0 ? uint64_t(o.seed) : std::random_device{}() % 4294967295u;
    if (o.model.empty())
        o.model = diffusion::defaultImageModelPath().toStdString();
    const QImage picture(QString::fromStdString(o.image));
    if (picture.isNull())
        return fail("cannot read the picture " + o.image);
    g.width = picture.width();
    g.height = picture.height();
    auto pixels = ui::loadInitImage(QString::fromStdString(o.image), g.width, g.height);
    if (!pixels)
        return fail(pixels.error().message);
    g.initImage = std::move(*pixels);
    o.request.mask.assign(size_t(g.width) * size_t(g.height), 0.0f);
    if (!o.mask.empty()) {
        auto mask = loadMask(QString::fromStdString(o.mask), g.width, g.height);
        if (!mask)
            return fail(mask.error().message);
        o.request.mask = std::move(*mask);
    }
    if (o.extend) {
        auto canvas = diffusion::extendCanvas(g.initImage, g.width, g.height, o.extension);
        if (!canvas)
            return fail(canvas.error().message);
        for (int y = 0; y < g.height; ++y)
            for (int x = 0; x < g.width; ++x)
                canvas->mask[size_t(y + o.extension.top) * size_t(canvas->width) + size_t(x + o.extension.left)] =
                    o.request.mask[size_t(y) * size_t(g.width) + size_t(x)];
        g.width = canvas->width;
        g.height = canvas->height;
        g.initImage = std::move(canvas->picture);
        o.request.mask = std::move(canvas->mask);
    }

    auto opened = openPictureModel(o.model, o.vae, o.f32, deviceIndex, validation);
    if (!opened)
        return fail(opened.error().message);
    auto image = diffusion::inpaint(*opened->model, o.request, stepsOnStderr());
    if (!image)
        return fail(image.error().message);
    if (const Status written = writePicture(o.output, g, *image); !written)
        return fail(written.error().message);
    const diffusion::GenerationTimings& t = image->timings;
    std::fprintf(stderr, "wrote %s (%dx%d, seed %llu, %s): text %.2f s, sampling %.2f s, VAE %.2f s\n",
                 o.output.c_str(), image->width, image->height, static_cast<unsigned long long>(g.seed),
                 opened->model->config().unet.inChannels > 4 ? "inpainting model" : "latent blending", t.textSeconds,
                 t.samplingSeconds, t.decodeSeconds);
    return 0;
}

} // namespace atelier::app

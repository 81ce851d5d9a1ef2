#include "inpaint_command.h"

#include "command_line.h"
#include "picture_command.h"

#include "create/picture_png.h"
#include "diffusion/inpaint.h"
#include "diffusion/regions.h"

#include <QImage>
#include <QImageReader>

#include <cstdio>
#include <map>
#include <string>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier inpaint [--model PATH] --image IN.png --mask MASK.png --prompt TEXT [--negative TEXT]\n"
    "                       [--strength S] [--feather PX] [--grow PX] [--only-masked] [--padding PX]\n"
    "                       [--work-size PX] [--fill original|noise|blur] [--extend L,T,R,B] [--steps N] [--cfg S]\n"
    "                       [--sampler NAME] [--scheduler NAME] [--seed N] [--clip-skip N] [--vae PATH]\n"
    "                       [--precision f16|f32] [--region X0,Y0,X1,Y1:PROMPT ...] [--layout FILE.json]\n"
    "                       -o OUT.png\n"
    "White in the mask means repaint (a mask with only an alpha channel uses its alpha); it is scaled\n"
    "to the picture. Pixels outside the mask and its feather stay exactly as they were. Without\n"
    "--only-masked the picture's sides must be multiples of the model's scale (32 for SD). --strength\n"
    "defaults to 0.75, --feather to 4, --padding to 32, --fill to original; a seed of -1 (the default)\n"
    "picks a random one. Without --model, uses the default model in the models folder.\n"
    "Outpainting: --extend L,T,R,B adds that many pixels on each side and repaints them (with --mask, the\n"
    "mask's area too); --mask is optional then. The feather blends the seam into the picture's edge;\n"
    "--feather 0 keeps every pixel of the picture. The picture's path goes to stdout; progress and\n"
    "timings to stderr.\n"
    "Regional prompts as atelier generate takes them: boxes in pixels of the picture (extended, with\n"
    "--extend), each painting its own prompt inside the mask; with --only-masked they follow the crop.\n";

struct InpaintOptions {
    PictureOptions picture;
    std::string image, mask, fill = "original";
    diffusion::CanvasExtension extension;
    bool extend = false;
    QSize pictureSize;  // before the extension
    diffusion::InpaintRequest request;
};

// --extend LEFT,TOP,RIGHT,BOTTOM: each side 0 to kMaxPictureSide pixels.
Result<diffusion::CanvasExtension> parseExtension(const std::string& key, const QString& value)
{
    const QStringList sides = value.split(',');
    if (sides.size() != 4)
        return makeError(ErrorCode::InvalidArgument, key + " takes LEFT,TOP,RIGHT,BOTTOM pixels, got " +
                                                         value.toStdString());
    int pixels[4] = {};
    for (int i = 0; i < 4; ++i) {
        ATELIER_ASSIGN(pixels[i], wholeNumber(key, sides[i], 0, kMaxPictureSide));
    }
    return diffusion::CanvasExtension{pixels[0], pixels[1], pixels[2], pixels[3]};
}

Status parse(const QStringList& args, InpaintOptions& o)
{
    std::map<std::string, QString> values;
    for (int i = 0; i < args.size(); ++i) {
        const std::string key = args[i].toStdString();
        if (key == "--only-masked") {
            o.request.onlyMasked = true;
            continue;
        }
        if (key.rfind("-", 0) != 0 || i + 1 >= args.size())
            return makeError(ErrorCode::InvalidArgument, "unexpected argument '" + key + "'");
        ATELIER_ASSIGN(const bool region, readRegionOption(key, args[i + 1], o.request.generation)); // repeatable
        if (region) {
            ++i;
            continue;
        }
        values[key == "-o" ? "--output" : key] = args[++i];
    }
    diffusion::InpaintRequest& r = o.request;
    for (const auto& [key, value] : values) {
        ATELIER_ASSIGN(const bool shared, readPictureOption(key, value, o.picture, r.generation));
        if (shared)
            continue;
        if (key == "--image") {
            o.image = value.toStdString();
        } else if (key == "--mask") {
            o.mask = value.toStdString();
        } else if (key == "--fill") {
            o.fill = value.toStdString();
        } else if (key == "--feather") {
            ATELIER_ASSIGN(r.feather, wholeNumber(key, value, 0, 256));
        } else if (key == "--grow") {
            ATELIER_ASSIGN(r.grow, wholeNumber(key, value, -256, 256));
        } else if (key == "--padding") {
            ATELIER_ASSIGN(r.padding, wholeNumber(key, value, 0, kMaxPictureSide));
        } else if (key == "--work-size") {
            ATELIER_ASSIGN(r.workSide, wholeNumber(key, value, 0, 2048));
        } else if (key == "--extend") {
            ATELIER_ASSIGN(o.extension, parseExtension(key, value));
            o.extend = true;
        } else {
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key);
        }
    }
    if (o.image.empty() || (o.mask.empty() && !o.extend))
        return makeError(ErrorCode::InvalidArgument, "--image IN.png, --mask MASK.png (or --extend) and -o OUT.png are required");
    ATELIER_ASSIGN(r.fill, diffusion::parseMaskedFill(o.fill));
    return finishPictureOptions(o.picture, r.generation);
}

// The picture's size, extension included, from its header (nothing decoded yet) against the side
// limit and the model, and clip skip, before any pixel or weight loads. Sets the request's size.
Status checkSize(InpaintOptions& o)
{
    diffusion::GenerationRequest& g = o.request.generation;
    QImageReader reader(QString::fromStdString(o.image));
    reader.setAutoTransform(true); // as loadInitImage reads it
    QSize& size = o.pictureSize;
    size = reader.size();
    if (size.isValid() && reader.transformation().testFlag(QImageIOHandler::TransformationRotate90))
        size.transpose();
    if (!size.isValid()) // a format whose header does not say: decoded (within Qt's allocation limit)
        size = reader.read().size();
    if (!size.isValid())
        return makeError(ErrorCode::Io, "cannot read the picture " + o.image + ": " + reader.errorString().toStdString());
    g.width = size.width() + o.extension.left + o.extension.right;
    g.height = size.height() + o.extension.top + o.extension.bottom;
    const std::string sizeText = std::to_string(g.width) + "x" + std::to_string(g.height);
    if (g.width > kMaxPictureSide || g.height > kMaxPictureSide)
        return makeError(ErrorCode::InvalidArgument, "the picture " + o.image + (o.extend ? " extended" : "") +
                                                         " is " + sizeText + ", more than " +
                                                         std::to_string(kMaxPictureSide) + " pixels on a side");
    ATELIER_ASSIGN(const diffusion::CheckpointConfig config, readPictureModelConfig(o.picture));
    const int scale = pictureScale(config);
    if (!o.request.onlyMasked && (g.width % scale || g.height % scale))
        return makeError(ErrorCode::InvalidArgument,
                         "the picture size " + sizeText + " must be a multiple of " + std::to_string(scale) +
                             " pixels for this model (or inpaint only the masked area)");
    ATELIER_TRY(checkClipSkip(config, g.clipSkip));
    return diffusion::checkRegions(g.regions, g.width, g.height);
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
    if (const Status parsed = parse(arguments, o); !parsed) {
        std::fprintf(stderr, "atelier inpaint: %s\n%s", parsed.error().message.c_str(), kUsage);
        return 2;
    }
    if (const Status fits = checkSize(o); !fits)
        return fail(fits.error().message);
    diffusion::GenerationRequest& g = o.request.generation;
    const int width = o.pictureSize.width(), height = o.pictureSize.height();
    auto pixels = ui::loadInitImage(QString::fromStdString(o.image), width, height);
    if (!pixels)
        return fail(pixels.error().message);
    g.initImage = std::move(*pixels);
    o.request.mask.assign(size_t(width) * size_t(height), 0.0f);
    if (!o.mask.empty()) {
        auto mask = loadMask(QString::fromStdString(o.mask), width, height);
        if (!mask)
            return fail(mask.error().message);
        o.request.mask = std::move(*mask);
    }
    if (o.extend) {
        auto canvas = diffusion::extendCanvas(g.initImage, width, height, o.extension);
        if (!canvas)
            return fail(canvas.error().message);
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x)
                canvas->mask[size_t(y + o.extension.top) * size_t(canvas->width) + size_t(x + o.extension.left)] =
                    o.request.mask[size_t(y) * size_t(width) + size_t(x)];
        g.initImage = std::move(canvas->picture);
        o.request.mask = std::move(canvas->mask);
    }

    const PictureOptions& p = o.picture;
    auto opened = openPictureModel(p.model, p.vae, p.f32, deviceIndex, validation);
    if (!opened)
        return fail(opened.error().message);
    auto image = diffusion::inpaint(*opened->model, o.request, stepsOnStderr());
    if (!image)
        return fail(image.error().message);
    if (const Status written = writePicture(p.output, g, *image); !written)
        return fail(written.error().message);
    const diffusion::GenerationTimings& t = image->timings;
    std::fprintf(stderr, "wrote %s (%dx%d, seed %llu, %s)\ntext %.2f s, sampling %.2f s, VAE %.2f s\n",
                 p.output.c_str(), image->width, image->height, static_cast<unsigned long long>(g.seed),
                 opened->model->config().unet.inChannels > 4 ? "inpainting model" : "latent blending", t.textSeconds,
                 t.samplingSeconds, t.decodeSeconds);
    printPicturePath(p.output);
    return 0;
}

} // namespace atelier::app

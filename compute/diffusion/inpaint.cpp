#include "diffusion/inpaint.h"

#include "core/elapsed.h"
#include "diffusion/inpaint_crop.h"
#include "diffusion/inpaint_mask.h"
#include "diffusion/sampling/gaussian_noise.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/vae.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace atelier::diffusion {

namespace {

using Clock = std::chrono::steady_clock;


int modelScale(const StableDiffusion& model)
{
    return model.config().vae.downscale() << (model.config().unet.levels() - 1);
}

std::string sizeText(int width, int height)
{
    return std::to_string(width) + "x" + std::to_string(height);
}

Status checkRequest(const StableDiffusion& model, const InpaintRequest& r)
{
    const GenerationRequest& g = r.generation;
    if (g.width < 1 || g.height < 1 || g.width > 4096 || g.height > 4096)
        return makeError(ErrorCode::InvalidArgument, "the picture size " + sizeText(g.width, g.height) +
                                                         " is not between 1 and 4096 pixels on a side");
    const size_t plane = size_t(g.width) * size_t(g.height);
    if (g.initImage.size() != plane * 3)
        return makeError(ErrorCode::InvalidArgument,
                         "the picture must be " + sizeText(g.width, g.height) + " RGB (" + std::to_string(plane * 3) +
                             " values), not " + std::to_string(g.initImage.size()) + " values");
    if (r.mask.size() != plane)
        return makeError(ErrorCode::InvalidArgument, "the mask must have the picture's size " +
                                                         sizeText(g.width, g.height) + " (" + std::to_string(plane) +
                                                         " values), not " + std::to_string(r.mask.size()) + " values");
    const int scale = modelScale(model);
    if (!r.onlyMasked && (g.width % scale || g.height % scale))
        return makeError(ErrorCode::InvalidArgument,
                         "the picture size " + sizeText(g.width, g.height) + " must be a multiple of " +
                             std::to_string(scale) + " pixels for this model (or inpaint only the masked area)");
    if (!(g.strength > 0 && g.strength <= 1))
        return makeError(ErrorCode::InvalidArgument, "the denoising strength must be in (0, 1]");
    if (r.feather < 0 || r.feather > 256)
        return makeError(ErrorCode::InvalidArgument, "the feather must be between 0 and 256 pixels");
    if (std::abs(r.grow) > 256)
        return makeError(ErrorCode::InvalidArgument, "grow must be between -256 and 256 pixels");
    if (r.padding < 0)
        return makeError(ErrorCode::InvalidArgument, "the padding must not be negative");
    if (r.workSide < 0 || r.workSide > 2048)
        return makeError(ErrorCode::InvalidArgument, "the working size must be between 0 and 2048 pixels");
    if (g.steps < 1 || g.steps > 1000)
        return makeError(ErrorCode::InvalidArgument, "steps must be between 1 and 1000");
    if (!(g.cfgScale >= 0 && g.cfgScale <= 100))
        return makeError(ErrorCode::InvalidArgument, "the CFG scale must be between 0 and 100");
    if (g.clipSkip < 1 || g.clipSkip > model.config().text.layers)
        return makeError(ErrorCode::InvalidArgument, "clip skip must be between 1 and the text encoder's " +
                                                         std::to_string(model.config().text.layers) + " layers");
    return checkRegions(g.regions, g.width, g.height);
}

bool isInpaintingModel(const StableDiffusion& model)
{
    return model.config().unet.inChannels == 2 * model.config().vae.latentChannels + 1;
}

// 1 where any pixel of the factor x factor block is painted (>= 0.5): the latents to repaint.
std::vector<float> latentRepaintMask(const std::vector<float>& mask, int width, int height, int factor)
{
    std::vector<float> binary(mask.size());
    for (size_t i = 0; i < mask.size(); ++i)
        binary[i] = mask[i] >= 0.5f ? 1.0f : 0.0f;
    std::vector<float> latent = downsampleMask(binary, width, height, factor);
    for (float& v : latent)
        v = v > 0 ? 1.0f : 0.0f;
    return latent;
}

// One denoising run over a picture at a size the model takes: returns the decoded RGB [-1, 1].
// mask is the grown (not feathered) mask at this size.
// regions: the request's regions in this picture's pixels; feather: their soft edge in these pixels.
Result<std::vector<float>> repaint(StableDiffusion& model, const InpaintRequest& r, std::span<const Region> regions,
                                   double feather, const std::vector<float>& picture, const std::vector<float>& mask,
                                   int width, int height, const GenerationCallbacks& callbacks, GeneratedImage& image)
{
    const GenerationRequest& g = r.generation;
    const VaeConfig& vae = model.config().vae;
    const int factor = vae.downscale();
    const int latentWidth = width / factor, latentHeight = height / factor;
    const size_t plane = size_t(latentWidth) * size_t(latentHeight);
    VaeTiling tiling = g.tiling;
    if (g.autoTiling)
        tiling.enabled = model.vae().needsTiling(latentHeight, latentWidth);

    auto clock = Clock::now();
    if (callbacks.cancel && callbacks.cancel->load())
        return makeError(ErrorCode::Cancelled, "the generation was cancelled");
    ATELIER_ASSIGN(const Conditioning conditioning,
                   encodePrompts(model, g.prompt, g.negativePrompt, g.clipSkip, regions));
    image.timings.textSeconds += secondsSince(clock);

    std::vector<float> start = picture;
    if (r.fill == MaskedFill::Blur) {
        ATELIER_ASSIGN(start, fillFromSurroundings(model.device(), picture, mask, width, height));
    }

    clock = Clock::now();
    SamplingRequest sampling;
    sampling.latentWidth = latentWidth;
    sampling.latentHeight = latentHeight;
    sampling.steps = g.steps;
    sampling.cfgScale = g.cfgScale;
    sampling.sampler = g.sampler;
    sampling.seed = g.seed;
    sampling.strength = g.strength;
    if (!regions.empty())
        sampling.regions = regionWeights(regions, width, height, latentWidth, latentHeight, model.config().unet.levels(),
                                         feather);
    ATELIER_ASSIGN(sampling.encoded, model.vae().encode(start, height, width, tiling));
    const std::vector<float> latentMask = latentRepaintMask(mask, width, height, factor);
    if (r.fill == MaskedFill::Noise) {
        // A1111's "latent noise": the masked latents start from fresh noise (its own stream).
        GaussianNoise noise(g.seed ^ 0x9e3779b97f4a7c15ull);
        const std::vector<float> fresh = noise.draw(sampling.encoded.size());
        for (size_t i = 0; i < sampling.encoded.size(); ++i)
            if (latentMask[i % plane] > 0)
                sampling.encoded[i] = fresh[i];
    }

    const Latent kept = sampling.encoded;
    if (isInpaintingModel(model)) {
        // diffusers StableDiffusionInpaintPipeline: UNet input [latent | mask | masked-picture latent],
        // the mask nearest-downsampled from the binarised mask, the masked picture 0 where mask >= 0.5.
        std::vector<float> masked = picture;
        for (size_t p = 0; p < mask.size(); ++p)
            if (mask[p] >= 0.5f)
                masked[p * 3] = masked[p * 3 + 1] = masked[p * 3 + 2] = 0.0f;
        ATELIER_ASSIGN(const Latent maskedLatent, model.vae().encode(masked, height, width, tiling));
        sampling.extraChannels = nearestBinaryMask(mask, width, height, factor);
        sampling.extraChannels.insert(sampling.extraChannels.end(), maskedLatent.begin(), maskedLatent.end());
    } else {
        // A1111: every x0 estimate keeps the picture's latent outside the mask.
        sampling.blendDenoised = [&](Latent& denoised, double) {
            for (size_t i = 0; i < denoised.size(); ++i) {
                const float m = latentMask[i % plane];
                denoised[i] = m * denoised[i] + (1 - m) * kept[i];
            }
        };
    }
    image.timings.decodeSeconds += secondsSince(clock);

    ATELIER_ASSIGN(image.latent, sampleLatent(model, conditioning, sampling, callbacks, &image.timings));
    if (sampling.blendDenoised) {
        // A1111 blends the result once more: samplers that stop above sigma 0 (DDIM) end on an x,
        // not on a blended x0 estimate.
        for (size_t i = 0; i < image.latent.size(); ++i) {
            const float m = latentMask[i % plane];
            image.latent[i] = m * image.latent[i] + (1 - m) * kept[i];
        }
    }
    if (callbacks.cancel && callbacks.cancel->load())
        return makeError(ErrorCode::Cancelled, "the generation was cancelled");
    clock = Clock::now();
    ATELIER_ASSIGN(std::vector<float> decoded, model.vae().decode(image.latent, latentHeight, latentWidth, tiling));
    image.timings.decodeSeconds += secondsSince(clock);
    return decoded;
}

GenerationParameters describe(StableDiffusion& model, const InpaintRequest& r)
{
    GenerationParameters p = describeGeneration(model, r.generation);
    p.denoisingStrength = r.generation.strength;
    p.maskBlur = r.feather;
    p.extras.append({QStringLiteral("Masked content"), QString::fromLatin1(maskedFillName(r.fill))});
    if (r.onlyMasked) {
        p.extras.append({QStringLiteral("Inpaint area"), QStringLiteral("Only masked")});
        p.extras.append({QStringLiteral("Masked area padding"), QString::number(r.padding)});
    }
    return p;
}

} // namespace

const char* maskedFillName(MaskedFill fill)
{
    switch (fill) {
    case MaskedFill::Original: return "original";
    case MaskedFill::Noise: return "noise";
    case MaskedFill::Blur: return "blur";
    }
    return "original";
}

Result<MaskedFill> parseMaskedFill(const std::string& name)
{
    for (MaskedFill fill : {MaskedFill::Original, MaskedFill::Noise, MaskedFill::Blur})
        if (name == maskedFillName(fill))
            return fill;
    return makeError(ErrorCode::InvalidArgument, "unknown masked content '" + name + "': original, noise or blur");
}

Result<GeneratedImage> inpaint(StableDiffusion& model, const InpaintRequest& r, const GenerationCallbacks& callbacks)
{
    ATELIER_TRY(checkRequest(model, r));
    const GenerationRequest& g = r.generation;
    const int width = g.width, height = g.height;
    // The 8-bit original: the composite starts from it, so kept pixels come back as the same bytes.
    const std::vector<uint8_t> original = toBytes(g.initImage);
    std::vector<float> picture(original.size());
    for (size_t i = 0; i < original.size(); ++i)
        picture[i] = float(original[i]) / 127.5f - 1.0f;

    std::vector<float> mask = r.mask;
    for (float& v : mask)
        v = std::clamp(std::isfinite(v) ? v : 0.0f, 0.0f, 1.0f);
    mask = growMask(mask, width, height, r.grow);
    ATELIER_ASSIGN(const std::vector<float> soft, featherMask(model.device(), mask, width, height, r.feather));

    GeneratedImage image;
    // Regions are drawn on the whole picture; their soft edges are as wide as generate()'s.
    const double feather = defaultFeather(width, height);
    std::vector<float> decoded;
    if (!r.onlyMasked) {
        ATELIER_ASSIGN(decoded, repaint(model, r, g.regions, feather, picture, mask, width, height, callbacks, image));
    } else {
        ATELIER_ASSIGN(CropBox box, maskBox(soft, width, height, r.padding));
        int workWidth = 0, workHeight = 0;
        const int side = r.workSide > 0 ? r.workSide : model.config().defaultResolution;
        workSizeFor(box, side, modelScale(model), &workWidth, &workHeight);
        box = expandToAspect(box, workWidth, workHeight, width, height);
        const std::vector<float> part =
            resizePicture(cropPicture(picture, width, 3, box), box.width, box.height, 3, workWidth, workHeight);
        std::vector<float> partMask =
            resizePicture(cropPicture(mask, width, 1, box), box.width, box.height, 1, workWidth, workHeight);
        // The regions move with the crop and scale with it.
        const std::vector<Region> regions = regionsInCrop(g.regions, box, workWidth, workHeight, feather);
        const double workFeather = feather * (double(workWidth) / box.width + double(workHeight) / box.height) / 2;
        ATELIER_ASSIGN(const std::vector<float> repainted, repaint(model, r, regions, workFeather, part, partMask,
                                                                   workWidth, workHeight, callbacks, image));
        decoded = picture;
        pastePicture(decoded, width, 3, box,
                     resizePicture(repainted, workWidth, workHeight, 3, box.width, box.height));
    }

    // out = orig * (1 - m) + decoded * m in byte units; m == 0 keeps the original byte exactly.
    const std::vector<uint8_t> painted = toBytes(decoded);
    image.rgb = original;
    for (size_t p = 0; p < soft.size(); ++p) {
        const float m = soft[p];
        if (m <= 0)
            continue;
        for (size_t c = 0; c < 3; ++c) {
            const size_t i = p * 3 + c;
            const float v = float(original[i]) * (1 - m) + float(painted[i]) * m;
            image.rgb[i] = uint8_t(std::lround(std::clamp(v, 0.0f, 255.0f)));
        }
    }
    image.width = width;
    image.height = height;
    image.parameters = describe(model, r);
    return image;
}

Result<ExtendedCanvas> extendCanvas(const std::vector<float>& picture, int width, int height,
                                    const CanvasExtension& e)
{
    if (width < 1 || height < 1 || picture.size() != size_t(width) * size_t(height) * 3)
        return makeError(ErrorCode::InvalidArgument, "the picture must be " + sizeText(width, height) + " RGB");
    if (e.left < 0 || e.top < 0 || e.right < 0 || e.bottom < 0)
        return makeError(ErrorCode::InvalidArgument, "the canvas can only be extended (no negative sides)");
    ExtendedCanvas canvas;
    canvas.width = width + e.left + e.right;
    canvas.height = height + e.top + e.bottom;
    if (canvas.width > 4096 || canvas.height > 4096)
        return makeError(ErrorCode::InvalidArgument, "the extended canvas " + sizeText(canvas.width, canvas.height) +
                                                         " is larger than 4096 pixels on a side");
    canvas.picture.resize(size_t(canvas.width) * size_t(canvas.height) * 3);
    canvas.mask.assign(size_t(canvas.width) * size_t(canvas.height), 1.0f);
    for (int y = 0; y < canvas.height; ++y)
        for (int x = 0; x < canvas.width; ++x) {
            const int sx = std::clamp(x - e.left, 0, width - 1), sy = std::clamp(y - e.top, 0, height - 1);
            const size_t to = size_t(y) * size_t(canvas.width) + size_t(x);
            const size_t from = size_t(sy) * size_t(width) + size_t(sx);
            std::copy_n(picture.begin() + std::ptrdiff_t(from * 3), 3, canvas.picture.begin() + std::ptrdiff_t(to * 3));
            if (sx == x - e.left && sy == y - e.top)
                canvas.mask[to] = 0.0f;
        }
    return canvas;
}

} // namespace atelier::diffusion

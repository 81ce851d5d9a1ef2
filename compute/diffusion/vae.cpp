#include "diffusion/vae.h"

#include "diffusion/checkpoint.h"
#include "diffusion/nchw.h"
#include "diffusion/vae_blocks.h"
#include "ops/conv2d.h"
#include "vk/device.h"

#include <cmath>
#include <string>

namespace atelier::diffusion {

namespace {

// CompVis' and diffusers' VAE GroupNorm epsilon.
constexpr float kNormEps = 1e-6f;

std::string sizeText(int height, int width) { return std::to_string(width) + " x " + std::to_string(height); }

Status checkFinite(std::span<const float> values, const char* what)
{
    for (float v : values) {
        if (!std::isfinite(v))
            return makeError(ErrorCode::Unsupported,
                             std::string("VAE ") + what + " produced non-finite values (f16 overflow or a broken input)");
    }
    return {};
}

// Rows [y, y + h) and columns [x, x + w) of an HWC image of `width` pixels.
std::vector<float> crop(std::span<const float> hwc, int width, int channels, int y, int x, int h, int w)
{
    std::vector<float> out(size_t(h) * w * channels);
    for (int r = 0; r < h; ++r) {
        const float* src = hwc.data() + (size_t(y + r) * width + x) * channels;
        std::copy(src, src + size_t(w) * channels, out.begin() + ptrdiff_t(size_t(r) * w * channels));
    }
    return out;
}

} // namespace

Vae::Vae(vk::Device& device, VaeConfig config, DType activation)
    : mDevice(device), mConfig(std::move(config)), mActivation(activation)
{
}

Result<std::unique_ptr<Vae>> Vae::load(vk::Device& device, const Checkpoint& checkpoint, WeightPrecision precision)
{
    const VaeConfig& config = checkpoint.config().vae;
    if (config.channelMult.empty() || config.normGroups <= 0)
        return makeError(ErrorCode::InvalidArgument, "VAE: the checkpoint has no usable VAE configuration");
    const DType activation = precision == WeightPrecision::F16 ? DType::F16 : DType::F32;
    auto vae = std::unique_ptr<Vae>(new Vae(device, config, activation));
    WeightBinder binder(device, checkpoint, std::string(kVaePrefix), precision);
    ATELIER_ASSIGN(vae->mEncoder, bindVaeEncoder(binder, config));
    ATELIER_ASSIGN(vae->mDecoder, bindVaeDecoder(binder, config));
    vae->mWeightBytes = binder.bytes();
    return vae;
}

bool Vae::fits(uint64_t slotElements, int64_t midTokens) const
{
    // Every kernel binds activations larger than a binding in bands; what matters is memory.
    const int64_t midChannels = int64_t(mConfig.baseChannels) * mConfig.channelMult.back();
    const uint64_t need = VaeActivations::bytesFor(mActivation, slotElements, midTokens, midChannels);
    // Space inside blocks Atelier already holds counts as free: the allocator reuses it.
    const uint64_t total = mDevice.memoryUsage().totalBytes;
    const uint64_t used = mDevice.allocator().bytesInUse();
    const uint64_t free = total > used ? total - used : 0;
    return need <= free / 10 * 9;
}

bool Vae::needsTiling(int latentHeight, int latentWidth) const
{
    return !fits(decoderSlotElements(mConfig, latentHeight, latentWidth), int64_t(latentHeight) * latentWidth);
}

Result<std::vector<float>> Vae::decodeWhole(std::span<const float> latentNhwc, int height, int width)
{
    const VaeConfig& c = mConfig;
    const int levels = int(c.channelMult.size()), scale = c.downscale();
    const int64_t midChannels = int64_t(c.baseChannels) * c.channelMult.back();
    const uint64_t slot = decoderSlotElements(c, height, width);
    ATELIER_ASSIGN(auto activations,
                   VaeActivations::create(mDevice, mActivation, slot, int64_t(height) * width, midChannels,
                                          normStatisticsElements(mDevice, c, mActivation, slot)));
    ATELIER_ASSIGN(ops::Tensor latent,
                   ops::Tensor::fromFloats(mDevice, mActivation, {1, height, width, c.latentChannels}, latentNhwc));
    ATELIER_ASSIGN(ops::Tensor image,
                   ops::Tensor::create(mDevice, mActivation, {1, height * scale, width * scale, c.imageChannels}));
    const VaeDecoderWeights& w = mDecoder;
    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& batch) -> Status {
        VaeRun run{batch, *activations, uint32_t(c.normGroups), kNormEps};
        ATELIER_ASSIGN(ops::Tensor x, runConv(run, w.postQuantConv, latent, c.latentChannels, 1));
        ATELIER_ASSIGN(x, runConv(run, w.convIn, x, midChannels, 3));
        ATELIER_ASSIGN(x, runMid(run, w.mid, x));
        for (int i = levels - 1; i >= 0; --i) {
            const VaeDecoderLevel& level = w.levels[size_t(i)];
            for (const VaeResBlockWeights& block : level.blocks) {
                ATELIER_ASSIGN(x, runResBlock(run, block, x));
            }
            if (level.upsample) {
                ATELIER_ASSIGN(x, runUpsample(run, *level.upsample, x));
            }
        }
        return runNormOutConv(run, w.normOut, w.convOut, x, image);
    }));
    return image.toFloats(mDevice);
}

Result<std::vector<float>> Vae::encodeWhole(std::span<const float> imageNhwc, int height, int width)
{
    const VaeConfig& c = mConfig;
    const int levels = int(c.channelMult.size()), scale = c.downscale();
    const int64_t midChannels = int64_t(c.baseChannels) * c.channelMult.back();
    const int lh = height / scale, lw = width / scale, z = c.latentChannels;
    const uint64_t slot = encoderSlotElements(c, height, width);
    ATELIER_ASSIGN(auto activations, VaeActivations::create(mDevice, mActivation, slot, int64_t(lh) * lw, midChannels,
                                                            normStatisticsElements(mDevice, c, mActivation, slot)));
    ATELIER_ASSIGN(ops::Tensor image,
                   ops::Tensor::fromFloats(mDevice, mActivation, {1, height, width, c.imageChannels}, imageNhwc));
    ATELIER_ASSIGN(ops::Tensor mean, ops::Tensor::create(mDevice, mActivation, {1, lh, lw, z}));
    const VaeEncoderWeights& w = mEncoder;
    // The posterior mean is quant_conv's first z outputs: the first z rows of its weight and bias.
    ATELIER_ASSIGN(const ops::Tensor quantWeight, w.quantConv.weight.view({z, 1, 1, 2 * z}));
    ATELIER_ASSIGN(const ops::Tensor quantBias, w.quantConv.bias.view({z}));
    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& batch) -> Status {
        VaeRun run{batch, *activations, uint32_t(c.normGroups), kNormEps};
        ATELIER_ASSIGN(ops::Tensor x, runConv(run, w.convIn, image, c.baseChannels, 3));
        for (int i = 0; i < levels; ++i) {
            const VaeEncoderLevel& level = w.levels[size_t(i)];
            for (const VaeResBlockWeights& block : level.blocks) {
                ATELIER_ASSIGN(x, runResBlock(run, block, x));
            }
            if (level.downsample) {
                ATELIER_ASSIGN(x, runDownsample(run, *level.downsample, x));
            }
        }
        ATELIER_ASSIGN(x, runMid(run, w.mid, x));
        ATELIER_ASSIGN(ops::Tensor moments, activations->take({1, lh, lw, 2 * z}));
        ATELIER_TRY(runNormOutConv(run, w.normOut, w.convOut, x, moments));
        ops::Conv2dOptions o;
        o.bias = &quantBias;
        return ops::conv2d(batch, moments, quantWeight, mean, o);
    }));
    return mean.toFloats(mDevice);
}

Result<std::vector<float>> Vae::decode(std::span<const float> latent, int height, int width, const VaeTiling& tiling)
{
    const VaeConfig& c = mConfig;
    const int z = c.latentChannels, scale = c.downscale();
    if (height <= 0 || width <= 0 || latent.size() != size_t(z) * height * width)
        return makeError(ErrorCode::InvalidArgument, "VAE decode: expected a latent of " + std::to_string(z) +
                                                         " x " + std::to_string(height) + " x " +
                                                         std::to_string(width) + " values, got " +
                                                         std::to_string(latent.size()));
    std::vector<float> nhwc = nchwToNhwc(latent, 1, z, height, width);
    for (float& v : nhwc)
        v /= c.scalingFactor;

    std::vector<float> image;
    if (!tiling.enabled) {
        if (needsTiling(height, width))
            return makeError(ErrorCode::Unsupported, "VAE decode: a latent of " + sizeText(height, width) +
                                                         " does not fit this device at once; decode it in tiles");
        ATELIER_ASSIGN(image, decodeWhole(nhwc, height, width));
    } else {
        ATELIER_ASSIGN(const VaeTilePlan plan, planFittingVaeTiles(height, width, tiling, [&](int th, int tw) {
                           return !needsTiling(th, tw);
                       }));
        VaeTileBlender blender(plan, scale, c.imageChannels);
        for (size_t r = 0; r < plan.ys.size(); ++r) {
            for (size_t col = 0; col < plan.xs.size(); ++col) {
                const std::vector<float> tile =
                    crop(nhwc, width, z, plan.ys[r], plan.xs[col], plan.tileHeight, plan.tileWidth);
                ATELIER_ASSIGN(const std::vector<float> decoded, decodeWhole(tile, plan.tileHeight, plan.tileWidth));
                blender.add(r, col, decoded);
            }
        }
        image = blender.finish();
    }
    ATELIER_TRY(checkFinite(image, "decode"));
    return image;
}

Result<std::vector<float>> Vae::encode(std::span<const float> image, int height, int width, const VaeTiling& tiling)
{
    const VaeConfig& c = mConfig;
    const int z = c.latentChannels, scale = c.downscale();
    if (height <= 0 || width <= 0 || height % scale != 0 || width % scale != 0)
        return makeError(ErrorCode::InvalidArgument, "VAE encode: an image of " + sizeText(height, width) +
                                                         " pixels; both sides must be positive multiples of " +
                                                         std::to_string(scale));
    if (image.size() != size_t(height) * width * c.imageChannels)
        return makeError(ErrorCode::InvalidArgument, "VAE encode: expected " + std::to_string(c.imageChannels) +
                                                         " x " + sizeText(height, width) + " values, got " +
                                                         std::to_string(image.size()));
    const int lh = height / scale, lw = width / scale;
    const int64_t midTokens = int64_t(lh) * lw;
    std::vector<float> meanNhwc;
    if (!tiling.enabled) {
        if (!fits(encoderSlotElements(c, height, width), midTokens))
            return makeError(ErrorCode::Unsupported, "VAE encode: an image of " + sizeText(height, width) +
                                                         " does not fit this device at once; encode it in tiles");
        ATELIER_ASSIGN(meanNhwc, encodeWhole(image, height, width));
    } else {
        ATELIER_ASSIGN(const VaeTilePlan plan, planFittingVaeTiles(lh, lw, tiling, [&](int th, int tw) {
                           return fits(encoderSlotElements(c, int64_t(th) * scale, int64_t(tw) * scale), int64_t(th) * tw);
                       }));
        VaeTileBlender blender(plan, 1, z);
        for (size_t r = 0; r < plan.ys.size(); ++r) {
            for (size_t col = 0; col < plan.xs.size(); ++col) {
                const std::vector<float> tile = crop(image, width, c.imageChannels, plan.ys[r] * scale,
                                                     plan.xs[col] * scale, plan.tileHeight * scale, plan.tileWidth * scale);
                ATELIER_ASSIGN(const std::vector<float> encoded,
                               encodeWhole(tile, plan.tileHeight * scale, plan.tileWidth * scale));
                blender.add(r, col, encoded);
            }
        }
        meanNhwc = blender.finish();
    }
    ATELIER_TRY(checkFinite(meanNhwc, "encode"));
    std::vector<float> latent = nhwcToNchw(meanNhwc, 1, z, lh, lw);
    for (float& v : latent)
        v *= c.scalingFactor;
    return latent;
}

} // namespace atelier::diffusion

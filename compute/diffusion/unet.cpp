#include "diffusion/unet.h"

#include "diffusion/checkpoint.h"
#include "diffusion/nchw.h"
#include "diffusion/unet_blocks.h"
#include "ops/channels.h"
#include "ops/conv2d.h"
#include "ops/gelu.h"
#include "ops/group_norm.h"
#include "ops/matmul.h"
#include "ops/timestep_embedding.h"
#include "vk/device.h"

#include <chrono>
#include <cmath>
#include <string>

namespace atelier::diffusion {

namespace {

// Bounds that keep every size comfortably inside 32-bit shader indices: 4096 x 4096 images, 16
// batch items, prompts of 64 chunks of 77 tokens.
constexpr int kMaxLatentSide = 512;
constexpr int kMaxBatch = 16;
constexpr int kMaxContextTokens = 77 * 64;
// What the attention kernel takes (ops/sequence_attention.h).
constexpr int kMaxHeadDim = 256;

Error invalid(std::string message) { return makeError(ErrorCode::InvalidArgument, "UNet: " + std::move(message)); }

Status checkHeads(int channels, int heads, const std::string& where)
{
    if (heads < 1 || channels % heads != 0)
        return makeError(ErrorCode::Unsupported, "UNet: " + where + ": " + std::to_string(channels) +
                                                     " channels do not split into " + std::to_string(heads) + " heads");
    const int headDim = channels / heads;
    if (headDim % 4 != 0 || headDim > kMaxHeadDim)
        return makeError(ErrorCode::Unsupported, "UNet: " + where + ": attention heads of " + std::to_string(headDim) +
                                                     " channels are not supported (a multiple of 4 up to " +
                                                     std::to_string(kMaxHeadDim) + " is)");
    return {};
}

Status checkConfig(const UNetConfig& c)
{
    if (c.levels() < 1 || c.attention.size() != size_t(c.levels()) || c.heads.size() != size_t(c.levels()) ||
        c.resBlocks < 1 || c.transformerDepth < 1 || c.normGroups < 1)
        return invalid("inconsistent configuration");
    for (int level = 0; level < c.levels(); ++level) {
        if (c.channels(level) % c.normGroups != 0)
            return invalid("level " + std::to_string(level) + " has " + std::to_string(c.channels(level)) +
                           " channels, not a multiple of " + std::to_string(c.normGroups) + " groups");
        if (c.attention[size_t(level)])
            ATELIER_TRY(checkHeads(c.channels(level), c.heads[size_t(level)], "level " + std::to_string(level)));
    }
    return checkHeads(c.channels(c.levels() - 1), c.midHeads, "middle block");
}

} // namespace

UNet::UNet(vk::Device& device, UNetConfig config, UNetWeights weights, uint64_t weightBytes)
    : mDevice(device), mConfig(std::move(config)), mWeights(std::move(weights)), mWeightBytes(weightBytes)
{
}

Result<std::unique_ptr<UNet>> UNet::load(vk::Device& device, const Checkpoint& checkpoint, WeightPrecision precision)
{
    const UNetConfig& config = checkpoint.config().unet;
    ATELIER_TRY(checkConfig(config));
    WeightBinder binder(device, checkpoint, std::string(kUNetPrefix), precision);
    ATELIER_ASSIGN(UNetWeights weights, bindUNetWeights(binder, config));
    std::unique_ptr<UNet> unet(new UNet(device, config, std::move(weights), binder.bytes()));
    unet->mMatrices = binder.takeMatrices();
    return unet;
}

Status UNet::checkInputs(std::span<const float> x, int batch, int height, int width, double timestep,
                         std::span<const float> context, int contextTokens, const RegionWeights* regions) const
{
    const int contexts = regions ? regions->contexts : 1;
    if (regions) {
        if (contexts < 1 || contexts > kMaxRegionSlots || regions->levels.size() != size_t(mConfig.levels()))
            return invalid("region weights for " + std::to_string(contexts) + " contexts over " +
                           std::to_string(regions->levels.size()) + " levels (1.." + std::to_string(kMaxRegionSlots) +
                           " contexts over the UNet's " + std::to_string(mConfig.levels()) + " levels)");
        for (int level = 0; level < mConfig.levels(); ++level)
            if (regions->levels[size_t(level)].size() != size_t(contexts) * size_t(height >> level) * size_t(width >> level))
                return invalid("region weights at level " + std::to_string(level) + " do not cover the latent");
    }
    const int multiple = 1 << (mConfig.levels() - 1);
    if (batch < 1 || batch > kMaxBatch)
        return invalid("batch of " + std::to_string(batch) + " (1.." + std::to_string(kMaxBatch) + " supported)");
    if (height < multiple || width < multiple || height % multiple != 0 || width % multiple != 0 ||
        height > kMaxLatentSide || width > kMaxLatentSide)
        return invalid("latents of " + std::to_string(width) + "x" + std::to_string(height) +
                       " pixels: each side must be a multiple of " + std::to_string(multiple) + " (" +
                       std::to_string(8 * multiple) + " image pixels with SD's VAE), up to " +
                       std::to_string(kMaxLatentSide));
    if (contextTokens < 1 || contextTokens > kMaxContextTokens)
        return invalid("context of " + std::to_string(contextTokens) + " tokens (1.." +
                       std::to_string(kMaxContextTokens) + " supported)");
    if (!std::isfinite(timestep))
        return invalid("the timestep is not a finite number");
    const size_t xSize = size_t(batch) * size_t(mConfig.inChannels) * size_t(height) * size_t(width);
    if (x.size() != xSize)
        return invalid("x holds " + std::to_string(x.size()) + " values, expected " + std::to_string(xSize) + " [" +
                       std::to_string(batch) + ", " + std::to_string(mConfig.inChannels) + ", " +
                       std::to_string(height) + ", " + std::to_string(width) + "]");
    const size_t contextSize = size_t(contexts) * size_t(batch) * size_t(contextTokens) * size_t(mConfig.contextDim);
    if (context.size() != contextSize)
        return invalid("context holds " + std::to_string(context.size()) + " values, expected " +
                       std::to_string(contextSize) + " [" + std::to_string(contexts) + ", " + std::to_string(batch) + ", " +
                       std::to_string(contextTokens) + ", " + std::to_string(mConfig.contextDim) + "]");
    return {};
}

Result<std::vector<float>> UNet::predict(std::span<const float> x, int batch, int height, int width, double timestep,
                                         std::span<const float> context, int contextTokens,
                                         const RegionWeights* regions)
{
    ATELIER_TRY(checkInputs(x, batch, height, width, timestep, context, contextTokens, regions));
    using Clock = std::chrono::steady_clock;
    auto msSince = [](Clock::time_point start) {
        return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    };
    mTimings = {};
    auto start = Clock::now();
    const UNetShape shape{batch, height, width, contextTokens, regions ? regions->contexts : 1};
    if (!mState || mState->shape != shape) {
        mState.reset(); // free the old buffers before allocating the new ones
        ATELIER_ASSIGN(UNetState state, UNetState::create(mDevice, mConfig, mWeights, shape));
        mState = std::move(state);
        mTimings.stateMs = msSince(start);
    }
    UNetState& s = *mState;

    start = Clock::now();
    const std::vector<float> input = nchwToNhwc(x, batch, mConfig.inChannels, height, width);
    const std::vector<float> timesteps(size_t(batch), static_cast<float>(timestep));
    ATELIER_TRY(mDevice.upload(s.input.buffer, input.data(), input.size() * sizeof(float)));
    const size_t slotSize = context.size() / size_t(shape.contexts);
    ATELIER_TRY(mDevice.upload(s.context.buffer, context.data(), slotSize * sizeof(float)));
    for (size_t r = 0; r < s.regionContexts.size(); ++r)
        ATELIER_TRY(mDevice.upload(s.regionContexts[r].buffer, context.data() + (r + 1) * slotSize, slotSize * sizeof(float)));
    for (int level = 0; regions && level < mConfig.levels(); ++level) {
        const std::vector<float>& weights = regions->levels[size_t(level)];
        const size_t pixels = weights.size() / size_t(shape.contexts);
        for (int i = 0; i < shape.contexts; ++i)
            ATELIER_TRY(mDevice.upload(s.regionMasks[size_t(level * shape.contexts + i)].buffer,
                                       weights.data() + size_t(i) * pixels, pixels * sizeof(float)));
    }
    ATELIER_TRY(mDevice.upload(s.timesteps.buffer, timesteps.data(), timesteps.size() * sizeof(float)));
    mTimings.uploadMs = msSince(start);

    start = Clock::now();
    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& b) {
        const Status recorded = record(b);
        mTimings.dispatches = b.dispatchCount();
        mTimings.barriers = b.barrierCount();
        return recorded;
    }));
    mTimings.executeMs = msSince(start);

    start = Clock::now();
    ATELIER_ASSIGN(const std::vector<float> output, s.output.toFloats(mDevice));
    std::vector<float> prediction = nhwcToNchw(output, batch, mConfig.outChannels, height, width);
    mTimings.downloadMs = msSince(start);
    return prediction;
}

Status UNet::recordTimeEmbedding(vk::CommandBatch& b)
{
    UNetState& s = *mState;
    ATELIER_TRY(ops::timestepEmbedding(b, s.timesteps, s.timeSinusoid));
    ATELIER_TRY(ops::matmul(b, s.timeSinusoid, mWeights.timeLinear1.weight, s.timeHidden));
    ATELIER_TRY(ops::addBias(b, s.timeHidden, *mWeights.timeLinear1.bias, s.timeHidden));
    ATELIER_TRY(ops::silu(b, s.timeHidden, s.timeHidden));
    ATELIER_TRY(ops::matmul(b, s.timeHidden, mWeights.timeLinear2.weight, s.timeEmbedding));
    ATELIER_TRY(ops::addBias(b, s.timeEmbedding, *mWeights.timeLinear2.bias, s.timeEmbedding));
    return ops::silu(b, s.timeEmbedding, s.timeEmbedding);
}

Result<ops::Tensor> UNet::levelView(const ops::Tensor& t, int level, int64_t channels) const
{
    const UNetShape& shape = mState->shape;
    return t.view({shape.batch, shape.height >> level, shape.width >> level, channels});
}

Status UNet::record(vk::CommandBatch& b)
{
    UNetState& s = *mState;
    ATELIER_TRY(recordTimeEmbedding(b));
    ATELIER_TRY(recordDown(b));
    const int deepest = mConfig.levels() - 1;
    ATELIER_ASSIGN(ops::Tensor h, levelView(s.stream[0], deepest, mConfig.channels(deepest)));
    ATELIER_ASSIGN(ops::Tensor other, levelView(s.stream[1], deepest, mConfig.channels(deepest)));
    ATELIER_TRY(recordResBlock(b, mWeights.midRes1, mConfig.normGroups, s.skips.back(), h, s));
    ATELIER_TRY(recordSpatialTransformer(b, mWeights.midTransformer, mConfig.normGroups, h, other, s));
    ATELIER_TRY(recordResBlock(b, mWeights.midRes2, mConfig.normGroups, other, h, s));
    ATELIER_TRY(recordUp(b, h));

    ATELIER_ASSIGN(ops::Tensor normed, levelView(s.normed, 0, mConfig.modelChannels));
    ops::GroupNormOptions norm;
    norm.groups = uint32_t(mConfig.normGroups);
    norm.silu = true;
    norm.statistics = s.normStatistics.buffer.valid() ? &s.normStatistics : nullptr;
    ATELIER_TRY(ops::groupNorm(b, h, mWeights.outNorm.gamma, mWeights.outNorm.beta, normed, norm));
    ops::Conv2dOptions conv;
    conv.pad = 1;
    conv.bias = &mWeights.convOut.bias;
    return ops::conv2d(b, normed, mWeights.convOut.weight, s.output, conv);
}

// conv_in and the input blocks, each output kept as a skip connection.
Status UNet::recordDown(vk::CommandBatch& b)
{
    UNetState& s = *mState;
    const int groups = mConfig.normGroups;
    ops::Conv2dOptions conv;
    conv.pad = 1;
    conv.bias = &mWeights.convIn.bias;
    ATELIER_TRY(ops::conv2d(b, s.input, mWeights.convIn.weight, s.skips[0], conv));
    size_t skip = 1, block = 0;
    for (int level = 0; level < mConfig.levels(); ++level) {
        for (int j = 0; j < mConfig.resBlocks; ++j, ++block) {
            const UNetBlockWeights& w = mWeights.down[block];
            const ops::Tensor& in = s.skips[skip - 1];
            ops::Tensor& out = s.skips[skip++];
            if (!w.transformer) {
                ATELIER_TRY(recordResBlock(b, w.res, groups, in, out, s));
                continue;
            }
            ATELIER_ASSIGN(ops::Tensor res, levelView(s.stream[0], level, w.res.outChannels));
            ATELIER_TRY(recordResBlock(b, w.res, groups, in, res, s));
            ATELIER_TRY(recordSpatialTransformer(b, *w.transformer, groups, res, out, s));
        }
        if (level + 1 < mConfig.levels()) {
            const ConvWeights& down = mWeights.downsamplers[size_t(level)];
            conv.stride = 2;
            conv.bias = &down.bias;
            ATELIER_TRY(ops::conv2d(b, s.skips[skip - 1], down.weight, s.skips[skip], conv));
            ++skip;
        }
    }
    return {};
}

// The output blocks: each takes [h | the latest skip]; h lives in stream[0], or in stream[1] after
// an upsample, and ends as the level 0 activation.
Status UNet::recordUp(vk::CommandBatch& b, ops::Tensor& h)
{
    UNetState& s = *mState;
    const int groups = mConfig.normGroups;
    size_t skip = s.skips.size(), block = 0;
    for (int i = 0; i < mConfig.levels(); ++i) {
        const int level = mConfig.levels() - 1 - i;
        for (int j = 0; j <= mConfig.resBlocks; ++j, ++block) {
            const UNetBlockWeights& w = mWeights.up[block];
            ATELIER_ASSIGN(ops::Tensor joined, levelView(s.concat, level, w.res.inChannels));
            ATELIER_TRY(ops::concatChannels(b, h, s.skips[--skip], joined));
            ATELIER_ASSIGN(h, levelView(s.stream[0], level, w.res.outChannels));
            if (!w.transformer) {
                ATELIER_TRY(recordResBlock(b, w.res, groups, joined, h, s));
                continue;
            }
            ATELIER_ASSIGN(ops::Tensor res, levelView(s.stream[1], level, w.res.outChannels));
            ATELIER_TRY(recordResBlock(b, w.res, groups, joined, res, s));
            ATELIER_TRY(recordSpatialTransformer(b, *w.transformer, groups, res, h, s));
        }
        if (level > 0) {
            const ConvWeights& up = mWeights.upsamplers[size_t(i)];
            ATELIER_ASSIGN(ops::Tensor upsampled, levelView(s.stream[1], level - 1, mConfig.channels(level)));
            ops::Conv2dOptions conv;
            conv.pad = 1;
            conv.upsample = true;
            conv.bias = &up.bias;
            ATELIER_TRY(ops::conv2d(b, h, up.weight, upsampled, conv));
            h = std::move(upsampled);
        }
    }
    return {};
}

} // namespace atelier::diffusion

#include "diffusion/unet_state.h"

#include "diffusion/unet_weights.h"
#include "ops/group_norm.h"
#include "ops/sequence_attention.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::diffusion {

namespace {

constexpr int64_t kMaxAttentionScores = int64_t(16) << 20;

// The largest element counts each scratch role takes over the whole network.
struct Sizes {
    int64_t normed = 0;     // a GroupNorm's output: a res block's input or output, a transformer's input
    int64_t concat = 0;     // an up block's input
    int64_t resOut = 0;     // hidden, shortcut: a res block's output width
    int64_t stream = 0;     // res block, transformer and upsampler outputs outside the skips
    int64_t tokens = 0;     // tokens, query, key, value, attention
    int64_t cross = 0;      // crossKey, crossValue
    int64_t scores = 0;     // every score of one image's self-attention (or cross-attention)
    int64_t widest = 0;     // the most channels a GroupNorm normalises
    int64_t timeBias = 0;

    void res(const ResBlockWeights& r, int64_t pixels, const UNetShape& s)
    {
        normed = std::max(normed, pixels * std::max(r.inChannels, r.outChannels));
        widest = std::max({widest, int64_t(r.inChannels), int64_t(r.outChannels)});
        resOut = std::max(resOut, pixels * r.outChannels);
        stream = std::max(stream, pixels * r.outChannels);
        timeBias = std::max(timeBias, int64_t(s.batch) * r.outChannels);
    }
    void transformer(const SpatialTransformerWeights& t, int64_t pixels, const UNetShape& s)
    {
        tokens = std::max(tokens, pixels * t.channels);
        cross = std::max(cross, int64_t(s.batch) * s.contextTokens * t.channels);
        const int64_t n = pixels / s.batch;
        scores = std::max({scores, ops::sequenceAttentionWorkspaceElements(n, n, t.heads),
                           ops::sequenceAttentionWorkspaceElements(n, s.contextTokens, t.heads)});
    }
    void block(const UNetBlockWeights& b, int64_t pixels, const UNetShape& s)
    {
        res(b.res, pixels, s);
        if (b.transformer)
            transformer(*b.transformer, pixels, s);
    }
};

} // namespace

Result<UNetState> UNetState::create(vk::Device& device, const UNetConfig& config, const UNetWeights& weights,
                                    const UNetShape& shape)
{
    const int64_t b = shape.batch;
    auto heightAt = [&](int level) { return int64_t(shape.height >> level); };
    auto widthAt = [&](int level) { return int64_t(shape.width >> level); };
    auto pixelsAt = [&](int level) { return b * heightAt(level) * widthAt(level); };

    Sizes sizes;
    sizes.normed = pixelsAt(0) * config.modelChannels; // conv_out's GroupNorm
    for (const UNetBlockWeights& block : weights.down)
        sizes.block(block, pixelsAt(block.level), shape);
    for (const UNetBlockWeights& block : weights.up) {
        sizes.block(block, pixelsAt(block.level), shape);
        sizes.concat = std::max(sizes.concat, pixelsAt(block.level) * block.res.inChannels);
        if (block.level > 0) // its level's upsampler writes the next level's size at this width
            sizes.stream = std::max(sizes.stream, pixelsAt(block.level - 1) * block.res.outChannels);
    }
    const int deepest = config.levels() - 1;
    sizes.res(weights.midRes1, pixelsAt(deepest), shape);
    sizes.res(weights.midRes2, pixelsAt(deepest), shape);
    sizes.transformer(weights.midTransformer, pixelsAt(deepest), shape);

    // GroupNorm normalises each image within one binding (ops/group_norm.h).
    const uint64_t imageBytes = uint64_t(sizes.normed / b) * sizeof(float);
    const uint64_t room = device.info().maxStorageBufferRange - device.allocator().alignment();
    if (imageBytes > room)
        return makeError(ErrorCode::Unsupported,
                         "UNet: latents of " + std::to_string(shape.width) + "x" + std::to_string(shape.height) +
                             " need GroupNorm over " + std::to_string(imageBytes >> 20) +
                             " MiB per image, more than this device binds at once (" + std::to_string(room >> 20) +
                             " MiB): choose a smaller size");

    UNetState s;
    s.shape = shape;
    auto make = [&](ops::Tensor& t, std::vector<int64_t> dims) -> Status {
        ATELIER_ASSIGN(t, ops::Tensor::create(device, DType::F32, std::move(dims)));
        s.bytes += t.bytes();
        return {};
    };
    ATELIER_TRY(make(s.timesteps, {b}));
    ATELIER_TRY(make(s.timeSinusoid, {b, config.modelChannels}));
    ATELIER_TRY(make(s.timeHidden, {b, config.timeEmbedDim}));
    ATELIER_TRY(make(s.timeEmbedding, {b, config.timeEmbedDim}));
    ATELIER_TRY(make(s.timeBias, {sizes.timeBias}));
    ATELIER_TRY(make(s.input, {b, shape.height, shape.width, config.inChannels}));
    ATELIER_TRY(make(s.context, {b, shape.contextTokens, 1, config.contextDim}));
    if (shape.contexts > 1) {
        s.regionContexts.resize(size_t(shape.contexts - 1));
        for (ops::Tensor& t : s.regionContexts)
            ATELIER_TRY(make(t, {b, shape.contextTokens, 1, config.contextDim}));
        s.regionMasks.resize(size_t(config.levels() * shape.contexts));
        for (int level = 0; level < config.levels(); ++level)
            for (int i = 0; i < shape.contexts; ++i)
                ATELIER_TRY(make(s.regionMasks[size_t(level * shape.contexts + i)], {heightAt(level) * widthAt(level)}));
    }
    ATELIER_TRY(make(s.output, {b, shape.height, shape.width, config.outChannels}));

    // Skips in the order the input blocks write them.
    s.skips.resize(1 + weights.down.size() + weights.downsamplers.size());
    size_t skip = 0;
    ATELIER_TRY(make(s.skips[skip++], {b, heightAt(0), widthAt(0), config.modelChannels}));
    for (int level = 0; level < config.levels(); ++level) {
        for (int j = 0; j < config.resBlocks; ++j)
            ATELIER_TRY(make(s.skips[skip++], {b, heightAt(level), widthAt(level), config.channels(level)}));
        if (level < deepest)
            ATELIER_TRY(make(s.skips[skip++], {b, heightAt(level + 1), widthAt(level + 1), config.channels(level)}));
    }

    ATELIER_TRY(make(s.stream[0], {sizes.stream}));
    ATELIER_TRY(make(s.stream[1], {sizes.stream}));
    ATELIER_TRY(make(s.concat, {sizes.concat}));
    ATELIER_TRY(make(s.normed, {sizes.normed}));
    ATELIER_TRY(make(s.hidden, {sizes.resOut}));
    ATELIER_TRY(make(s.shortcut, {sizes.resOut}));
    for (ops::Tensor* t : {&s.tokens, &s.query, &s.key, &s.value, &s.attention})
        ATELIER_TRY(make(*t, {sizes.tokens}));
    ATELIER_TRY(make(s.crossKey, {sizes.cross}));
    ATELIER_TRY(make(s.crossValue, {sizes.cross}));
    ATELIER_TRY(make(s.feedForward, {8 * sizes.tokens}));
    ATELIER_TRY(make(s.gated, {4 * sizes.tokens}));
    // CPU devices: attention through a workspace of scores (ops/sequence_attention.h), at most
    // 64 MiB of them at a time (a 512 x 512 picture's 8 heads of 4096 x 4096 go 512 queries at once).
    if (device.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU) {
        ATELIER_TRY(make(s.attentionScores, {std::min<int64_t>(sizes.scores, kMaxAttentionScores)}));
        // GroupNorm's passes without shared memory (ops/group_norm.h), sized for the largest.
        const uint64_t statistics = ops::groupNormStatisticsElements(
            device, DType::F32, uint64_t(heightAt(0) * widthAt(0)), uint64_t(std::max<int64_t>(sizes.widest, config.modelChannels)),
            uint32_t(config.normGroups), 0, uint64_t(b));
        ATELIER_TRY(make(s.normStatistics, {int64_t(statistics)}));
    }
    return s;
}

} // namespace atelier::diffusion

#include "diffusion/unet_state.h"

#include "diffusion/unet_weights.h"

#include <algorithm>

namespace atelier::diffusion {

namespace {

// The largest element counts each scratch role takes over the whole network.
struct Sizes {
    int64_t activation = 0; // stream, concat, normed, hidden, shortcut
    int64_t tokens = 0;     // tokens, query, key, value, attention
    int64_t cross = 0;      // crossKey, crossValue
    int64_t timeBias = 0;

    void block(const UNetBlockWeights& b, int64_t pixels, const UNetShape& s)
    {
        activation = std::max(activation, pixels * std::max(b.res.inChannels, b.res.outChannels));
        timeBias = std::max(timeBias, int64_t(s.batch) * b.res.outChannels);
        if (b.transformer)
            transformer(*b.transformer, pixels, s);
    }
    void transformer(const SpatialTransformerWeights& t, int64_t pixels, const UNetShape& s)
    {
        tokens = std::max(tokens, pixels * t.channels);
        cross = std::max(cross, int64_t(s.batch) * s.contextTokens * t.channels);
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
    sizes.activation = pixelsAt(0) * config.modelChannels;
    for (const UNetBlockWeights& block : weights.down)
        sizes.block(block, pixelsAt(block.level), shape);
    for (const UNetBlockWeights& block : weights.up) {
        sizes.block(block, pixelsAt(block.level), shape);
        if (block.level > 0) // its upsampler's output
            sizes.activation = std::max(sizes.activation, pixelsAt(block.level - 1) * block.res.outChannels);
    }
    const int deepest = config.levels() - 1;
    sizes.transformer(weights.midTransformer, pixelsAt(deepest), shape);
    sizes.timeBias = std::max(sizes.timeBias, b * weights.midRes1.outChannels);

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

    for (ops::Tensor* t : {&s.stream[0], &s.stream[1], &s.concat, &s.normed, &s.hidden, &s.shortcut})
        ATELIER_TRY(make(*t, {sizes.activation}));
    for (ops::Tensor* t : {&s.tokens, &s.query, &s.key, &s.value, &s.attention})
        ATELIER_TRY(make(*t, {sizes.tokens}));
    ATELIER_TRY(make(s.crossKey, {sizes.cross}));
    ATELIER_TRY(make(s.crossValue, {sizes.cross}));
    ATELIER_TRY(make(s.feedForward, {8 * sizes.tokens}));
    ATELIER_TRY(make(s.gated, {4 * sizes.tokens}));
    return s;
}

} // namespace atelier::diffusion

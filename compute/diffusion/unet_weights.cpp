// Binding the UNet's tensors by their CompVis names (checkpoint_names.h has the diffusers names).

#include "diffusion/unet_weights.h"

#include <string>

namespace atelier::diffusion {

namespace {

std::string at(const std::string& prefix, int index) { return prefix + std::to_string(index) + "."; }

Result<ProjectionWeights> bindProjection(WeightBinder& binder, const std::string& name, int64_t out, int64_t in,
                                         bool bias)
{
    ATELIER_ASSIGN(LinearWeights linear, binder.linear(name, out, in, false));
    ProjectionWeights p;
    p.weight = std::move(linear.weight);
    p.weight.shape = {out, 1, 1, in};
    if (bias) {
        ATELIER_ASSIGN(ops::Tensor b, binder.tensor(name + ".bias", {out}, p.weight.dtype));
        p.bias = std::move(b);
    }
    return p;
}

Result<ResBlockWeights> bindResBlock(WeightBinder& binder, const std::string& name, int in, int out, int timeDim)
{
    ResBlockWeights r;
    r.inChannels = in;
    r.outChannels = out;
    ATELIER_ASSIGN(r.norm1, binder.norm(name + "in_layers.0", in));
    ATELIER_ASSIGN(r.conv1, binder.conv(name + "in_layers.2", out, in, 3));
    ATELIER_ASSIGN(r.timeProjection, binder.linear(name + "emb_layers.1", out, timeDim));
    ATELIER_ASSIGN(r.norm2, binder.norm(name + "out_layers.0", out));
    ATELIER_ASSIGN(r.conv2, binder.conv(name + "out_layers.3", out, out, 3));
    if (in != out) {
        ATELIER_ASSIGN(ConvWeights skip, binder.conv(name + "skip_connection", out, in, 1));
        r.skip = std::move(skip);
    }
    return r;
}

Result<TransformerBlockWeights> bindTransformerBlock(WeightBinder& binder, const std::string& name, int c,
                                                     int context)
{
    TransformerBlockWeights t;
    ATELIER_ASSIGN(t.norm1, binder.norm(name + "norm1", c));
    ATELIER_ASSIGN(t.selfQ, bindProjection(binder, name + "attn1.to_q", c, c, false));
    ATELIER_ASSIGN(t.selfK, bindProjection(binder, name + "attn1.to_k", c, c, false));
    ATELIER_ASSIGN(t.selfV, bindProjection(binder, name + "attn1.to_v", c, c, false));
    ATELIER_ASSIGN(t.selfOut, bindProjection(binder, name + "attn1.to_out.0", c, c, true));
    ATELIER_ASSIGN(t.norm2, binder.norm(name + "norm2", c));
    ATELIER_ASSIGN(t.crossQ, bindProjection(binder, name + "attn2.to_q", c, c, false));
    ATELIER_ASSIGN(t.crossK, bindProjection(binder, name + "attn2.to_k", c, context, false));
    ATELIER_ASSIGN(t.crossV, bindProjection(binder, name + "attn2.to_v", c, context, false));
    ATELIER_ASSIGN(t.crossOut, bindProjection(binder, name + "attn2.to_out.0", c, c, true));
    ATELIER_ASSIGN(t.norm3, binder.norm(name + "norm3", c));
    ATELIER_ASSIGN(t.feedForwardIn, bindProjection(binder, name + "ff.net.0.proj", 8 * int64_t(c), c, true));
    ATELIER_ASSIGN(t.feedForwardOut, bindProjection(binder, name + "ff.net.2", c, 4 * int64_t(c), true));
    return t;
}

Result<SpatialTransformerWeights> bindTransformer(WeightBinder& binder, const std::string& name,
                                                  const UNetConfig& config, int c, int heads)
{
    SpatialTransformerWeights s;
    s.channels = c;
    s.heads = heads;
    ATELIER_ASSIGN(s.norm, binder.norm(name + "norm", c));
    ATELIER_ASSIGN(s.projectIn, bindProjection(binder, name + "proj_in", c, c, true));
    for (int d = 0; d < config.transformerDepth; ++d) {
        ATELIER_ASSIGN(TransformerBlockWeights block,
                       bindTransformerBlock(binder, at(name + "transformer_blocks.", d), c, config.contextDim));
        s.blocks.push_back(std::move(block));
    }
    ATELIER_ASSIGN(s.projectOut, bindProjection(binder, name + "proj_out", c, c, true));
    return s;
}

// A res block (and its transformer on attention levels) at output_blocks.k / input_blocks.k.
Result<UNetBlockWeights> bindBlock(WeightBinder& binder, const std::string& name, const UNetConfig& config,
                                   int level, int in)
{
    UNetBlockWeights b;
    b.level = level;
    const int c = config.channels(level);
    ATELIER_ASSIGN(b.res, bindResBlock(binder, name + "0.", in, c, config.timeEmbedDim));
    if (config.attention[size_t(level)]) {
        ATELIER_ASSIGN(SpatialTransformerWeights t,
                       bindTransformer(binder, name + "1.", config, c, config.heads[size_t(level)]));
        b.transformer = std::move(t);
    }
    return b;
}

} // namespace

Result<UNetWeights> bindUNetWeights(WeightBinder& binder, const UNetConfig& config)
{
    const int levels = config.levels(), r = config.resBlocks;
    UNetWeights w;
    ATELIER_ASSIGN(w.timeLinear1, binder.linear("time_embed.0", config.timeEmbedDim, config.modelChannels));
    ATELIER_ASSIGN(w.timeLinear2, binder.linear("time_embed.2", config.timeEmbedDim, config.timeEmbedDim));
    ATELIER_ASSIGN(w.convIn, binder.conv("input_blocks.0.0", config.modelChannels, config.inChannels, 3));

    // Going down, the skip connections' widths are pushed; going up they are popped.
    std::vector<int> skips{config.modelChannels};
    int ch = config.modelChannels;
    for (int level = 0; level < levels; ++level) {
        for (int j = 0; j < r; ++j) {
            ATELIER_ASSIGN(UNetBlockWeights block,
                           bindBlock(binder, at("input_blocks.", 1 + level * (r + 1) + j), config, level, ch));
            w.down.push_back(std::move(block));
            ch = config.channels(level);
            skips.push_back(ch);
        }
        if (level + 1 < levels) {
            ATELIER_ASSIGN(ConvWeights down, binder.conv(at("input_blocks.", (level + 1) * (r + 1)) + "0.op", ch, ch, 3));
            w.downsamplers.push_back(std::move(down));
            skips.push_back(ch);
        }
    }
    ATELIER_ASSIGN(w.midRes1, bindResBlock(binder, "middle_block.0.", ch, ch, config.timeEmbedDim));
    ATELIER_ASSIGN(w.midTransformer, bindTransformer(binder, "middle_block.1.", config, ch, config.midHeads));
    ATELIER_ASSIGN(w.midRes2, bindResBlock(binder, "middle_block.2.", ch, ch, config.timeEmbedDim));

    for (int i = 0; i < levels; ++i) {
        const int level = levels - 1 - i;
        for (int j = 0; j <= r; ++j) {
            const int in = ch + skips.back();
            skips.pop_back();
            ATELIER_ASSIGN(UNetBlockWeights block,
                           bindBlock(binder, at("output_blocks.", i * (r + 1) + j), config, level, in));
            w.up.push_back(std::move(block));
            ch = config.channels(level);
        }
        if (level > 0) {
            const int slot = config.attention[size_t(level)] ? 2 : 1;
            ATELIER_ASSIGN(ConvWeights upsample,
                           binder.conv(at(at("output_blocks.", i * (r + 1) + r), slot) + "conv", ch, ch, 3));
            w.upsamplers.push_back(std::move(upsample));
        }
    }
    ATELIER_ASSIGN(w.outNorm, binder.norm("out.0", config.modelChannels));
    ATELIER_ASSIGN(w.convOut, binder.conv("out.2", config.outChannels, config.modelChannels, 3));
    return w;
}

} // namespace atelier::diffusion

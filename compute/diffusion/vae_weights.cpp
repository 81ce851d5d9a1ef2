#include "diffusion/vae_weights.h"

#include <string>

namespace atelier::diffusion {

namespace {

int levelChannels(const VaeConfig& c, int level) { return c.baseChannels * c.channelMult[size_t(level)]; }

Result<VaeResBlockWeights> bindResBlock(WeightBinder& b, const std::string& name, int in, int out)
{
    VaeResBlockWeights w;
    w.inChannels = in;
    w.outChannels = out;
    ATELIER_ASSIGN(w.norm1, b.norm(name + ".norm1", in));
    ATELIER_ASSIGN(w.conv1, b.conv(name + ".conv1", out, in, 3));
    ATELIER_ASSIGN(w.norm2, b.norm(name + ".norm2", out));
    ATELIER_ASSIGN(w.conv2, b.conv(name + ".conv2", out, out, 3));
    if (in != out) {
        ATELIER_ASSIGN(ConvWeights shortcut, b.conv(name + ".nin_shortcut", out, in, 1));
        w.shortcut = std::move(shortcut);
    }
    return w;
}

Result<VaeMidWeights> bindMid(WeightBinder& b, const std::string& side, int c)
{
    VaeMidWeights w;
    const std::string mid = side + ".mid.";
    ATELIER_ASSIGN(w.block1, bindResBlock(b, mid + "block_1", c, c));
    w.attention.channels = c;
    ATELIER_ASSIGN(w.attention.norm, b.norm(mid + "attn_1.norm", c));
    ATELIER_ASSIGN(w.attention.q, b.conv(mid + "attn_1.q", c, c, 1));
    ATELIER_ASSIGN(w.attention.k, b.conv(mid + "attn_1.k", c, c, 1));
    ATELIER_ASSIGN(w.attention.v, b.conv(mid + "attn_1.v", c, c, 1));
    ATELIER_ASSIGN(w.attention.projOut, b.conv(mid + "attn_1.proj_out", c, c, 1));
    ATELIER_ASSIGN(w.block2, bindResBlock(b, mid + "block_2", c, c));
    return w;
}

} // namespace

Result<VaeEncoderWeights> bindVaeEncoder(WeightBinder& b, const VaeConfig& config)
{
    const int levels = int(config.channelMult.size()), z = config.latentChannels;
    VaeEncoderWeights w;
    ATELIER_ASSIGN(w.convIn, b.conv("encoder.conv_in", config.baseChannels, config.imageChannels, 3));
    int channels = config.baseChannels;
    for (int i = 0; i < levels; ++i) {
        const std::string level = "encoder.down." + std::to_string(i);
        VaeEncoderLevel l;
        for (int j = 0; j < config.resBlocks; ++j) {
            ATELIER_ASSIGN(VaeResBlockWeights block,
                           bindResBlock(b, level + ".block." + std::to_string(j), channels, levelChannels(config, i)));
            l.blocks.push_back(std::move(block));
            channels = levelChannels(config, i);
        }
        if (i + 1 < levels) {
            ATELIER_ASSIGN(ConvWeights down, b.conv(level + ".downsample.conv", channels, channels, 3));
            l.downsample = std::move(down);
        }
        w.levels.push_back(std::move(l));
    }
    ATELIER_ASSIGN(w.mid, bindMid(b, "encoder", channels));
    ATELIER_ASSIGN(w.normOut, b.norm("encoder.norm_out", channels));
    ATELIER_ASSIGN(w.convOut, b.conv("encoder.conv_out", 2 * z, channels, 3));
    ATELIER_ASSIGN(w.quantConv, b.conv("quant_conv", 2 * z, 2 * z, 1));
    return w;
}

Result<VaeDecoderWeights> bindVaeDecoder(WeightBinder& b, const VaeConfig& config)
{
    const int levels = int(config.channelMult.size()), z = config.latentChannels;
    VaeDecoderWeights w;
    ATELIER_ASSIGN(w.postQuantConv, b.conv("post_quant_conv", z, z, 1));
    int channels = levelChannels(config, levels - 1);
    ATELIER_ASSIGN(w.convIn, b.conv("decoder.conv_in", channels, z, 3));
    ATELIER_ASSIGN(w.mid, bindMid(b, "decoder", channels));
    w.levels.resize(size_t(levels));
    for (int i = levels - 1; i >= 0; --i) {
        const std::string level = "decoder.up." + std::to_string(i);
        VaeDecoderLevel& l = w.levels[size_t(i)];
        for (int j = 0; j <= config.resBlocks; ++j) {
            ATELIER_ASSIGN(VaeResBlockWeights block,
                           bindResBlock(b, level + ".block." + std::to_string(j), channels, levelChannels(config, i)));
            l.blocks.push_back(std::move(block));
            channels = levelChannels(config, i);
        }
        if (i > 0) {
            ATELIER_ASSIGN(ConvWeights up, b.conv(level + ".upsample.conv", channels, channels, 3));
            l.upsample = std::move(up);
        }
    }
    ATELIER_ASSIGN(w.normOut, b.norm("decoder.norm_out", channels));
    ATELIER_ASSIGN(w.convOut, b.conv("decoder.conv_out", config.imageChannels, channels, 3));
    return w;
}

} // namespace atelier::diffusion

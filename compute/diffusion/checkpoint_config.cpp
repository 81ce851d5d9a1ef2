// Configuration of the UNet, VAE and text encoder read off canonical tensor shapes.

#include "diffusion/checkpoint_config.h"

#include "diffusion/checkpoint_tensors.h"
#include "io/safetensors.h"

namespace atelier::diffusion {

namespace {

// Far beyond SD (4 levels, 12 input blocks, 24 text layers): keeps the walks bounded.
constexpr int kMaxBlocks = 256;
// Widths beyond any real model; the derived sizes then fit int comfortably.
constexpr int64_t kMaxWidth = 1 << 20;
// Resolution levels of a UNet or VAE (SD has 4; each halves the image).
constexpr int kMaxLevels = 8;

Error formatError(std::string message) { return makeError(ErrorCode::Format, std::move(message)); }

// Shape lookups that fail with a message naming the tensor.
class Shapes {
public:
    Shapes(const TensorTable& tensors, std::string_view prefix, const char* network)
        : mTensors(tensors), mPrefix(prefix), mNetwork(network) {}

    bool has(const std::string& name) const { return mTensors.find(mPrefix + name) != nullptr; }
    bool hasPrefix(const std::string& prefix) const { return mTensors.hasPrefix(mPrefix + prefix); }

    // The shape of `name`, which must have `rank` dimensions each in 1..kMaxWidth.
    Result<std::vector<int64_t>> get(const std::string& name, size_t rank) const
    {
        const std::vector<int64_t>* shape = mTensors.shape(mPrefix + name);
        if (!shape)
            return formatError(std::string(mNetwork) + ": tensor '" + mPrefix + name + "' is missing");
        if (shape->size() != rank)
            return formatError(std::string(mNetwork) + ": tensor '" + mPrefix + name + "' has shape " +
                               io::formatShape(*shape) + ", expected " + std::to_string(rank) + " dimensions");
        for (int64_t d : *shape)
            if (d < 1 || d > kMaxWidth)
                return formatError(std::string(mNetwork) + ": tensor '" + mPrefix + name + "' has shape " +
                                   io::formatShape(*shape) + ", with a dimension outside 1.." +
                                   std::to_string(kMaxWidth));
        return *shape;
    }

    // Dimension `dim` of `name`, any rank.
    Result<int> dim(const std::string& name, size_t dim) const
    {
        const std::vector<int64_t>* shape = mTensors.shape(mPrefix + name);
        if (!shape)
            return formatError(std::string(mNetwork) + ": tensor '" + mPrefix + name + "' is missing");
        if (shape->size() <= dim || (*shape)[dim] < 1 || (*shape)[dim] > kMaxWidth)
            return formatError(std::string(mNetwork) + ": tensor '" + mPrefix + name + "' has shape " +
                               io::formatShape(*shape) + ", which has no usable dimension " + std::to_string(dim));
        return int((*shape)[dim]);
    }

    Error error(const std::string& message) const { return formatError(std::string(mNetwork) + ": " + message); }

private:
    const TensorTable& mTensors;
    std::string mPrefix;
    const char* mNetwork;
};

Result<int> multiplier(const Shapes& s, int channels, int base, const std::string& where)
{
    if (channels % base != 0)
        return s.error(where + " has " + std::to_string(channels) + " channels, not a multiple of the base width " +
                       std::to_string(base));
    return channels / base;
}

// Transformer blocks of the spatial transformer at `block` ("input_blocks.1.1.").
int transformerDepth(const Shapes& s, const std::string& block)
{
    int depth = 0;
    while (depth < kMaxBlocks && s.hasPrefix(block + "transformer_blocks." + std::to_string(depth) + "."))
        ++depth;
    return depth;
}

} // namespace

Result<UNetConfig> deriveUNetConfig(const TensorTable& tensors)
{
    const Shapes s(tensors, std::string(kUNetPrefix), "UNet");
    UNetConfig c;
    ATELIER_ASSIGN(const auto convIn, s.get("input_blocks.0.0.weight", 4));
    c.modelChannels = int(convIn[0]);
    c.inChannels = int(convIn[1]);
    ATELIER_ASSIGN(c.outChannels, s.dim("out.2.weight", 0));
    ATELIER_ASSIGN(c.timeEmbedDim, s.dim("time_embed.0.weight", 0));

    // Input blocks: res blocks (with a transformer on attention levels), then a downsample
    // between levels.
    std::vector<int> perLevel{0};
    std::string firstAttention;
    int block = 1;
    for (; block < kMaxBlocks && s.hasPrefix("input_blocks." + std::to_string(block) + "."); ++block) {
        const std::string name = "input_blocks." + std::to_string(block) + ".";
        if (s.has(name + "0.op.weight")) {
            if (perLevel.back() == 0)
                return s.error("input block " + std::to_string(block) + " downsamples a level without res blocks");
            perLevel.push_back(0);
            continue;
        }
        ATELIER_ASSIGN(const int channels, s.dim(name + "0.in_layers.2.weight", 0));
        ATELIER_ASSIGN(const int mult, multiplier(s, channels, c.modelChannels, "input block " + std::to_string(block)));
        const bool attention = s.has(name + "1.proj_in.weight");
        const size_t level = perLevel.size() - 1;
        if (perLevel.back() == 0) {
            c.channelMult.push_back(mult);
            c.attention.push_back(attention);
        } else if (c.channelMult[level] != mult || c.attention[level] != attention) {
            return s.error("input block " + std::to_string(block) + " differs from the others of level " +
                           std::to_string(level) + " in width or attention");
        }
        if (attention && firstAttention.empty())
            firstAttention = name + "1.";
        ++perLevel.back();
    }
    if (c.channelMult.size() != perLevel.size())
        return s.error("input blocks end with a downsample, or a level has no res block");
    if (c.levels() > kMaxLevels)
        return s.error(std::to_string(c.levels()) + " levels (at most " + std::to_string(kMaxLevels) + " supported)");
    c.resBlocks = perLevel[0];
    for (size_t level = 1; level < perLevel.size(); ++level)
        if (perLevel[level] != c.resBlocks)
            return s.error("level " + std::to_string(level) + " has " + std::to_string(perLevel[level]) +
                           " res blocks but level 0 has " + std::to_string(c.resBlocks));

    const int outputBlocks = c.levels() * (c.resBlocks + 1);
    if (!s.has("output_blocks." + std::to_string(outputBlocks - 1) + ".0.in_layers.2.weight") ||
        s.hasPrefix("output_blocks." + std::to_string(outputBlocks) + "."))
        return s.error("expected " + std::to_string(outputBlocks) + " output blocks for " +
                       std::to_string(c.levels()) + " levels of " + std::to_string(c.resBlocks) + " res blocks");
    ATELIER_TRY(s.dim("middle_block.0.in_layers.2.weight", 0));
    ATELIER_TRY(s.dim("middle_block.2.in_layers.2.weight", 0));
    if (!s.has("middle_block.1.proj_in.weight"))
        return s.error("the middle block has no spatial transformer ('" + std::string(kUNetPrefix) +
                       "middle_block.1.proj_in.weight' is missing)");
    if (firstAttention.empty())
        firstAttention = "middle_block.1.";

    c.transformerDepth = transformerDepth(s, firstAttention);
    if (c.transformerDepth == 0 || transformerDepth(s, "middle_block.1.") != c.transformerDepth)
        return s.error("spatial transformers of different depths (SDXL-style) are not supported");
    ATELIER_ASSIGN(c.contextDim, s.dim(firstAttention + "transformer_blocks.0.attn2.to_k.weight", 1));
    // proj_in exists: the block was chosen by it.
    const size_t projRank = tensors.shape(std::string(kUNetPrefix) + firstAttention + "proj_in.weight")->size();
    if (projRank != 2 && projRank != 4)
        return s.error("proj_in of " + firstAttention + " has " + std::to_string(projRank) +
                       " dimensions (2 for linear, 4 for 1x1 convolution)");
    c.linearProjection = projRank == 2;
    c.heads.assign(c.channelMult.size(), 0);
    return c;
}

Result<VaeConfig> deriveVaeConfig(const TensorTable& tensors)
{
    const Shapes s(tensors, std::string(kVaePrefix), "VAE");
    VaeConfig c;
    ATELIER_ASSIGN(const auto convIn, s.get("encoder.conv_in.weight", 4));
    c.baseChannels = int(convIn[0]);
    c.imageChannels = int(convIn[1]);
    ATELIER_ASSIGN(c.latentChannels, s.dim("decoder.conv_in.weight", 1));
    ATELIER_ASSIGN(const int moments, s.dim("encoder.conv_out.weight", 0));
    if (moments != 2 * c.latentChannels)
        return s.error("the encoder emits " + std::to_string(moments) + " channels but the decoder reads " +
                       std::to_string(c.latentChannels) + " (expected twice as many: mean and log-variance)");
    ATELIER_ASSIGN(const int imageOut, s.dim("decoder.conv_out.weight", 0));
    if (imageOut != c.imageChannels)
        return s.error("the decoder emits " + std::to_string(imageOut) + " image channels, the encoder reads " +
                       std::to_string(c.imageChannels));

    int levels = 0;
    while (levels < kMaxBlocks && s.hasPrefix("encoder.down." + std::to_string(levels) + "."))
        ++levels;
    for (c.resBlocks = 0; c.resBlocks < kMaxBlocks &&
                          s.hasPrefix("encoder.down.0.block." + std::to_string(c.resBlocks) + ".");)
        ++c.resBlocks;
    if (levels == 0 || c.resBlocks == 0)
        return s.error("the encoder has no down blocks ('" + std::string(kVaePrefix) +
                       "encoder.down.0.block.0.*' is missing)");
    if (levels > kMaxLevels)
        return s.error(std::to_string(levels) + " levels (at most " + std::to_string(kMaxLevels) + " supported)");
    for (int level = 0; level < levels; ++level) {
        const std::string down = "encoder.down." + std::to_string(level) + ".";
        ATELIER_ASSIGN(const int channels, s.dim(down + "block.0.conv1.weight", 0));
        ATELIER_ASSIGN(const int mult, multiplier(s, channels, c.baseChannels, "encoder level " + std::to_string(level)));
        c.channelMult.push_back(mult);
        if (s.hasPrefix(down + "block." + std::to_string(c.resBlocks) + ".") ||
            !s.hasPrefix(down + "block." + std::to_string(c.resBlocks - 1) + "."))
            return s.error("encoder level " + std::to_string(level) + " does not have " +
                           std::to_string(c.resBlocks) + " res blocks like level 0");
        const std::string up = "decoder.up." + std::to_string(level) + ".";
        if (!s.hasPrefix(up + "block." + std::to_string(c.resBlocks) + ".") ||
            s.hasPrefix(up + "block." + std::to_string(c.resBlocks + 1) + "."))
            return s.error("decoder level " + std::to_string(level) + " does not have " +
                           std::to_string(c.resBlocks + 1) + " res blocks");
        if (s.has(down + "downsample.conv.weight") != (level + 1 < levels))
            return s.error("encoder level " + std::to_string(level) + " should " +
                           (level + 1 < levels ? "" : "not ") + "downsample");
    }
    if (s.hasPrefix("decoder.up." + std::to_string(levels) + "."))
        return s.error("the decoder has more levels than the encoder's " + std::to_string(levels));
    for (const char* part : {"encoder.mid.block_1.conv1.weight", "encoder.mid.attn_1.q.weight",
                             "decoder.mid.block_1.conv1.weight", "decoder.mid.attn_1.q.weight"})
        ATELIER_TRY(s.dim(part, 0));
    return c;
}

Result<TextEncoderConfig> deriveTextEncoderConfig(const TensorTable& tensors)
{
    const Shapes s(tensors, std::string(kTextPrefix), "text encoder");
    TextEncoderConfig c;
    ATELIER_ASSIGN(const auto tokens, s.get("embeddings.token_embedding.weight", 2));
    c.vocabSize = int(tokens[0]);
    c.width = int(tokens[1]);
    ATELIER_ASSIGN(const auto positions, s.get("embeddings.position_embedding.weight", 2));
    c.maxPositions = int(positions[0]);
    if (positions[1] != c.width)
        return s.error("position embeddings are " + std::to_string(positions[1]) + " wide, tokens " +
                       std::to_string(c.width));
    c.layers = 0;
    while (c.layers < kMaxBlocks && s.hasPrefix("encoder.layers." + std::to_string(c.layers) + "."))
        ++c.layers;
    if (c.layers == 0)
        return s.error("no transformer layers ('" + std::string(kTextPrefix) + "encoder.layers.0.*' is missing)");
    ATELIER_ASSIGN(c.intermediate, s.dim("encoder.layers.0.mlp.fc1.weight", 0));
    ATELIER_TRY(s.dim("final_layer_norm.weight", 0));
    return c;
}

} // namespace atelier::diffusion

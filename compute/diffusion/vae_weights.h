#pragma once
// The KL autoencoder's weights (CompVis names under first_stage_model., checkpoint_names.h), bound
// for the encoder and the decoder separately so a caller that only decodes holds half of them.

#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"

#include <optional>
#include <vector>

namespace atelier::diffusion {

// ResnetBlock: norm1 + SiLU, conv1 3x3, norm2 + SiLU, conv2 3x3, plus x (through nin_shortcut, a
// 1x1 conv, when the channels change).
struct VaeResBlockWeights {
    int inChannels = 0, outChannels = 0;
    NormWeights norm1;            // [inChannels]
    ConvWeights conv1;            // [out, 3, 3, in]
    NormWeights norm2;            // [outChannels]
    ConvWeights conv2;            // [out, 3, 3, out]
    std::optional<ConvWeights> shortcut; // [out, 1, 1, in]
};

// AttnBlock: GroupNorm, then single-head attention over all pixels with 1x1-conv projections.
struct VaeAttentionWeights {
    int channels = 0;
    NormWeights norm;
    ConvWeights q, k, v, projOut; // [channels, 1, 1, channels]
};

struct VaeMidWeights {
    VaeResBlockWeights block1;
    VaeAttentionWeights attention;
    VaeResBlockWeights block2;
};

// encoder.down.i: resBlocks blocks, then a stride-2 conv on every level but the last.
struct VaeEncoderLevel {
    std::vector<VaeResBlockWeights> blocks;
    std::optional<ConvWeights> downsample; // [c, 3, 3, c]
};

// decoder.up.i: resBlocks + 1 blocks, then nearest 2x + conv on every level but level 0.
struct VaeDecoderLevel {
    std::vector<VaeResBlockWeights> blocks;
    std::optional<ConvWeights> upsample; // [c, 3, 3, c]
};

struct VaeEncoderWeights {
    ConvWeights convIn;                  // [base, 3, 3, imageChannels]
    std::vector<VaeEncoderLevel> levels; // shallowest first, as they run
    VaeMidWeights mid;
    NormWeights normOut;
    ConvWeights convOut;                 // [2 z, 3, 3, c]
    ConvWeights quantConv;               // [2 z, 1, 1, 2 z]; its first z rows give the posterior mean
};

struct VaeDecoderWeights {
    ConvWeights postQuantConv;           // [z, 1, 1, z]
    ConvWeights convIn;                  // [c, 3, 3, z]
    VaeMidWeights mid;
    std::vector<VaeDecoderLevel> levels; // levels[i] = decoder.up.i; they run from the deepest (L - 1)
    NormWeights normOut;
    ConvWeights convOut;                 // [imageChannels, 3, 3, base]
};

Result<VaeEncoderWeights> bindVaeEncoder(WeightBinder& binder, const VaeConfig& config);
Result<VaeDecoderWeights> bindVaeDecoder(WeightBinder& binder, const VaeConfig& config);

} // namespace atelier::diffusion

#pragma once
// The weights of a Stable Diffusion UNet (CompVis openaimodel / diffusers UNet2DConditionModel),
// bound from a checkpoint's canonical `model.diffusion_model.*` tensors. C is the width of the
// block's level, T = timeEmbedDim, X = contextDim. Matrices are f16 or f32 as the WeightPrecision
// says; norms f32.

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace atelier::diffusion {

// A Linear layer recorded as a 1x1 convolution, so that its bias and a residual are fused into
// the one dispatch: weight [out, 1, 1, in], bias [out] of the weight's dtype (absent for to_q/k/v).
// On lavapipe conv2d also multiplies 3x faster than matmul's tiled kernel at these shapes (2048
// tokens: 320 -> 2560 in 0.73 s against 2.1 s, 1280 -> 320 in 0.41 s against 1.3 s).
struct ProjectionWeights {
    ops::Tensor weight;
    std::optional<ops::Tensor> bias;
};

// ResBlock (diffusers ResnetBlock2D), in -> out channels.
struct ResBlockWeights {
    int inChannels = 0;
    int outChannels = 0;
    NormWeights norm1;                 // in_layers.0: GroupNorm [in]
    ConvWeights conv1;                 // in_layers.2: [out, 3, 3, in]
    LinearWeights timeProjection;      // emb_layers.1: [out, T], bias [out]
    NormWeights norm2;                 // out_layers.0: GroupNorm [out]
    ConvWeights conv2;                 // out_layers.3: [out, 3, 3, out]
    std::optional<ConvWeights> skip;   // skip_connection: [out, 1, 1, in] when in != out
};

// BasicTransformerBlock at width C.
struct TransformerBlockWeights {
    NormWeights norm1;                 // LayerNorm [C]
    ProjectionWeights selfQ, selfK, selfV; // attn1.to_q/k/v: [C, 1, 1, C], no bias
    ProjectionWeights selfOut;         // attn1.to_out.0: [C, 1, 1, C] + bias
    NormWeights norm2;
    ProjectionWeights crossQ;          // attn2.to_q: [C, 1, 1, C]
    ProjectionWeights crossK, crossV;  // attn2.to_k/v: [C, 1, 1, X]
    ProjectionWeights crossOut;        // attn2.to_out.0: [C, 1, 1, C] + bias
    NormWeights norm3;
    ProjectionWeights feedForwardIn;   // ff.net.0.proj: [8C, 1, 1, C] + bias (GEGLU: [hidden | gate])
    ProjectionWeights feedForwardOut;  // ff.net.2: [C, 1, 1, 4C] + bias
};

// SpatialTransformer (diffusers Transformer2DModel) at width C with `heads` heads of C / heads.
struct SpatialTransformerWeights {
    int channels = 0;
    int heads = 0;
    NormWeights norm;                  // GroupNorm [C], eps 1e-6
    ProjectionWeights projectIn;       // proj_in: [C, 1, 1, C] + bias (1x1 conv or Linear: same math)
    std::vector<TransformerBlockWeights> blocks; // transformer_blocks.*, config.transformerDepth
    ProjectionWeights projectOut;      // proj_out: [C, 1, 1, C] + bias
};

// One input or output block: a ResBlock, maybe a SpatialTransformer, maybe a resampling conv.
struct UNetBlockWeights {
    int level = 0;
    ResBlockWeights res;
    std::optional<SpatialTransformerWeights> transformer;
};

struct UNetWeights {
    LinearWeights timeLinear1;         // time_embed.0: [T, modelChannels] + bias
    LinearWeights timeLinear2;         // time_embed.2: [T, T] + bias
    ConvWeights convIn;                // input_blocks.0.0: [C0, 3, 3, inChannels]
    std::vector<UNetBlockWeights> down;      // per level, resBlocks each (input_blocks minus downsamplers)
    std::vector<ConvWeights> downsamplers;   // input_blocks.k.0.op: [C_l, 3, 3, C_l], stride 2; levels - 1
    ResBlockWeights midRes1;           // middle_block.0
    SpatialTransformerWeights midTransformer; // middle_block.1
    ResBlockWeights midRes2;           // middle_block.2
    std::vector<UNetBlockWeights> up;  // output_blocks in order: deepest level first, resBlocks + 1 each
    std::vector<ConvWeights> upsamplers; // output_blocks.k.{1,2}.conv: [C_l, 3, 3, C_l], per up level but the last
    NormWeights outNorm;               // out.0: GroupNorm [C0]
    ConvWeights convOut;               // out.2: [outChannels, 3, 3, C0]
};

// Binds every tensor of the UNet `config` describes; errors name the tensor.
Result<UNetWeights> bindUNetWeights(WeightBinder& binder, const UNetConfig& config);

} // namespace atelier::diffusion

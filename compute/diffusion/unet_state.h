#pragma once
// The UNet's activations for one input shape, kept between predictions (every denoising step runs
// the same shape) and reallocated only when batch, size or context length change. All f32 NHWC;
// B = batch, T = timeEmbedDim, X = contextDim, S = context tokens. Scratch tensors are flat and
// sized for their largest use; the recording views them with each use's shape.

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "ops/tensor.h"

#include <cstdint>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

struct UNetWeights;

struct UNetShape {
    int batch = 0;
    int height = 0;        // latent pixels
    int width = 0;
    int contextTokens = 0;
    int contexts = 1;         // contexts: the prompt's, then one per region (regions.h)
    bool operator==(const UNetShape&) const = default;
};

struct UNetState {
    UNetShape shape;
    ops::Tensor timesteps;     // [B] f32
    ops::Tensor timeSinusoid;  // [B, modelChannels]
    ops::Tensor timeHidden;    // [B, T]: silu(time_embed.0(sinusoid))
    ops::Tensor timeEmbedding; // [B, T]: silu(time_embed.2(timeHidden)), the SiLU each res block applies first
    ops::Tensor timeBias;      // [B, widest C]: one res block's emb_layers projection
    ops::Tensor input;         // [B, H, W, inChannels]
    ops::Tensor context;       // [B, S, 1, X]
    // Regional prompts (shape.contexts > 1): each region's context [B, S, 1, X], and at each level l
    // each context's weight per pixel, regionMasks[l * contexts + context] [H_l * W_l] (regions.h).
    std::vector<ops::Tensor> regionContexts;
    std::vector<ops::Tensor> regionMasks;
    ops::Tensor output;        // [B, H, W, outChannels]
    std::vector<ops::Tensor> skips; // conv_in and each input block's output, [B, H_l, W_l, C]
    ops::Tensor stream[2];     // the activation going through the middle and up blocks
    ops::Tensor concat;        // the up blocks' [h | skip]
    ops::Tensor normed;        // GroupNorm / LayerNorm outputs
    ops::Tensor hidden;        // a res block's first conv (+ time bias)
    ops::Tensor shortcut;      // a res block's 1x1 skip_connection
    ops::Tensor tokens;        // a spatial transformer's residual stream [B, N, C]
    ops::Tensor query, key, value, attention; // [B, N, C], heads interleaved per token
    ops::Tensor crossKey, crossValue;         // [B, S, C]
    ops::Tensor feedForward;   // [B, N, 8C]: GEGLU's [hidden | gate]
    ops::Tensor gated;         // [B, N, 4C]
    ops::Tensor attentionScores; // CPU devices: scratch for attention's scores (ops/sequence_attention.h)
    ops::Tensor normStatistics;  // CPU devices: scratch for GroupNorm's passes (ops/group_norm.h)
    uint64_t bytes = 0;        // device memory held

    // Buffers for `shape` with the widths of `weights`.
    static Result<UNetState> create(vk::Device& device, const UNetConfig& config, const UNetWeights& weights,
                                    const UNetShape& shape);
};

} // namespace atelier::diffusion

#pragma once
// Rotary position embedding (RoPE) of f32 queries or keys x[tokens, heads, headDim], in place or
// into out, as llama.cpp's ggml_rope_ext without YaRN: token t is at position
// startPosition + t, and pair i < nRot / 2 turns by
//   theta_i = freqScale * position * freqBase^(-2i / nRot) / freqFactors[i]
// NORMAL pairs (2i, 2i + 1) (Llama in GGUF, whose q/k weights llama.cpp's converter permutes);
// NEOX pairs (i, i + nRot / 2) (Qwen2, Gemma 3). Dimensions past nRot pass through unchanged.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::ops {

enum class RopeLayout { Normal, Neox };

struct RopeOptions {
    RopeLayout layout = RopeLayout::Normal;
    uint32_t startPosition = 0;
    uint32_t nRot = 0;                    // rotated dimensions, even and <= headDim; 0: all
    float freqBase = 10000.0f;
    float freqScale = 1.0f;               // linear scaling: positions are multiplied by it
    const Tensor* freqFactors = nullptr;  // f32 [nRot / 2] (GGUF rope_freqs, Llama 3 scaling) or none
    // RMS-normalise each [headDim] row and scale it by this f32 [headDim] weight before rotating it
    // (Gemma 3's q and k norms), in the same dispatch.
    const Tensor* normWeight = nullptr;
    float normEps = 1e-6f;
    bool sharedReduction = false;         // the norm's shared-memory reduction even with subgroups (tests)
};

// x: f32 [tokens, heads, headDim]; out: the same shape, or x itself.
Status rope(vk::CommandBatch& batch, const Tensor& x, Tensor& out, const RopeOptions& options);

} // namespace atelier::ops

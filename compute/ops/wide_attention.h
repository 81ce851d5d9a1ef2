#pragma once
// Attention of one sequence with a single head wider than sequenceAttention's 256 (the VAE's
// mid-block: one head of 512 channels over every latent pixel, 4096 tokens at 64 x 64), as three
// steps on stored scores: scores = q k^T (matmul, k as its [n, d] "weights"), softmax(scores *
// scale) in place, out = scores v (matmul against v transposed to [d, n]). The [n, n] f32 scores
// take 64 MiB at 4096 tokens; matmul and softmax bind them in row blocks when they exceed a binding.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::vk {
class Device;
}

namespace atelier::ops {

// Device memory one attention of n tokens and headDim channels records into; reusable.
struct WideAttentionScratch {
    Tensor scores;   // [n, n] f32
    Tensor valuesT;  // [headDim, n], v's dtype
    Tensor query32;  // [n, headDim] f32, when q is f16 (matmul reads f32 rows)
    Tensor out32;    // [n, headDim] f32, when out is f16

    static Result<WideAttentionScratch> create(vk::Device& device, int64_t n, int64_t headDim, DType dtype);
    uint64_t bytes() const;
};

struct WideAttentionOptions {
    float scale = 0.0f; // on q.k; 0: 1 / sqrt(headDim)
};

// q, k, v, out: [..., n, headDim] of one dtype (f32 or f16), leading dims 1 (a single sequence,
// e.g. an NHWC image [1, h, w, headDim]); scratch from create(n, headDim, that dtype).
Status wideAttention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                     WideAttentionScratch& scratch, const WideAttentionOptions& options = {});

} // namespace atelier::ops

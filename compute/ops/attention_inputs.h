#pragma once
// What a transformer layer does between its q/k/v projections and attention (issue 16), in one
// dispatch where the caches fit one binding: RoPE of the queries in place and of the keys straight
// into the f16 k cache, each query or key row first RMS-normalised by its own weight where one is
// given (Gemma 3's and Qwen3's per-head q and k norms), and the values copied into the f16 v cache.
// The same results as ops::rope of q and of k followed by ops::storeKv of k and of v, in one
// dispatch instead of four; k itself is left as it was.

#include "core/result.h"
#include "ops/rope.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>
#include <string>

namespace atelier::ops {

struct AttentionInputsOptions {
    RopeOptions rope;                 // layout, positions and frequencies of q and k; its normWeight must be null
    const Tensor* queryNorm = nullptr; // f32 [headDim]: each query row is RMS-normalised and scaled by it first
    const Tensor* keyNorm = nullptr;   // f32 [headDim]: the same for key rows (eps: rope.normEps)
    uint64_t maxBindingBytes = 0;      // lowers the binding limit (tests reach the per-head windows)
    // The norms' 64-lane reduction even on CPU devices, whose workgroups are otherwise one subgroup
    // (tests; rope.sharedReduction picks the shared-memory one).
    bool wideReduction = false;
};

// The arguments' shapes, types and options as ropeAndStoreKv needs them; `what` starts the error.
Status checkAttentionInputs(const std::string& what, const Tensor& q, const Tensor& k, const Tensor& v,
                            const Tensor& kCache, const Tensor& vCache, const AttentionInputsOptions& options);

// q: f32 [tokens, heads, headDim], roped in place; k, v: f32 [tokens, kvHeads, headDim];
// kCache, vCache: f16 [kvHeads, capacity, headDim], whose rows rope.startPosition + t receive
// token t. Caches too big for one binding take one dispatch per group of heads that fits.
Status ropeAndStoreKv(vk::CommandBatch& batch, Tensor& q, const Tensor& k, const Tensor& v, Tensor& kCache,
                      Tensor& vCache, const AttentionInputsOptions& options);

} // namespace atelier::ops

#pragma once
// Causal self-attention of f32 queries over an f16 kv cache, fused flash-attention style (online
// softmax: the [queries, kv] scores are never stored), with grouped-query heads, an optional
// sliding window, a score scale and optional logit soft-capping; and storeKv, which appends rows.
//
// The cache of a layer is two f16 tensors k and v, each [kvHeads, capacity, headDim]; row p of a
// head holds position p. Head-major: a head's rows are contiguous, so a kernel streams them and
// binds one head's prefix [0, kvLength) on its own when the whole cache exceeds one binding
// (maxStorageBufferRange); appending a token writes one row per head. A head's prefix must fit
// one binding: 262144 rows of headDim 256 with 128 MiB bindings.
//
// Few query rows per kv head (decoding: tokens * heads / kvHeads <= 16) with a workspace split
// the kv range across workgroups and merge the parts (flash-decoding); otherwise each workgroup
// takes a tile of queries and loops over all the kv rows they see. On CPU devices, with a workspace
// the scores fit and splits left at 0, queries take two passes without shared memory instead:
// scores into the workspace, then their softmax-weighted sum of v (attention_rows.comp), 2.7x
// faster on lavapipe for one token and 1.6x for a 128-token prompt.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::ops {

struct AttentionOptions {
    uint32_t startPosition = 0;   // position of query token 0; token i is at startPosition + i
    uint32_t kvLength = 0;        // cache rows that exist; 0: startPosition + tokens
    bool causal = true;           // query at position p sees kv rows <= p; else all kvLength rows
    uint32_t window = 0;          // sliding window: p sees (p - window, p], without the causal mask every row
                                  // after p - window (Gemma 3's local layers, its pictures); 0: none
    float scale = 0.0f;           // on q.k; 0: 1 / sqrt(headDim) (Gemma 3: query_pre_attn_scalar^-0.5)
    float softCap = 0.0f;         // 0: off, else scores become softCap * tanh(score / softCap) (Gemma 2)
    Tensor* workspace = nullptr;  // f32 of >= attentionWorkspaceElements(): enables kv splits
    uint32_t splits = 0;          // kv splits when a workspace is given; 0 chooses by length
    uint64_t maxBindingBytes = 0; // lowers the binding limit (tests reach the per-head windows)
};

// Query rows per kv head up to which the kv range may be split, and the most splits.
constexpr int64_t kAttentionSplitMaxRows = 16;
constexpr uint32_t kAttentionMaxSplits = 32;

// Elements of the f32 workspace that lets attention() split the kv range for `tokens` queries.
int64_t attentionWorkspaceElements(int64_t tokens, int64_t heads, int64_t headDim);

// attention()'s checks of its tensors' types and shapes.
Status checkAttentionShapes(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out);

// q: f32 [tokens, heads, headDim]; k, v: f16 [kvHeads, capacity, headDim] with heads a multiple of
// kvHeads (query head h reads kv head h / (heads / kvHeads)); out: f32 like q. headDim is a
// multiple of 4 up to 256.
Status attention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                 const AttentionOptions& options = {});

// cache[h, startPosition + t, :] = f16(x[t, h, :]) for x f32 [tokens, kvHeads, headDim] and cache
// f16 [kvHeads, capacity, headDim]. maxBindingBytes as in AttentionOptions.
Status storeKv(vk::CommandBatch& batch, const Tensor& x, Tensor& cache, uint32_t startPosition,
               uint64_t maxBindingBytes = 0);

} // namespace atelier::ops

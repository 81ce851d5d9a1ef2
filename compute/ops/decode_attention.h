#pragma once
// One decoded token's attention on CPU devices in one dispatch (issue 16): what ropeAndStoreKv and
// attention do for it (the per-head q and k norms, RoPE, k and v into the f16 caches, attention
// over the cached rows) in attention_decode.comp, one workgroup of one subgroup per query head.
// On lavapipe each dispatch costs tens of microseconds of waking threads, about what these steps'
// arithmetic costs for a short context: a Gemma 3 token takes 36 dispatches fewer.

#include "core/result.h"
#include "ops/attention.h"
#include "ops/attention_inputs.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

// q: f32 [1, heads, headDim], left as it is; k, v: f32 [1, kvHeads, headDim]; kCache, vCache: f16
// [kvHeads, capacity, headDim], whose row inputs.rope.startPosition receives k (normalised, roped)
// and v; out: f32 [1, heads, headDim]. attend must be causal at the same position, with a workspace
// (decodeAttentionWorkspaceElements). Returns false, recording nothing, where the fused kernel does
// not apply (not a CPU device, partial rotary, head dims it does not split, long spans on hosts
// with more threads than heads, bindings past the limit): the caller records ropeAndStoreKv and
// attention instead.
Result<bool> decodeAttention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v,
                             Tensor& kCache, Tensor& vCache, Tensor& out, const AttentionInputsOptions& inputs,
                             const AttentionOptions& attend);

// Elements of the f32 workspace decodeAttention needs for `span` visible rows.
int64_t decodeAttentionWorkspaceElements(int64_t heads, int64_t span, uint32_t subgroupSize);

} // namespace atelier::ops

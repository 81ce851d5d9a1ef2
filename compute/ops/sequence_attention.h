#pragma once
// Attention over whole sequences without a kv cache, for the diffusion models: the UNet's
// self-attention (4096 tokens at a 64 x 64 latent) and cross-attention (77 context tokens), and
// CLIP's causal text encoder. Fused flash-attention style (online softmax: the [nq, nk] scores are
// never stored), fp32 accumulation, on token-major tensors as the projections produce them: row
// (b, token) holds every head's headDim values. It runs attention.comp, the LLM's kernel, on
// token-major k and v; CPU devices given a workspace run three passes without shared memory
// (attention_tokens_rows.comp), which lavapipe runs several times faster.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::ops {

struct SequenceAttentionOptions {
    float scale = 0.0f;           // on q.k; 0: 1 / sqrt(headDim)
    bool causal = false;          // query i sees keys <= i (CLIP; needs nq == nk)
    uint64_t maxBindingBytes = 0; // lowers the binding limit (tests reach the query windows)
    // f32 scratch for the scores. With one on a CPU device (f32 tensors, head dim a multiple of 8)
    // attention takes attention_tokens_rows.comp's passes (scores, softmax, values) over as many
    // queries at a time as the workspace holds rows of scores (heads x nk rounded up to 4 each);
    // without, the fused kernel. sequenceAttentionWorkspaceElements() says what holds it all.
    const Tensor* workspace = nullptr;
    bool fused = false; // take the fused kernel even with a workspace (tests)
};

// Workspace elements for every query of one image at once.
int64_t sequenceAttentionWorkspaceElements(int64_t nq, int64_t nk, int64_t heads);

// q, out: [batch, nq, heads, headDim]; k, v: [batch, nk, heads, headDim]; all f32 or all f16;
// headDim a multiple of 4 up to 256 (SD: 40, 64, 80, 160).
Status sequenceAttention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                         const SequenceAttentionOptions& options = {});

} // namespace atelier::ops

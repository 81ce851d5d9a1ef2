// One forward pass of a batch of tokens through every layer, recorded into one command batch.
//   x = embed(tokens) * embeddingScale
//   per layer: x += [postNorm] Wo · attention(rope(qkNorm(Wq·norm(x))), cache(rope(qkNorm(Wk·norm(x))), Wv·norm(x)))
//              x += [postNorm] Wdown · glu(Wgate·norm(x), Wup·norm(x))
//                   or, in a mixture of experts, the routed experts' sum (recordExperts)
//   logits = lmHead · norm(x[last]), and where a sampler asks, the largest of them (ops::topLogits)
// Active LoRA adapters add their low-rank term after each matmul they adapt (addLora, lora_forward.cpp).
// Each residual add, with the post-norm before it and the next norm after it, is one dispatch
// (ops::residualNorm); the last one applies the output norm, to every row. On CPU devices a decoded
// token's seams run inside its output projections (ops::matmulResidualNorm), and its q/k norms,
// RoPE, cache stores and attention are one dispatch (ops::decodeAttention).

#include "llm/language_model.h"

#include "ops/attention.h"
#include "ops/attention_inputs.h"
#include "ops/decode_attention.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/experts.h"
#include "ops/glu.h"
#include "ops/matmul.h"
#include "ops/residual_norm.h"
#include "ops/rmsnorm.h"
#include "vk/device.h"

namespace atelier::llm {

namespace {

// The first `rows` rows of a batch tensor, optionally as [rows, heads, headDim].
Result<ops::Tensor> rowsOf(const ops::Tensor& t, int64_t rows, int64_t heads = 0)
{
    if (heads > 0)
        return t.view({rows, heads, t.dim(-1) / heads});
    return t.view({rows, t.dim(-1)});
}

// One decoded token's q, k and v as parts of RunState::qkv, for the layers whose weights are fused
// (LayerWeights::wqkv): qk and qkv are the outputs of a pass over q's and k's rows, or all three.
struct FusedRows {
    ops::Tensor qk, qkv, q, k, v, qHeads, kHeads, vHeads;
};

// Empty where a part would not start on the allocator's alignment: those layers take three passes.
Result<std::optional<FusedRows>> fusedRows(const ops::Tensor& qkv, const ModelConfig& c, uint64_t align)
{
    const int64_t qDim = int64_t(c.heads) * c.headDim, kvDim = int64_t(c.kvHeads) * c.headDim;
    if (uint64_t(qDim) * 4 % align != 0 || uint64_t(qDim + kvDim) * 4 % align != 0)
        return std::optional<FusedRows>();
    FusedRows r;
    ATELIER_ASSIGN(r.qk, qkv.view({1, qDim + kvDim}));
    ATELIER_ASSIGN(r.qkv, qkv.view({1, qDim + 2 * kvDim}));
    ATELIER_ASSIGN(r.q, qkv.slice(0, {1, qDim}, align));
    ATELIER_ASSIGN(r.k, qkv.slice(uint64_t(qDim), {1, kvDim}, align));
    ATELIER_ASSIGN(r.v, qkv.slice(uint64_t(qDim + kvDim), {1, kvDim}, align));
    ATELIER_ASSIGN(r.qHeads, rowsOf(r.q, 1, c.heads));
    ATELIER_ASSIGN(r.kHeads, rowsOf(r.k, 1, c.kvHeads));
    ATELIER_ASSIGN(r.vHeads, rowsOf(r.v, 1, c.kvHeads));
    return std::optional<FusedRows>(std::move(r));
}

} // namespace

Status LanguageModel::forwardBatch(std::span<const int32_t> tokens, int topCandidates, const ops::Tensor* embeddings,
                                   bool causal)
{
    const ModelConfig& c = mConfig;
    const int64_t n = embeddings ? embeddings->dim(0) : int64_t(tokens.size());
    const uint32_t start = uint32_t(mCache.length);
    const ops::RmsNormOptions norm{c.rmsEps};
    const ops::TokenIds ids = embeddings ? ops::TokenIds{} : stageTokenIds(tokens);

    ATELIER_ASSIGN(ops::Tensor x, rowsOf(mState.x, n));
    ATELIER_ASSIGN(ops::Tensor xn, rowsOf(mState.xn, n));
    ATELIER_ASSIGN(ops::Tensor q, rowsOf(mState.q, n));
    ATELIER_ASSIGN(ops::Tensor k, rowsOf(mState.k, n));
    ATELIER_ASSIGN(ops::Tensor v, rowsOf(mState.v, n));
    ATELIER_ASSIGN(ops::Tensor qHeads, rowsOf(mState.q, n, c.heads));
    ATELIER_ASSIGN(ops::Tensor kHeads, rowsOf(mState.k, n, c.kvHeads));
    ATELIER_ASSIGN(ops::Tensor vHeads, rowsOf(mState.v, n, c.kvHeads));
    ATELIER_ASSIGN(ops::Tensor attention, rowsOf(mState.attention, n));
    ATELIER_ASSIGN(ops::Tensor attentionHeads, rowsOf(mState.attention, n, c.heads));
    ATELIER_ASSIGN(ops::Tensor projected, rowsOf(mState.projected, n));
    ATELIER_ASSIGN(ops::Tensor gate, rowsOf(mState.gate, n));
    ATELIER_ASSIGN(ops::Tensor up, rowsOf(mState.up, n));
    std::optional<FusedRows> fused;
    if (n == 1) {
        ATELIER_ASSIGN(fused, fusedRows(mState.qkv, c, mDevice.allocator().alignment()));
    }

    const Status recorded = mDevice.execute([&](vk::CommandBatch& b) -> Status {
        b.fill(mState.finished.buffer.range(0, 4), 0); // a pass cut short may have left it counting
        if (embeddings) {
            b.copy(embeddings->buffer.range(0, embeddings->bytes()), x.buffer.range(0, embeddings->bytes()));
        } else {
            if (mState.idStaging.valid())
                b.copy(mState.idStaging.range(0, tokens.size_bytes()), ids.buffer.range());
            ATELIER_TRY(ops::embedding(b, mWeights.tokenEmbedding, ids, x, c.embeddingScale));
            ATELIER_TRY(addTokenLora(b, ids, x));
        }
        ATELIER_TRY(ops::rmsnorm(b, x, mWeights.layers.front().attnNorm, xn, norm));
        for (int l = 0; l < c.layers; ++l) {
            const LayerWeights& w = mWeights.layers[size_t(l)];
            const bool sliding = c.slidingLayer[size_t(l)];
            const ops::Tensor& nextNorm = l + 1 < c.layers ? mWeights.layers[size_t(l) + 1].attnNorm : mWeights.outputNorm;

            // A decoded token's q and k (and v) in one pass where the layer's weights are fused.
            const bool fuse = fused && w.wqkv;
            const bool fuseV = fuse && w.wqkvHoldsV();
            ops::Tensor& lq = fuse ? fused->q : q;
            ops::Tensor& lk = fuse ? fused->k : k;
            ops::Tensor& lv = fuseV ? fused->v : v;
            ops::Tensor& lqHeads = fuse ? fused->qHeads : qHeads;
            if (fuse)
                ATELIER_TRY(ops::matmul(b, xn, *w.wqkv, fuseV ? fused->qkv : fused->qk));
            else
                ATELIER_TRY(ops::matmul(b, xn, w.wq, q));
            ATELIER_TRY(addLora(b, LoraTarget::Query, l, xn, lq));
            if (!fuse)
                ATELIER_TRY(ops::matmul(b, xn, w.wk, k));
            ATELIER_TRY(addLora(b, LoraTarget::Key, l, xn, lk));
            if (!fuseV)
                ATELIER_TRY(ops::matmul(b, xn, w.wv, v));
            ATELIER_TRY(addLora(b, LoraTarget::Value, l, xn, lv));
            if (w.bq)
                ATELIER_TRY(ops::add(b, lq, *w.bq, lq));
            if (w.bk)
                ATELIER_TRY(ops::add(b, lk, *w.bk, lk));
            if (w.bv)
                ATELIER_TRY(ops::add(b, lv, *w.bv, lv));
            if (c.qkNormWhole) { // OLMoE: across all heads, before RoPE
                ATELIER_TRY(ops::rmsnorm(b, lq, *w.qNorm, lq, norm));
                ATELIER_TRY(ops::rmsnorm(b, lk, *w.kNorm, lk, norm));
            }
            // RoPE of q and k (after Gemma 3's and Qwen3's per-head norms) and k, v into the cache:
            // one dispatch (issue 16), then attention; on CPU devices a decoded token's are one dispatch.
            ops::AttentionInputsOptions inputs;
            inputs.rope.layout = c.rope;
            inputs.rope.nRot = uint32_t(c.ropeDims);
            inputs.rope.freqFactors = mWeights.ropeFreqs ? &*mWeights.ropeFreqs : nullptr;
            inputs.rope.startPosition = start;
            inputs.rope.freqBase = sliding ? c.ropeBaseLocal : c.ropeBase;
            inputs.rope.freqScale = c.ropeScale;
            inputs.rope.normEps = c.rmsEps;
            inputs.queryNorm = c.qkNorm && w.qNorm ? &*w.qNorm : nullptr;
            inputs.keyNorm = c.qkNorm && w.kNorm ? &*w.kNorm : nullptr;
            ops::AttentionOptions attend;
            attend.startPosition = start;
            attend.causal = causal;
            attend.kvLength = causal ? 0 : start + uint32_t(n);
            attend.window = sliding ? uint32_t(c.slidingWindow) : 0;
            attend.scale = c.attentionScale;
            attend.workspace = &mState.workspace;
            const ops::Tensor& lkHeads = fuse ? fused->kHeads : kHeads;
            const ops::Tensor& lvHeads = fuseV ? fused->vHeads : vHeads;
            ops::Tensor& kCache = mCache.keys[size_t(l)];
            ops::Tensor& vCache = mCache.values[size_t(l)];
            bool attended = false;
            if (n == 1) {
                ATELIER_ASSIGN(attended, ops::decodeAttention(b, lqHeads, lkHeads, lvHeads, kCache, vCache,
                                                              attentionHeads, inputs, attend));
            }
            if (!attended) {
                ATELIER_TRY(ops::ropeAndStoreKv(b, lqHeads, lkHeads, lvHeads, kCache, vCache, inputs));
                ATELIER_TRY(ops::attention(b, lqHeads, kCache, vCache, attentionHeads, attend));
            }
            ATELIER_TRY(project(b, attention, w.wo, LoraTarget::AttentionOutput, l, projected,
                                {&x, w.attnPostNorm ? &*w.attnPostNorm : nullptr, &w.ffnNorm, &xn, c.rmsEps,
                                 mState.finished.buffer.range(0, 4)}));

            const ops::ResidualNormSeam seam{&x, w.ffnPostNorm ? &*w.ffnPostNorm : nullptr, &nextNorm, &xn, c.rmsEps,
                                             mState.finished.buffer.range(0, 4)};
            if (w.experts) {
                ATELIER_TRY(recordExperts(b, *w.experts, xn, n, projected));
                ATELIER_TRY(ops::residualNorm(b, x, projected, seam.postWeight, nextNorm, xn, norm));
            } else {
                ATELIER_TRY(recordGlu(b, w, l, xn, gate, up));
                ATELIER_TRY(project(b, gate, w.down, LoraTarget::Down, l, projected, seam));
            }
        }
        // The last token's normalised row: a decoded token's is xn itself.
        if (n > 1) {
            const uint64_t rowBytes = uint64_t(c.dim) * 4;
            b.copy(xn.buffer.range((uint64_t(n) - 1) * rowBytes, rowBytes), mState.last.buffer.range());
        }
        const ops::Tensor& last = n > 1 ? mState.last : xn;
        ATELIER_TRY(ops::matmul(b, last, mWeights.lmHead(), mState.logits));
        ATELIER_TRY(addLora(b, LoraTarget::Output, 0, last, mState.logits));
        return topCandidates > 0 ? ops::topLogits(b, mState.logits, uint32_t(topCandidates), mState.top) : Status{};
    });
    ATELIER_TRY(recorded);
    mCache.length += int(n);
    return {};
}

// A block's output projection into `projected`, its LoRA terms, then the residual seam: in the
// projection's own pass for a decoded token where the device takes it (ops::matmulResidualNorm).
Status LanguageModel::project(vk::CommandBatch& b, const ops::Tensor& in, const ops::Tensor& weight, LoraTarget target,
                              int layer, ops::Tensor& projected, const ops::ResidualNormSeam& seam)
{
    if (in.dim(0) == 1 && !adapted(target, layer)) {
        ATELIER_ASSIGN(const bool seamed, ops::matmulResidualNorm(b, in, weight, projected, seam));
        if (seamed)
            return {};
    }
    ATELIER_TRY(ops::matmul(b, in, weight, projected));
    ATELIER_TRY(addLora(b, target, layer, in, projected));
    return ops::residualNorm(b, *seam.x, projected, seam.postWeight, *seam.nextWeight, *seam.xn,
                             ops::RmsNormOptions{seam.eps});
}

Status LanguageModel::recordExperts(vk::CommandBatch& b, const ExpertWeights& w, const ops::Tensor& xn, int64_t n,
                                    ops::Tensor& out)
{
    const ModelConfig& c = mConfig;
    const int64_t pairs = n * c.expertsUsed;
    ATELIER_ASSIGN(ops::Tensor logits, rowsOf(mState.routerLogits, n));
    ATELIER_ASSIGN(ops::Tensor routes, mState.routes.view({n, c.expertsUsed, 2}));
    ATELIER_ASSIGN(ops::Tensor hidden, rowsOf(mState.expertHidden, pairs));
    ATELIER_ASSIGN(ops::Tensor up, rowsOf(mState.expertUp, pairs));
    ATELIER_ASSIGN(ops::Tensor y, rowsOf(mState.expertOut, pairs));
    ATELIER_TRY(ops::matmul(b, xn, w.router, logits));
    const ops::RouteOptions route{uint32_t(c.expertsUsed), c.expertWeightsNorm, c.expertWeightsScale};
    ATELIER_TRY(ops::routeExperts(b, logits, routes, route));
    ATELIER_TRY(ops::matmulExpertsGlu(b, xn, w.gate, w.up, routes, hidden, up, c.activation));
    ATELIER_TRY(ops::matmulExperts(b, hidden, w.down, routes, y));
    return ops::combineExperts(b, y, routes, out);
}

} // namespace atelier::llm

// LoRA adapters at run time (lora_adapter.h): after each adapted matmul y = W x, forward.cpp calls
// addLora, which adds scale * alpha / rank * B (A x) per active adapter with two small matmuls:
//   t = x · A^T [rows, rank];  t *= scale * alpha / rank;  u = t · B^T [rows, out];  y += u
// The token embedding's A is a table looked up by token id (llama.cpp's build_inp_embd), its delta
// scaled like the embedding itself (Gemma's sqrt(dim)).

#include "llm/language_model.h"

#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/glu.h"
#include "ops/matmul.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::llm {

Result<bool> LanguageModel::setAdapters(std::vector<ActiveLora> adapters)
{
    std::erase_if(adapters, [](const ActiveLora& a) { return !a.adapter || a.scale == 0.0f; });
    if (adapters == mAdapters)
        return false;
    const ModelConfig& c = mConfig;
    int64_t rank = 0;
    for (const ActiveLora& a : adapters)
        rank = std::max(rank, a.adapter->maxRank());
    const int64_t widest = std::max({int64_t(c.dim), int64_t(c.heads) * c.headDim, int64_t(c.kvHeads) * c.headDim,
                                     int64_t(c.feedForward)});
    const int64_t rankElements = int64_t(mState.maxBatch) * rank;
    const int64_t outElements = std::max(int64_t(mState.maxBatch) * widest, int64_t(vocabSize()));
    if (rank > 0 && (mState.loraRank.shape.empty() || mState.loraRank.numel() < rankElements)) {
        ATELIER_ASSIGN(mState.loraRank, ops::Tensor::create(mDevice, DType::F32, {rankElements}));
    }
    if (rank > 0 && mState.loraOut.shape.empty()) {
        ATELIER_ASSIGN(mState.loraOut, ops::Tensor::create(mDevice, DType::F32, {outElements}));
    }
    mAdapters = std::move(adapters);
    mCache.length = 0;
    return true;
}

Status LanguageModel::addLora(vk::CommandBatch& b, LoraTarget target, int layer, const ops::Tensor& x, ops::Tensor& y)
{
    for (const ActiveLora& active : mAdapters) {
        const LoraPair* p = active.adapter->pair(target, layer);
        if (!p)
            continue;
        const int64_t rows = x.numel() / x.dim(-1);
        ATELIER_ASSIGN(ops::Tensor t, mState.loraRank.view({rows, p->rank()}));
        ATELIER_ASSIGN(ops::Tensor u, mState.loraOut.view({rows, y.dim(-1)}));
        ATELIER_TRY(ops::matmul(b, x, p->a, t));
        if (const float factor = active.scale * p->rankScale; factor != 1.0f) // alpha = rank at scale 1: none
            ATELIER_TRY(ops::scale(b, t, factor, t));
        ATELIER_TRY(ops::matmul(b, t, p->b, u));
        ATELIER_TRY(ops::add(b, y, u, y));
    }
    return {};
}

bool LanguageModel::adapted(LoraTarget target, int layer) const
{
    return std::any_of(mAdapters.begin(), mAdapters.end(),
                       [&](const ActiveLora& a) { return a.adapter->pair(target, layer) != nullptr; });
}

Status LanguageModel::addTokenLora(vk::CommandBatch& b, const ops::TokenIds& ids, ops::Tensor& x)
{
    for (const ActiveLora& active : mAdapters) {
        const LoraPair* p = active.adapter->pair(LoraTarget::TokenEmbedding);
        if (!p)
            continue;
        const int64_t rows = int64_t(ids.size());
        ATELIER_ASSIGN(ops::Tensor t, mState.loraRank.view({rows, p->rank()}));
        ATELIER_ASSIGN(ops::Tensor u, mState.loraOut.view({rows, x.dim(-1)}));
        ATELIER_TRY(ops::embedding(b, p->a, ids, t, active.scale * p->rankScale * mConfig.embeddingScale));
        ATELIER_TRY(ops::matmul(b, t, p->b, u));
        ATELIER_TRY(ops::add(b, x, u, x));
    }
    return {};
}

Status LanguageModel::recordGlu(vk::CommandBatch& b, const LayerWeights& w, int layer, const ops::Tensor& xn,
                                ops::Tensor& gate, ops::Tensor& up)
{
    const bool adapted = std::any_of(mAdapters.begin(), mAdapters.end(), [layer](const ActiveLora& a) {
        return a.adapter->pair(LoraTarget::Gate, layer) || a.adapter->pair(LoraTarget::Up, layer);
    });
    if (!adapted)
        return ops::matmulGlu(b, xn, w.gate, w.up, gate, up, mConfig.activation);
    ATELIER_TRY(ops::matmul(b, xn, w.gate, gate));
    ATELIER_TRY(addLora(b, LoraTarget::Gate, layer, xn, gate));
    ATELIER_TRY(ops::matmul(b, xn, w.up, up));
    ATELIER_TRY(addLora(b, LoraTarget::Up, layer, xn, up));
    return ops::glu(b, gate, up, gate, mConfig.activation);
}

} // namespace atelier::llm

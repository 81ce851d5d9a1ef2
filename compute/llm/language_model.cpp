#include "llm/language_model.h"

#include "io/gguf.h"
#include "ops/attention.h"
#include "ops/decode_attention.h"
#include "ops/elementwise.h"
#include "ops/embedding.h"
#include "ops/matmul.h"
#include "ops/rmsnorm.h"
#include "vk/device.h"

#include <algorithm>
#include <cstring>

namespace atelier::llm {

Result<RunState> RunState::create(vk::Device& device, const ModelConfig& c, int vocab, int maxBatch, int context)
{
    RunState s;
    s.maxBatch = maxBatch;
    const int64_t n = maxBatch, qDim = int64_t(c.heads) * c.headDim, kvDim = int64_t(c.kvHeads) * c.headDim;
    auto make = [&](ops::Tensor& t, std::vector<int64_t> shape) -> Status {
        ATELIER_ASSIGN(t, ops::Tensor::create(device, DType::F32, std::move(shape)));
        return {};
    };
    ATELIER_TRY(make(s.x, {n, c.dim}));
    ATELIER_TRY(make(s.xn, {n, c.dim}));
    ATELIER_TRY(make(s.q, {n, qDim}));
    ATELIER_TRY(make(s.k, {n, kvDim}));
    ATELIER_TRY(make(s.v, {n, kvDim}));
    ATELIER_TRY(make(s.qkv, {1, qDim + 2 * kvDim}));
    ATELIER_TRY(make(s.attention, {n, qDim}));
    ATELIER_TRY(make(s.projected, {n, c.dim}));
    ATELIER_TRY(make(s.gate, {n, c.feedForward}));
    ATELIER_TRY(make(s.up, {n, c.feedForward}));
    if (c.experts > 0) {
        const int64_t pairs = n * c.expertsUsed;
        ATELIER_TRY(make(s.routerLogits, {n, c.experts}));
        ATELIER_TRY(make(s.routes, {n, c.expertsUsed, 2}));
        ATELIER_TRY(make(s.expertHidden, {pairs, c.expertFeedForward}));
        ATELIER_TRY(make(s.expertUp, {pairs, c.expertFeedForward}));
        ATELIER_TRY(make(s.expertOut, {pairs, c.dim}));
    }
    ATELIER_TRY(make(s.last, {1, c.dim}));
    ATELIER_TRY(make(s.logits, {1, vocab}));
    ATELIER_TRY(make(s.finished, {4}));
    // CPU devices: room for a decoded token's scores over the whole context, one copy a lane
    // (ops::decodeAttention; Gemma 3 270M at 4096 rows: 0.5 MB).
    int64_t workspace = ops::attentionWorkspaceElements(ops::kAttentionSplitMaxRows, c.heads, c.headDim);
    if (device.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU)
        workspace = std::max(workspace, ops::decodeAttentionWorkspaceElements(c.heads, context, device.info().subgroupSize));
    ATELIER_TRY(make(s.workspace, {workspace}));
    const uint64_t idBytes = uint64_t(maxBatch) * sizeof(int32_t);
    ATELIER_ASSIGN(s.tokenIds, device.allocate(idBytes));
    if (!s.tokenIds.mapped() || device.stagedTransfers()) {
        ATELIER_ASSIGN(s.idStaging, device.allocate(idBytes, vk::MemoryKind::Staging));
    }
    ATELIER_ASSIGN(s.top, ops::TopLogitsWork::create(device, uint32_t(vocab)));
    return s;
}

Result<std::unique_ptr<LanguageModel>> LanguageModel::load(vk::Device& device, const std::string& path,
                                                           const LoadOptions& options,
                                                           const std::function<bool(double)>& progress)
{
    ATELIER_ASSIGN(auto file, io::GgufFile::open(path));
    std::unique_ptr<LanguageModel> m(new LanguageModel(device));
    ATELIER_ASSIGN(m->mConfig, ModelConfig::fromGguf(*file));
    if (m->mConfig.finalLogitSoftcap != 0.0f)
        return makeError(ErrorCode::Unsupported, "final logit soft-capping is not supported yet");
    ATELIER_ASSIGN(Vocab vocab, Vocab::fromGguf(*file));
    ATELIER_ASSIGN(m->mTokenizer, Tokenizer::create(std::move(vocab)));
    // No template: a base model (like the default Gemma 3 270M), which completes text instead.
    if (auto chatTemplate = file->string("tokenizer.chat_template"); chatTemplate.ok())
        m->mChatTemplate = chatTemplate.value();

    ATELIER_ASSIGN(m->mWeights, loadWeights(device, *file, m->mConfig, progress));
    const int vocabSize = int(m->mWeights.lmHead().dim(0));
    if (size_t(vocabSize) < m->mTokenizer->vocab().size())
        return makeError(ErrorCode::Format, "the output layer has fewer rows than the vocabulary has tokens");
    const int context = std::clamp(options.contextLength, 1, m->mConfig.contextLength);
    ATELIER_ASSIGN(m->mCache, KvCache::create(device, m->mConfig, context));
    ATELIER_ASSIGN(m->mState, RunState::create(device, m->mConfig, vocabSize, std::max(1, options.maxBatch), context));
    return m;
}

void LanguageModel::truncate(int length) { mCache.length = std::clamp(length, 0, mCache.length); }

Status LanguageModel::forward(std::span<const int32_t> tokens, int topCandidates,
                             const std::function<bool(int, int)>& progress)
{
    if (topCandidates < 0 || topCandidates > int(ops::kTopLogitsMaxK))
        return makeError(ErrorCode::InvalidArgument, "can choose 1 to " + std::to_string(ops::kTopLogitsMaxK) +
                                                         " top logits, not " + std::to_string(topCandidates));
    if (tokens.empty())
        return makeError(ErrorCode::InvalidArgument, "nothing to run: no tokens");
    if (mCache.length + int(tokens.size()) > mCache.capacity)
        return makeError(ErrorCode::InvalidArgument, "the context is full (" + std::to_string(mCache.capacity) + " tokens)");
    for (size_t at = 0; at < tokens.size(); at += size_t(mState.maxBatch)) {
        const size_t n = std::min(tokens.size() - at, size_t(mState.maxBatch));
        const bool last = at + n == tokens.size();
        ATELIER_TRY(forwardBatch(tokens.subspan(at, n), last ? topCandidates : 0));
        if (progress && !last && !progress(int(at + n), int(tokens.size())))
            return makeError(ErrorCode::Cancelled, "stopped while reading the prompt");
    }
    return {};
}

Status LanguageModel::forwardEmbeddings(const ops::Tensor& rows, bool causal, int topCandidates)
{
    if (topCandidates < 0 || topCandidates > int(ops::kTopLogitsMaxK))
        return makeError(ErrorCode::InvalidArgument, "can choose 1 to " + std::to_string(ops::kTopLogitsMaxK) +
                                                         " top logits, not " + std::to_string(topCandidates));
    if (rows.dtype != DType::F32 || rows.shape.size() != 2 || rows.dim(1) != mConfig.dim || rows.dim(0) < 1)
        return makeError(ErrorCode::InvalidArgument, "embeddings to run must be f32 [rows, " +
                                                         std::to_string(mConfig.dim) + "], not " + rows.shapeText());
    const int64_t n = rows.dim(0);
    if (n > mState.maxBatch)
        return makeError(ErrorCode::InvalidArgument, std::to_string(n) + " embeddings do not fit one pass of " +
                                                         std::to_string(mState.maxBatch) + " rows");
    if (mCache.length + n > mCache.capacity)
        return makeError(ErrorCode::InvalidArgument, "the context is full (" + std::to_string(mCache.capacity) + " tokens)");
    return forwardBatch({}, topCandidates, &rows, causal);
}

Result<std::vector<float>> LanguageModel::logits() const { return mState.logits.toFloats(mDevice); }

Result<ops::TopLogits> LanguageModel::topLogits() const { return ops::readTopLogits(mState.top); }

ops::TokenIds LanguageModel::stageTokenIds(std::span<const int32_t> tokens)
{
    // Written into buffers made at load: a token allocates and submits nothing of its own.
    vk::Buffer& host = mState.idStaging.valid() ? mState.idStaging : mState.tokenIds;
    std::memcpy(host.mapped(), tokens.data(), tokens.size_bytes());
    ops::TokenIds ids;
    ids.buffer = mState.tokenIds.alias(tokens.size_bytes());
    ids.host.assign(tokens.begin(), tokens.end());
    return ids;
}

} // namespace atelier::llm

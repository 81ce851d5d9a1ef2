#include "diffusion/text_encoder.h"

#include "diffusion/checkpoint.h"
#include "ops/elementwise.h"
#include "ops/gelu.h"
#include "ops/group_norm.h"
#include "ops/matmul.h"
#include "ops/sequence_attention.h"
#include "vk/command_batch.h"
#include "vk/device.h"

#include <algorithm>
#include <string>

namespace atelier::diffusion {

namespace {

// out = x . W^T + b
Status linear(vk::CommandBatch& b, const ops::Tensor& x, const LinearWeights& w, ops::Tensor& out)
{
    ATELIER_TRY(ops::matmul(b, x, w.weight, out));
    return w.bias ? ops::add(b, out, *w.bias, out) : Status{};
}

Status checkConfig(const TextEncoderConfig& c)
{
    const std::string what = "text encoder (" + std::to_string(c.width) + " wide, " + std::to_string(c.heads) +
                             " heads): ";
    if (c.heads <= 0 || c.width % c.heads != 0)
        return makeError(ErrorCode::Unsupported, what + "the width does not split into the heads");
    const int headDim = c.width / c.heads;
    if (headDim % 4 != 0 || headDim > 256)
        return makeError(ErrorCode::Unsupported, what + "heads of " + std::to_string(headDim) +
                                                     " are not a multiple of 4 up to 256");
    if (c.maxPositions < kChunkTokens)
        return makeError(ErrorCode::Unsupported, what + "only " + std::to_string(c.maxPositions) +
                                                     " positions, fewer than a chunk's " + std::to_string(kChunkTokens));
    return {};
}

} // namespace

Result<TextEncoderRunState> TextEncoderRunState::create(vk::Device& device, const TextEncoderConfig& c, int chunks)
{
    const int64_t rows = int64_t(chunks) * kChunkTokens;
    TextEncoderRunState s;
    s.chunks = chunks;
    ATELIER_ASSIGN(s.ids.buffer, device.allocate(uint64_t(rows) * sizeof(int32_t)));
    ATELIER_ASSIGN(s.x, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.xn, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.q, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.k, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.v, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.attention, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.projected, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.hidden, ops::Tensor::create(device, DType::F32, {rows, c.intermediate}));
    return s;
}

Result<std::unique_ptr<TextEncoder>> TextEncoder::load(vk::Device& device, const Checkpoint& checkpoint,
                                                       WeightPrecision precision)
{
    std::unique_ptr<TextEncoder> encoder(new TextEncoder(device));
    encoder->mConfig = checkpoint.config().text;
    ATELIER_TRY(checkConfig(encoder->mConfig));
    ATELIER_ASSIGN(encoder->mWeights, TextEncoderWeights::bind(device, checkpoint, encoder->mConfig, precision));
    return encoder;
}

Status TextEncoder::record(vk::CommandBatch& b, int chunks, int layers)
{
    const TextEncoderConfig& c = mConfig;
    const int64_t rows = int64_t(chunks) * kChunkTokens;
    const int64_t headDim = c.width / c.heads;
    const std::vector<int64_t> tokenShape{rows, c.width};
    const std::vector<int64_t> headShape{chunks, kChunkTokens, c.heads, headDim};
    ATELIER_ASSIGN(ops::Tensor x, mState.x.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor xn, mState.xn.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor q, mState.q.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor k, mState.k.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor v, mState.v.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor attention, mState.attention.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor projected, mState.projected.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor hidden, mState.hidden.view({rows, c.intermediate}));
    ATELIER_ASSIGN(const ops::Tensor qHeads, mState.q.view(headShape));
    ATELIER_ASSIGN(const ops::Tensor kHeads, mState.k.view(headShape));
    ATELIER_ASSIGN(const ops::Tensor vHeads, mState.v.view(headShape));
    ATELIER_ASSIGN(ops::Tensor attentionHeads, mState.attention.view(headShape));
    ATELIER_ASSIGN(const ops::Tensor positions, mWeights.positionEmbedding.view({kChunkTokens, c.width}));

    const ops::LayerNormOptions norm{c.layerNormEps};
    ops::SequenceAttentionOptions attend;
    attend.causal = true;
    const ops::GeluForm gelu = c.activation == TextActivation::QuickGelu ? ops::GeluForm::Quick : ops::GeluForm::Erf;

    ATELIER_TRY(ops::embedding(b, mWeights.tokenEmbedding, mState.ids, x));
    ATELIER_TRY(ops::add(b, x, positions, x)); // positions repeat for every chunk
    for (int l = 0; l < layers; ++l) {
        const TextEncoderLayerWeights& w = mWeights.layers[size_t(l)];
        ATELIER_TRY(ops::layerNorm(b, x, w.norm1.gamma, w.norm1.beta, xn, norm));
        ATELIER_TRY(linear(b, xn, w.q, q));
        ATELIER_TRY(linear(b, xn, w.k, k));
        ATELIER_TRY(linear(b, xn, w.v, v));
        ATELIER_TRY(ops::sequenceAttention(b, qHeads, kHeads, vHeads, attentionHeads, attend));
        ATELIER_TRY(linear(b, attention, w.out, projected));
        ATELIER_TRY(ops::add(b, x, projected, x));

        ATELIER_TRY(ops::layerNorm(b, x, w.norm2.gamma, w.norm2.beta, xn, norm));
        ATELIER_TRY(linear(b, xn, w.fc1, hidden));
        ATELIER_TRY(ops::gelu(b, hidden, hidden, gelu));
        ATELIER_TRY(linear(b, hidden, w.fc2, projected));
        ATELIER_TRY(ops::add(b, x, projected, x));
    }
    return ops::layerNorm(b, x, mWeights.finalNorm.gamma, mWeights.finalNorm.beta, xn, norm);
}

Result<std::vector<float>> TextEncoder::encode(std::span<const PromptChunk> chunks, int clipSkip)
{
    if (chunks.empty())
        return makeError(ErrorCode::InvalidArgument, "text encoder: no prompt chunks to encode");
    if (clipSkip < 1 || clipSkip > mConfig.layers)
        return makeError(ErrorCode::InvalidArgument, "clip skip " + std::to_string(clipSkip) + " is outside 1.." +
                                                         std::to_string(mConfig.layers) + " (the text encoder's layers)");
    const int layers = mConfig.layers - clipSkip + 1;
    std::vector<float> out;
    out.reserve(chunks.size() * size_t(kChunkTokens) * size_t(mConfig.width));
    for (size_t first = 0; first < chunks.size(); first += kMaxChunksPerPass)
        ATELIER_TRY(encodePass(chunks.subspan(first, std::min(chunks.size() - first, size_t(kMaxChunksPerPass))),
                               layers, out));
    return out;
}

Status TextEncoder::encodePass(std::span<const PromptChunk> chunks, int layers, std::vector<float>& out)
{
    const int n = int(chunks.size());
    if (mState.chunks < n) {
        mState = {}; // frees the smaller state before the larger one is allocated
        ATELIER_ASSIGN(mState, TextEncoderRunState::create(mDevice, mConfig, n));
    }
    mState.ids.host.clear();
    for (const PromptChunk& chunk : chunks)
        mState.ids.host.insert(mState.ids.host.end(), chunk.ids.begin(), chunk.ids.end());
    ATELIER_TRY(mDevice.upload(mState.ids.buffer, mState.ids.host.data(), mState.ids.host.size() * sizeof(int32_t)));

    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& b) { return record(b, n, layers); }));
    ATELIER_ASSIGN(const ops::Tensor hidden, mState.xn.view({int64_t(n) * kChunkTokens, mConfig.width}));
    ATELIER_ASSIGN(const std::vector<float> values, hidden.toFloats(mDevice));
    out.insert(out.end(), values.begin(), values.end());
    return {};
}

Result<std::vector<float>> TextEncoder::condition(const ChunkedPrompt& prompt, int clipSkip)
{
    ATELIER_ASSIGN(std::vector<float> z, encode(prompt.chunks, clipSkip));
    const size_t chunkValues = size_t(kChunkTokens) * size_t(mConfig.width);
    for (size_t i = 0; i < prompt.chunks.size(); ++i)
        applyPromptWeights(std::span<float>(z).subspan(i * chunkValues, chunkValues), prompt.chunks[i].weights,
                           mConfig.width);
    return z;
}

void applyPromptWeights(std::span<float> z, std::span<const float> weights, int width)
{
    // A1111 takes torch means in f32; double sums agree with them to f32 rounding.
    double before = 0.0;
    double after = 0.0;
    for (size_t i = 0; i < z.size(); ++i) {
        before += z[i];
        z[i] *= weights[i / size_t(width)];
        after += z[i];
    }
    if (after == 0.0)
        return;
    const float restore = float(before / after);
    for (float& value : z)
        value *= restore;
}

} // namespace atelier::diffusion

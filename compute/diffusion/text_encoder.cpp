#include "diffusion/text_encoder.h"

#include "diffusion/checkpoint.h"
#include "ops/elementwise.h"
#include "ops/group_norm.h"
#include "ops/linear.h"
#include "ops/sequence_attention.h"
#include "vk/command_batch.h"
#include "vk/device.h"

#include <algorithm>
#include <string>

namespace atelier::diffusion {

namespace {

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

uint64_t TextEncoderRunState::qkvPartStride(int64_t rows, int64_t width) const
{
    const uint64_t alignElements = align / sizeof(float);
    return (uint64_t(rows * width) + alignElements - 1) / alignElements * alignElements;
}

Result<TextEncoderRunState> TextEncoderRunState::create(vk::Device& device, const TextEncoderConfig& c, int chunks)
{
    const int64_t rows = int64_t(chunks) * kChunkTokens;
    TextEncoderRunState s;
    s.chunks = chunks;
    s.align = device.allocator().alignment();
    ATELIER_ASSIGN(s.ids.buffer, device.allocate(uint64_t(rows) * sizeof(int32_t)));
    ATELIER_ASSIGN(s.x, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.xn, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.qkv, ops::Tensor::create(device, DType::F32, {int64_t(3 * s.qkvPartStride(rows, c.width))}));
    ATELIER_ASSIGN(s.attention, ops::Tensor::create(device, DType::F32, {rows, c.width}));
    ATELIER_ASSIGN(s.hidden, ops::Tensor::create(device, DType::F32, {rows, c.intermediate}));
    ATELIER_ASSIGN(s.scores, ops::Tensor::create(device, DType::F32, {ops::sequenceAttentionWorkspaceElements(
                                                                        kChunkTokens, kChunkTokens, c.heads)}));
    ATELIER_ASSIGN(s.scratch, ops::Tensor::create(device, DType::F32, {rows * 3 * c.width}));
    ATELIER_ASSIGN(s.normStatistics,
                   ops::Tensor::create(device, DType::F32, {int64_t(ops::groupNormStatisticsElements(
                                                               device, DType::F32, 1, uint64_t(c.width), 1, 0, uint64_t(rows)))}));
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
    const uint64_t partStride = mState.qkvPartStride(rows, c.width);
    ATELIER_ASSIGN(ops::Tensor x, mState.x.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor xn, mState.xn.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor attention, mState.attention.view(tokenShape));
    ATELIER_ASSIGN(ops::Tensor hidden, mState.hidden.view({rows, c.intermediate}));
    ATELIER_ASSIGN(const ops::Tensor qHeads, mState.qkv.slice(0, headShape, mState.align));
    ATELIER_ASSIGN(const ops::Tensor kHeads, mState.qkv.slice(partStride, headShape, mState.align));
    ATELIER_ASSIGN(const ops::Tensor vHeads, mState.qkv.slice(2 * partStride, headShape, mState.align));
    ATELIER_ASSIGN(ops::Tensor attentionHeads, mState.attention.view(headShape));
    ATELIER_ASSIGN(const ops::Tensor positions, mWeights.positionEmbedding.view({kChunkTokens, c.width}));

    // LayerNorm as a GroupNorm of one group over rows of one pixel: with the statistics workspace CPU
    // devices take the passes without shared memory (ops/group_norm.h).
    ops::GroupNormOptions normOptions;
    normOptions.groups = 1;
    normOptions.eps = c.layerNormEps;
    normOptions.statistics = &mState.normStatistics;
    const std::vector<int64_t> pixelShape{rows, 1, c.width};
    const auto layerNorm = [&](const ops::Tensor& in, const NormWeights& w, ops::Tensor& out) -> Status {
        ATELIER_ASSIGN(const ops::Tensor pixels, in.view(pixelShape));
        ATELIER_ASSIGN(ops::Tensor normalised, out.view(pixelShape));
        return ops::groupNorm(b, pixels, w.gamma, w.beta, normalised, normOptions);
    };
    ops::SequenceAttentionOptions attend;
    attend.causal = true;
    // CPU devices: the passes without shared memory (for 77 tokens within the noise of the fused
    // kernel on a loaded lavapipe: 1.61 against 1.66 s of CPU for prompt + negative).
    attend.workspace = &mState.scores;
    const ops::GeluForm gelu = c.activation == TextActivation::QuickGelu ? ops::GeluForm::Quick : ops::GeluForm::Erf;
    // The epilogues of the four products (ops::linear).
    const auto options = [&](const LinearWeights& w) {
        ops::LinearOptions o;
        o.bias = w.bias ? &*w.bias : nullptr;
        o.scratch = &mState.scratch;
        return o;
    };

    ATELIER_TRY(ops::embedding(b, mWeights.tokenEmbedding, mState.ids, x));
    ATELIER_TRY(ops::add(b, x, positions, x)); // positions repeat for every chunk
    for (int l = 0; l < layers; ++l) {
        const TextEncoderLayerWeights& w = mWeights.layers[size_t(l)];
        ATELIER_TRY(layerNorm(x, w.norm1, xn));
        ops::LinearOptions qkv = options(w.qkv);
        qkv.parts = 3;
        qkv.partStride = partStride;
        ATELIER_TRY(ops::linear(b, xn, w.qkv.weight, mState.qkv, qkv));
        ATELIER_TRY(ops::sequenceAttention(b, qHeads, kHeads, vHeads, attentionHeads, attend));
        ops::LinearOptions out = options(w.out);
        out.residual = true;
        ATELIER_TRY(ops::linear(b, attention, w.out.weight, x, out));

        ATELIER_TRY(layerNorm(x, w.norm2, xn));
        ops::LinearOptions fc1 = options(w.fc1);
        fc1.activation = gelu;
        ATELIER_TRY(ops::linear(b, xn, w.fc1.weight, hidden, fc1));
        ops::LinearOptions fc2 = options(w.fc2);
        fc2.residual = true;
        ATELIER_TRY(ops::linear(b, hidden, w.fc2.weight, x, fc2));
    }
    return layerNorm(x, mWeights.finalNorm, xn);
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
    ATELIER_ASSIGN(std::vector<std::vector<float>> z, condition(std::span(&prompt, 1), clipSkip));
    return std::move(z.front());
}

Result<std::vector<std::vector<float>>> TextEncoder::condition(std::span<const ChunkedPrompt> prompts, int clipSkip)
{
    std::vector<PromptChunk> chunks;
    for (const ChunkedPrompt& prompt : prompts)
        chunks.insert(chunks.end(), prompt.chunks.begin(), prompt.chunks.end());
    ATELIER_ASSIGN(const std::vector<float> z, encode(chunks, clipSkip));
    const size_t chunkValues = size_t(kChunkTokens) * size_t(mConfig.width);
    std::vector<std::vector<float>> out;
    out.reserve(prompts.size());
    size_t first = 0;
    for (const ChunkedPrompt& prompt : prompts) {
        const auto begin = z.begin() + std::ptrdiff_t(first * chunkValues);
        std::vector<float>& one = out.emplace_back(begin, begin + std::ptrdiff_t(prompt.chunks.size() * chunkValues));
        for (size_t i = 0; i < prompt.chunks.size(); ++i)
            applyPromptWeights(std::span<float>(one).subspan(i * chunkValues, chunkValues), prompt.chunks[i].weights,
                               mConfig.width);
        first += prompt.chunks.size();
    }
    return out;
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

#include "llm/vision_encoder.h"

#include "io/gguf.h"
#include "llm/linear_weights.h"
#include "llm/weights.h"
#include "ops/elementwise.h"
#include "ops/gelu.h"
#include "ops/group_norm.h"
#include "ops/layout_copy.h"
#include "ops/linear.h"
#include "ops/matmul.h"
#include "ops/rmsnorm.h"
#include "ops/sequence_attention.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::llm {

namespace {

// Scores of at most this many elements at once: queries go through attention in chunks beyond it.
constexpr int64_t kMaxScoreElements = int64_t(16) << 20;

Result<VisionLayerWeights> bindLayer(vk::Device& d, const io::GgufFile& f, const VisionConfig& c, int layer)
{
    const std::string p = "v.blk." + std::to_string(layer) + ".";
    const int64_t dim = c.dim, ff = c.feedForward;
    VisionLayerWeights w;
    ATELIER_ASSIGN(w.norm1, bindLayerNorm(d, f, p + "ln1", dim));
    ATELIER_ASSIGN(w.q, bindLinear(d, f, p + "attn_q", dim, dim));
    ATELIER_ASSIGN(w.k, bindLinear(d, f, p + "attn_k", dim, dim));
    ATELIER_ASSIGN(w.v, bindLinear(d, f, p + "attn_v", dim, dim));
    ATELIER_ASSIGN(w.out, bindLinear(d, f, p + "attn_out", dim, dim));
    ATELIER_ASSIGN(w.norm2, bindLayerNorm(d, f, p + "ln2", dim));
    // Early converters wrote Gemma 3's ffn_up and ffn_down under each other's names; llama.cpp
    // tells them apart by shape, and so does this.
    const io::GgufTensor* down = f.tensor(p + "ffn_down.weight");
    const bool swapped = down && down->ne[0] == dim && down->ne[1] == ff && ff != dim;
    ATELIER_ASSIGN(w.up, bindLinear(d, f, p + (swapped ? "ffn_down" : "ffn_up"), ff, dim));
    ATELIER_ASSIGN(w.down, bindLinear(d, f, p + (swapped ? "ffn_up" : "ffn_down"), dim, ff));
    return w;
}

// [tokens, patches]: token (ty, tx) averages the merge x merge patches of its square.
std::vector<float> poolingMatrix(const VisionConfig& c)
{
    const int side = c.patchesPerSide(), m = c.merge, out = side / m;
    std::vector<float> matrix(size_t(c.tokens()) * size_t(c.patches()), 0.0f);
    const float share = 1.0f / float(m * m);
    for (int py = 0; py < side; ++py)
        for (int px = 0; px < side; ++px) {
            const int token = (py / m) * out + px / m;
            matrix[size_t(token) * size_t(c.patches()) + size_t(py * side + px)] = share;
        }
    return matrix;
}

// For each token (Y, X) of the merged grid, its merge x merge patches row by row: (Y*m+dy, X*m+dx),
// as llama.cpp's build_patch_merge_permute lays them side by side.
std::vector<int32_t> shuffleOrder(const VisionConfig& c)
{
    const int side = c.patchesPerSide(), m = c.merge, out = side / m;
    std::vector<int32_t> order;
    order.reserve(size_t(c.patches()));
    for (int ty = 0; ty < out; ++ty)
        for (int tx = 0; tx < out; ++tx)
            for (int dy = 0; dy < m; ++dy)
                for (int dx = 0; dx < m; ++dx)
                    order.push_back(int32_t((ty * m + dy) * side + tx * m + dx));
    return order;
}

Status bindGemma3(vk::Device& device, const io::GgufFile& f, const VisionConfig& c, VisionWeights& w)
{
    const int64_t dim = c.dim;
    ATELIER_ASSIGN(w.softEmbeddingNorm, bindTensor(device, f, "mm.soft_emb_norm.weight", {dim}, true));
    ATELIER_ASSIGN(const ops::Tensor projection,
                   bindTensor(device, f, "mm.input_projection.weight", {dim, int64_t(c.textDim)}));
    if (projection.dtype != DType::F32 && projection.dtype != DType::F16)
        return makeError(ErrorCode::Unsupported, "vision projector: mm.input_projection.weight must be f32 or f16, not " +
                                                     projection.shapeText());
    ATELIER_ASSIGN(w.projection, ops::Tensor::create(device, projection.dtype, {int64_t(c.textDim), dim}));
    ATELIER_TRY(device.execute([&](vk::CommandBatch& b) { return ops::transpose2d(b, projection, w.projection); }));
    ATELIER_ASSIGN(w.pooling, ops::Tensor::fromFloats(device, DType::F32, {int64_t(c.tokens()), int64_t(c.patches())},
                                                      poolingMatrix(c)));
    return {};
}

Status bindIdefics3(vk::Device& device, const io::GgufFile& f, const VisionConfig& c, VisionWeights& w)
{
    ATELIER_ASSIGN(w.connector, bindTensor(device, f, "mm.model.fc.weight",
                                           {int64_t(c.textDim), int64_t(c.dim) * c.merge * c.merge}));
    const std::vector<int32_t> order = shuffleOrder(c);
    ATELIER_ASSIGN(w.shuffle, ops::TokenIds::upload(device, order));
    return {};
}

// out = [out +] act(x . W^T + b) in as few passes as the device allows (ops::linear); `residual`
// is where the separate passes keep the product before adding it to out.
Status project(vk::CommandBatch& b, const ops::Tensor& x, const Linear& w, ops::Tensor& out,
               std::optional<ops::GeluForm> activation = {}, ops::Tensor* residual = nullptr)
{
    ops::LinearOptions o;
    o.bias = w.bias ? &*w.bias : nullptr;
    o.activation = activation;
    o.residual = residual != nullptr;
    o.scratch = residual;
    return ops::linear(b, x, w.weight, out, o);
}

} // namespace

Result<std::unique_ptr<VisionEncoder>> VisionEncoder::load(vk::Device& device, const std::string& path)
{
    ATELIER_ASSIGN(auto file, io::GgufFile::open(path));
    const io::GgufFile& f = *file;
    std::unique_ptr<VisionEncoder> e(new VisionEncoder(device));
    ATELIER_ASSIGN(e->mConfig, VisionConfig::fromGguf(f));
    const VisionConfig& c = e->mConfig;
    VisionWeights& w = e->mWeights;
    const int64_t dim = c.dim, patches = c.patches(), tokens = c.tokens();
    const int64_t patchValues = int64_t(3) * c.patchSize * c.patchSize;

    ATELIER_ASSIGN(w.patch, bindTensor(device, f, "v.patch_embd.weight", {dim, 3, c.patchSize, c.patchSize}));
    ATELIER_ASSIGN(w.patchBias, bindOptionalTensor(device, f, "v.patch_embd.bias", {dim}, true));
    ATELIER_ASSIGN(w.positions, bindTensor(device, f, "v.position_embd.weight", {patches, dim}, true));
    for (int l = 0; l < c.layers; ++l) {
        ATELIER_ASSIGN(VisionLayerWeights layer, bindLayer(device, f, c, l));
        w.layers.push_back(std::move(layer));
    }
    if (f.tensor("v.post_ln.weight")) {
        ATELIER_ASSIGN(w.postNorm, bindLayerNorm(device, f, "v.post_ln", dim));
    }
    ATELIER_TRY(c.projector == Projector::Gemma3 ? bindGemma3(device, f, c, w) : bindIdefics3(device, f, c, w));

    for (auto [t, shape] : {std::pair{&e->mPatchRows, std::vector<int64_t>{patches, patchValues}},
                            {&e->mX, {patches, dim}}, {&e->mSum, {patches, dim}}, {&e->mQ, {patches, dim}},
                            {&e->mK, {patches, dim}}, {&e->mV, {patches, dim}}, {&e->mAttention, {patches, dim}},
                            {&e->mHidden, {patches, int64_t(c.feedForward)}}, {&e->mTransposed, {dim, patches}},
                            {&e->mPooled, {tokens, dim}}, {&e->mNormed, {tokens, dim}}, {&e->mShuffled, {patches, dim}},
                            {&e->mScratch, {patches, dim}},
                            {&e->mEmbeddings, {tokens, int64_t(c.textDim)}}}) {
        ATELIER_ASSIGN(*t, ops::Tensor::create(device, DType::F32, shape));
    }
    // On CPU devices attention goes a head at a time through stored scores, its two products on the
    // rows matmul: a 2-layer Gemma 3 tile (4096 patches) 16.3 -> 15.3 s on lavapipe, 2 cores.
    e->mPerHead = device.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    if (e->mPerHead) {
        const int64_t headDim = dim / c.heads;
        for (ops::Tensor* t : {&e->mHeadQ, &e->mHeadK, &e->mHeadV, &e->mHeadOut}) {
            ATELIER_ASSIGN(*t, ops::Tensor::create(device, DType::F32, {patches, headDim}));
        }
        ATELIER_ASSIGN(e->mWide, ops::WideAttentionScratch::create(device, patches, headDim, DType::F32));
    } else {
        const int64_t scores = std::min(ops::sequenceAttentionWorkspaceElements(patches, patches, c.heads), kMaxScoreElements);
        ATELIER_ASSIGN(e->mScores, ops::Tensor::create(device, DType::F32, {scores}));
    }
    return e;
}

Status VisionEncoder::record(vk::CommandBatch& b)
{
    const VisionConfig& c = mConfig;
    const VisionWeights& w = mWeights;
    const int64_t patches = c.patches(), headDim = c.dim / c.heads;
    const std::vector<int64_t> heads{1, patches, int64_t(c.heads), headDim};
    ATELIER_ASSIGN(const ops::Tensor qHeads, mQ.view(heads));
    ATELIER_ASSIGN(const ops::Tensor kHeads, mK.view(heads));
    ATELIER_ASSIGN(const ops::Tensor vHeads, mV.view(heads));
    ATELIER_ASSIGN(ops::Tensor attentionHeads, mAttention.view(heads));
    const ops::LayerNormOptions norm{c.eps};
    ops::SequenceAttentionOptions attend;
    attend.workspace = &mScores;

    ATELIER_ASSIGN(const ops::Tensor patch, w.patch.view({int64_t(c.dim), mPatchRows.dim(1)}));
    ATELIER_TRY(ops::matmul(b, mPatchRows, patch, mSum));
    if (w.patchBias)
        ATELIER_TRY(ops::add(b, mSum, *w.patchBias, mSum));
    ATELIER_TRY(ops::add(b, mSum, w.positions, mX));
    const std::optional<ops::GeluForm> gelu = c.activation == VisionActivation::GeluTanh    ? ops::GeluForm::Tanh
                                              : c.activation == VisionActivation::GeluQuick ? ops::GeluForm::Quick
                                                                                            : std::optional<ops::GeluForm>{};
    for (const VisionLayerWeights& l : w.layers) {
        ATELIER_TRY(ops::layerNorm(b, mX, l.norm1.gamma, l.norm1.beta, mSum, norm));
        ATELIER_TRY(project(b, mSum, l.q, mQ));
        ATELIER_TRY(project(b, mSum, l.k, mK));
        ATELIER_TRY(project(b, mSum, l.v, mV));
        ATELIER_TRY(mPerHead ? attendByHead(b) : ops::sequenceAttention(b, qHeads, kHeads, vHeads, attentionHeads, attend));
        ATELIER_TRY(project(b, mAttention, l.out, mX, {}, &mScratch)); // x += out(attention)
        ATELIER_TRY(ops::layerNorm(b, mX, l.norm2.gamma, l.norm2.beta, mSum, norm));
        ATELIER_TRY(project(b, mSum, l.up, mHidden, gelu));
        if (c.activation == VisionActivation::Silu)
            ATELIER_TRY(ops::silu(b, mHidden, mHidden));
        ATELIER_TRY(project(b, mHidden, l.down, mX, {}, &mScratch)); // x += down(...)
    }
    if (w.postNorm) {
        ATELIER_TRY(ops::layerNorm(b, mX, w.postNorm->gamma, w.postNorm->beta, mSum, norm));
    } else {
        b.copy(mX.buffer.range(0, mX.bytes()), mSum.buffer.range(0, mX.bytes()));
    }
    if (c.projector == Projector::Idefics3) { // each square's patches side by side, then the connector
        ATELIER_TRY(ops::embedding(b, mSum, w.shuffle, mShuffled));
        ATELIER_ASSIGN(const ops::Tensor squares, mShuffled.view({int64_t(c.tokens()), int64_t(c.dim) * c.merge * c.merge}));
        return ops::matmul(b, squares, w.connector, mEmbeddings);
    }
    // The average of each square of patches, as a product with the pooling matrix.
    ATELIER_TRY(ops::transpose2d(b, mSum, mTransposed));
    ATELIER_TRY(ops::matmul(b, w.pooling, mTransposed, mPooled));
    ATELIER_TRY(ops::rmsnorm(b, mPooled, w.softEmbeddingNorm, mNormed, ops::RmsNormOptions{c.eps}));
    return ops::matmul(b, mNormed, w.projection, mEmbeddings);
}

Status VisionEncoder::attendByHead(vk::CommandBatch& b)
{
    const uint64_t headDim = uint64_t(mConfig.dim / mConfig.heads);
    for (uint64_t h = 0; h < uint64_t(mConfig.heads); ++h) {
        ATELIER_TRY(ops::copyColumns(b, mQ, h * headDim, headDim, mHeadQ, 0));
        ATELIER_TRY(ops::copyColumns(b, mK, h * headDim, headDim, mHeadK, 0));
        ATELIER_TRY(ops::copyColumns(b, mV, h * headDim, headDim, mHeadV, 0));
        ATELIER_TRY(ops::wideAttention(b, mHeadQ, mHeadK, mHeadV, mHeadOut, mWide));
        ATELIER_TRY(ops::copyIntoColumns(b, mHeadOut, mAttention, h * headDim));
    }
    return {};
}

Result<const ops::Tensor*> VisionEncoder::encode(const RgbPicture& picture)
{
    ATELIER_ASSIGN(const std::vector<float> rows, patchRows(picture, mConfig));
    ATELIER_TRY(mDevice.upload(mPatchRows.buffer, rows.data(), rows.size() * sizeof(float)));
    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& b) { return record(b); }));
    return &mEmbeddings;
}

Result<std::vector<float>> VisionEncoder::encodeToHost(const RgbPicture& picture)
{
    ATELIER_ASSIGN(const ops::Tensor* embeddings, encode(picture));
    return embeddings->toFloats(mDevice);
}

} // namespace atelier::llm

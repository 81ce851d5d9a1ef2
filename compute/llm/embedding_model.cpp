#include "llm/embedding_model.h"

#include "io/gguf.h"
#include "llm/weights.h"
#include "ops/elementwise.h"
#include "ops/gelu.h"
#include "ops/glu.h"
#include "ops/group_norm.h"
#include "ops/matmul.h"
#include "ops/rope.h"
#include "ops/sequence_attention.h"
#include "vk/device.h"

#include <cmath>

namespace atelier::llm {

namespace {

Result<int> positive(const io::GgufFile& f, const std::string& key)
{
    ATELIER_ASSIGN(const uint32_t v, f.u32(key));
    if (v == 0 || v > (1u << 20))
        return makeError(ErrorCode::Format, "model metadata: " + key + " = " + std::to_string(v) + " is not plausible");
    return int(v);
}

Result<LayerNormWeights> bindNorm(vk::Device& d, const io::GgufFile& f, const std::string& name, int64_t dim)
{
    LayerNormWeights n;
    ATELIER_ASSIGN(n.gamma, bindTensor(d, f, name + ".weight", {dim}, true));
    ATELIER_ASSIGN(n.beta, bindTensor(d, f, name + ".bias", {dim}, true));
    return n;
}

Result<Linear> bindLinear(vk::Device& d, const io::GgufFile& f, const std::string& name, int64_t out, int64_t in)
{
    Linear l;
    ATELIER_ASSIGN(l.weight, bindTensor(d, f, name + ".weight", {out, in}));
    ATELIER_ASSIGN(l.bias, bindOptionalTensor(d, f, name + ".bias", {out}, true));
    return l;
}

Result<EmbeddingLayerWeights> bindLayer(vk::Device& d, const io::GgufFile& f, const EmbeddingConfig& c, int layer)
{
    const std::string p = "blk." + std::to_string(layer) + ".";
    const int64_t dim = c.dim, ff = c.feedForward;
    EmbeddingLayerWeights w;
    if (f.tensor(p + "attn_qkv.weight")) { // fused: q, k and v are its thirds
        Linear* parts[] = {&w.q, &w.k, &w.v};
        for (int i = 0; i < 3; ++i) {
            ATELIER_ASSIGN(parts[i]->weight, bindTensorRows(d, f, p + "attn_qkv.weight", {3 * dim, dim}, i * dim, dim));
        }
        if (f.tensor(p + "attn_qkv.bias"))
            return makeError(ErrorCode::Unsupported, "tensor '" + p + "attn_qkv.bias': fused q/k/v biases are not supported");
    } else {
        ATELIER_ASSIGN(w.q, bindLinear(d, f, p + "attn_q", dim, dim));
        ATELIER_ASSIGN(w.k, bindLinear(d, f, p + "attn_k", dim, dim));
        ATELIER_ASSIGN(w.v, bindLinear(d, f, p + "attn_v", dim, dim));
    }
    ATELIER_ASSIGN(w.out, bindLinear(d, f, p + "attn_output", dim, dim));
    ATELIER_ASSIGN(w.attentionNorm, bindNorm(d, f, p + "attn_output_norm", dim));
    ATELIER_ASSIGN(w.up, bindLinear(d, f, p + "ffn_up", ff, dim));
    ATELIER_ASSIGN(w.down, bindLinear(d, f, p + "ffn_down", dim, ff));
    if (c.nomic) {
        ATELIER_ASSIGN(w.gate, bindTensor(d, f, p + "ffn_gate.weight", {ff, dim}));
    }
    ATELIER_ASSIGN(w.outputNorm, bindNorm(d, f, p + "layer_output_norm", dim));
    return w;
}

Status linear(vk::CommandBatch& b, const ops::Tensor& x, const Linear& w, ops::Tensor& out)
{
    ATELIER_TRY(ops::matmul(b, x, w.weight, out));
    return w.bias ? ops::add(b, out, *w.bias, out) : Status{};
}

} // namespace

Result<EmbeddingConfig> EmbeddingConfig::fromGguf(const io::GgufFile& f)
{
    EmbeddingConfig c;
    c.architectureName = f.architecture();
    const std::string& arch = c.architectureName;
    if (arch != "bert" && arch != "nomic-bert")
        return makeError(ErrorCode::Unsupported, "embedding models of architecture '" + (arch.empty() ? "?" : arch) +
                                                     "' are not supported (bert and nomic-bert are)");
    c.nomic = arch == "nomic-bert";
    if (auto name = f.string("general.name"); name.ok())
        c.name = name.value();
    ATELIER_ASSIGN(c.dim, positive(f, arch + ".embedding_length"));
    ATELIER_ASSIGN(c.layers, positive(f, arch + ".block_count"));
    ATELIER_ASSIGN(c.heads, positive(f, arch + ".attention.head_count"));
    ATELIER_ASSIGN(c.feedForward, positive(f, arch + ".feed_forward_length"));
    ATELIER_ASSIGN(c.contextLength, positive(f, arch + ".context_length"));
    if (c.dim % c.heads != 0 || (c.dim / c.heads) % 4 != 0 || c.dim / c.heads > 256)
        return makeError(ErrorCode::Unsupported, "embedding model: heads of " + std::to_string(c.dim) + " / " +
                                                     std::to_string(c.heads) + " values are not supported");
    if (auto eps = f.f32(arch + ".attention.layer_norm_epsilon"); eps.ok())
        c.eps = eps.value();
    if (auto base = f.f32(arch + ".rope.freq_base"); base.ok())
        c.ropeBase = base.value();
    // llama.cpp's pooling types: 1 mean, 2 cls, 3 last; models without one are pooled by mean.
    if (auto pooling = f.u32(arch + ".pooling_type"); pooling.ok()) {
        switch (pooling.value()) {
        case 1: c.pooling = Pooling::Mean; break;
        case 2: c.pooling = Pooling::Cls; break;
        case 3: c.pooling = Pooling::Last; break;
        default:
            return makeError(ErrorCode::Unsupported, "embedding model: pooling type " + std::to_string(pooling.value()) +
                                                         " is not supported (mean, cls and last are)");
        }
    }
    return c;
}

Result<std::unique_ptr<EmbeddingModel>> EmbeddingModel::load(vk::Device& device, const std::string& path)
{
    ATELIER_ASSIGN(auto file, io::GgufFile::open(path));
    const io::GgufFile& f = *file;
    std::unique_ptr<EmbeddingModel> m(new EmbeddingModel(device));
    ATELIER_ASSIGN(m->mConfig, EmbeddingConfig::fromGguf(f));
    const EmbeddingConfig& c = m->mConfig;
    ATELIER_ASSIGN(Vocab vocab, Vocab::fromGguf(f));
    ATELIER_ASSIGN(m->mTokenizer, Tokenizer::create(std::move(vocab)));

    EmbeddingWeights& w = m->mWeights;
    const int64_t vocabSize = int64_t(m->mTokenizer->vocab().size());
    ATELIER_ASSIGN(w.tokenEmbedding, bindTensor(device, f, "token_embd.weight", {vocabSize, c.dim}));
    if (const io::GgufTensor* types = f.tensor("token_types.weight")) {
        ATELIER_ASSIGN(w.tokenTypes, bindTensor(device, f, "token_types.weight", {types->ne[1], c.dim}, true));
    }
    if (!c.nomic) {
        ATELIER_ASSIGN(w.positions, bindTensor(device, f, "position_embd.weight", {c.contextLength, c.dim}, true));
    }
    ATELIER_ASSIGN(w.embeddingNorm, bindNorm(device, f, "token_embd_norm", c.dim));
    for (int l = 0; l < c.layers; ++l) {
        ATELIER_ASSIGN(EmbeddingLayerWeights layer, bindLayer(device, f, c, l));
        w.layers.push_back(std::move(layer));
    }

    const int64_t n = c.contextLength;
    for (auto [t, width] : {std::pair{&m->mX, c.dim}, {&m->mSum, c.dim}, {&m->mQ, c.dim}, {&m->mK, c.dim},
                            {&m->mV, c.dim}, {&m->mAttention, c.dim}, {&m->mHidden, c.feedForward},
                            {&m->mUp, c.feedForward}}) {
        ATELIER_ASSIGN(*t, ops::Tensor::create(device, DType::F32, {n, width}));
    }
    ATELIER_ASSIGN(m->mIds.buffer, device.allocate(uint64_t(n) * sizeof(int32_t)));
    return m;
}

Status EmbeddingModel::record(vk::CommandBatch& b, int64_t n)
{
    const EmbeddingConfig& c = mConfig;
    const int64_t headDim = c.dim / c.heads;
    const std::vector<int64_t> rows{n, c.dim}, heads{1, n, c.heads, headDim};
    ATELIER_ASSIGN(ops::Tensor x, mX.view(rows));
    ATELIER_ASSIGN(ops::Tensor sum, mSum.view(rows));
    ATELIER_ASSIGN(ops::Tensor q, mQ.view(rows));
    ATELIER_ASSIGN(ops::Tensor k, mK.view(rows));
    ATELIER_ASSIGN(ops::Tensor v, mV.view(rows));
    ATELIER_ASSIGN(ops::Tensor attention, mAttention.view(rows));
    ATELIER_ASSIGN(ops::Tensor hidden, mHidden.view({n, c.feedForward}));
    ATELIER_ASSIGN(ops::Tensor up, mUp.view({n, c.feedForward}));
    ATELIER_ASSIGN(ops::Tensor qHeads, mQ.view(heads));
    ATELIER_ASSIGN(ops::Tensor kHeads, mK.view(heads));
    ATELIER_ASSIGN(const ops::Tensor vHeads, mV.view(heads));
    ATELIER_ASSIGN(ops::Tensor attentionHeads, mAttention.view(heads));
    ATELIER_ASSIGN(ops::Tensor ropeQ, mQ.view({n, c.heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor ropeK, mK.view({n, c.heads, headDim}));
    const ops::LayerNormOptions norm{c.eps};

    ATELIER_TRY(ops::embedding(b, mWeights.tokenEmbedding, mIds, sum));
    if (mWeights.tokenTypes) { // every token is of type 0 ("sentence A"), as llama.cpp has it
        ATELIER_ASSIGN(const ops::Tensor typeZero, mWeights.tokenTypes->view({c.dim}));
        ATELIER_TRY(ops::add(b, sum, typeZero, sum));
    }
    if (mWeights.positions) {
        ATELIER_ASSIGN(const ops::Tensor positions, mWeights.positions->view(rows));
        ATELIER_TRY(ops::add(b, sum, positions, sum));
    }
    ATELIER_TRY(ops::layerNorm(b, sum, mWeights.embeddingNorm.gamma, mWeights.embeddingNorm.beta, x, norm));

    ops::RopeOptions rope;
    rope.layout = ops::RopeLayout::Neox;
    rope.freqBase = c.ropeBase;
    for (const EmbeddingLayerWeights& w : mWeights.layers) {
        ATELIER_TRY(linear(b, x, w.q, q));
        ATELIER_TRY(linear(b, x, w.k, k));
        ATELIER_TRY(linear(b, x, w.v, v));
        if (c.nomic) {
            ATELIER_TRY(ops::rope(b, ropeQ, ropeQ, rope));
            ATELIER_TRY(ops::rope(b, ropeK, ropeK, rope));
        }
        ATELIER_TRY(ops::sequenceAttention(b, qHeads, kHeads, vHeads, attentionHeads)); // every token sees every token
        ATELIER_TRY(linear(b, attention, w.out, q));
        ATELIER_TRY(ops::add(b, x, q, sum));
        ATELIER_TRY(ops::layerNorm(b, sum, w.attentionNorm.gamma, w.attentionNorm.beta, x, norm));

        if (w.gate) {
            ATELIER_TRY(ops::matmulGlu(b, x, *w.gate, w.up.weight, hidden, up, ops::GluActivation::SiLU));
        } else {
            ATELIER_TRY(linear(b, x, w.up, hidden));
            ATELIER_TRY(ops::gelu(b, hidden, hidden, ops::GeluForm::Tanh)); // ggml_gelu, as llama.cpp
        }
        ATELIER_TRY(linear(b, hidden, w.down, q));
        ATELIER_TRY(ops::add(b, x, q, sum));
        ATELIER_TRY(ops::layerNorm(b, sum, w.outputNorm.gamma, w.outputNorm.beta, x, norm));
    }
    return {};
}

Result<std::vector<float>> EmbeddingModel::embedTokens(std::span<const int32_t> ids, bool normalize)
{
    if (ids.empty())
        return makeError(ErrorCode::InvalidArgument, "nothing to embed: no tokens");
    ids = ids.first(std::min(ids.size(), size_t(mConfig.contextLength)));
    const int64_t n = int64_t(ids.size());
    for (int32_t id : ids)
        if (id < 0 || size_t(id) >= mTokenizer->vocab().size())
            return makeError(ErrorCode::InvalidArgument, "token id " + std::to_string(id) + " is outside the vocabulary");
    mIds.host.assign(ids.begin(), ids.end());
    ATELIER_TRY(mDevice.upload(mIds.buffer, ids.data(), ids.size_bytes()));
    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& b) { return record(b, n); }));
    ATELIER_ASSIGN(const ops::Tensor x, mX.view({n, mConfig.dim}));
    ATELIER_ASSIGN(const std::vector<float> values, x.toFloats(mDevice));

    const size_t dim = size_t(mConfig.dim);
    std::vector<double> pooled(dim, 0.0);
    auto addRow = [&](int64_t row, double weight) {
        for (size_t i = 0; i < dim; ++i)
            pooled[i] += weight * values[size_t(row) * dim + i];
    };
    switch (mConfig.pooling) {
    case Pooling::Mean:
        for (int64_t r = 0; r < n; ++r)
            addRow(r, 1.0 / double(n));
        break;
    case Pooling::Cls: addRow(0, 1.0); break;
    case Pooling::Last: addRow(n - 1, 1.0); break;
    }
    double length = 0;
    for (double v : pooled)
        length += v * v;
    length = std::sqrt(length);
    const double scale = normalize && length > 0 ? 1.0 / length : 1.0;
    std::vector<float> out(dim);
    for (size_t i = 0; i < dim; ++i)
        out[i] = float(pooled[i] * scale);
    return out;
}

Result<std::vector<float>> EmbeddingModel::embed(std::string_view text, bool normalize)
{
    const std::vector<int32_t> ids = mTokenizer->encode(text, true, false);
    return embedTokens(ids, normalize);
}

Result<std::vector<std::vector<float>>> EmbeddingModel::embed(std::span<const std::string> texts, bool normalize)
{
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (const std::string& text : texts) {
        ATELIER_ASSIGN(std::vector<float> v, embed(text, normalize));
        out.push_back(std::move(v));
    }
    return out;
}

} // namespace atelier::llm

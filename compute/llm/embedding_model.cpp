#include "llm/embedding_model.h"

#include "llm/linear_weights.h"

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

#include <algorithm>
#include <cmath>

namespace atelier::llm {

namespace {

// Rows of activations a batched pass holds (at least a whole context), and the most texts in one.
constexpr int64_t kPassTokens = 2048;
constexpr size_t kPassTexts = 256;
// On CPU devices attention takes three passes through a scores workspace (several times faster on
// lavapipe than the fused kernel); each text's holds up to 16 MiB of scores.
constexpr int64_t kScoresPerText = int64_t(4) << 20;

Result<int> positive(const io::GgufFile& f, const std::string& key)
{
    ATELIER_ASSIGN(const uint32_t v, f.u32(key));
    if (v == 0 || v > (1u << 20))
        return makeError(ErrorCode::Format, "model metadata: " + key + " = " + std::to_string(v) + " is not plausible");
    return int(v);
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
    ATELIER_ASSIGN(w.attentionNorm, bindLayerNorm(d, f, p + "attn_output_norm", dim));
    ATELIER_ASSIGN(w.up, bindLinear(d, f, p + "ffn_up", ff, dim));
    ATELIER_ASSIGN(w.down, bindLinear(d, f, p + "ffn_down", dim, ff));
    if (c.nomic) {
        ATELIER_ASSIGN(w.gate, bindTensor(d, f, p + "ffn_gate.weight", {ff, dim}));
    }
    ATELIER_ASSIGN(w.outputNorm, bindLayerNorm(d, f, p + "layer_output_norm", dim));
    return w;
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
    ATELIER_ASSIGN(w.embeddingNorm, bindLayerNorm(device, f, "token_embd_norm", c.dim));
    for (int l = 0; l < c.layers; ++l) {
        ATELIER_ASSIGN(EmbeddingLayerWeights layer, bindLayer(device, f, c, l));
        w.layers.push_back(std::move(layer));
    }

    m->mCapacity = std::max<int64_t>(c.contextLength, kPassTokens);
    const int64_t n = m->mCapacity;
    for (auto [t, width] : {std::pair{&m->mX, c.dim}, {&m->mSum, c.dim}, {&m->mQ, c.dim}, {&m->mK, c.dim},
                            {&m->mV, c.dim}, {&m->mAttention, c.dim}, {&m->mHidden, c.feedForward},
                            {&m->mUp, c.feedForward}}) {
        ATELIER_ASSIGN(*t, ops::Tensor::create(device, DType::F32, {n, width}));
    }
    ATELIER_ASSIGN(m->mIds.buffer, device.allocate(uint64_t(n) * sizeof(int32_t)));
    ATELIER_ASSIGN(m->mPositions.buffer, device.allocate(uint64_t(n) * sizeof(int32_t)));
    return m;
}

Status EmbeddingModel::record(vk::CommandBatch& b, std::span<PackedText> texts, int64_t n)
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
    const ops::LayerNormOptions norm{c.eps};

    ATELIER_TRY(ops::embedding(b, mWeights.tokenEmbedding, mIds, sum));
    if (mWeights.tokenTypes) { // every token is of type 0 ("sentence A"), as llama.cpp has it
        ATELIER_ASSIGN(const ops::Tensor typeZero, mWeights.tokenTypes->view({c.dim}));
        ATELIER_TRY(ops::add(b, sum, typeZero, sum));
    }
    if (mWeights.positions) { // row i of each text's own positions
        ATELIER_TRY(ops::embedding(b, *mWeights.positions, mPositions, x));
        ATELIER_TRY(ops::add(b, sum, x, sum));
    }
    ATELIER_TRY(ops::layerNorm(b, sum, mWeights.embeddingNorm.gamma, mWeights.embeddingNorm.beta, x, norm));

    ops::RopeOptions rope;
    rope.layout = ops::RopeLayout::Neox;
    rope.freqBase = c.ropeBase;
    const bool one = texts.size() == 1; // attention straight on the projections, no copies
    const uint64_t rowBytes = uint64_t(c.dim) * sizeof(float);
    auto copyRows = [&](const ops::Tensor& from, int64_t fromRow, ops::Tensor& to, int64_t toRow, int64_t count) {
        b.copy(from.buffer.range(uint64_t(fromRow) * rowBytes, uint64_t(count) * rowBytes),
               to.buffer.range(uint64_t(toRow) * rowBytes, uint64_t(count) * rowBytes));
    };
    auto attend = [&](ops::Tensor& tq, ops::Tensor& tk, const ops::Tensor& tv, ops::Tensor& out, int64_t count,
                      const ops::Tensor& scores) -> Status {
        if (c.nomic) {
            ATELIER_ASSIGN(ops::Tensor ropeQ, tq.view({count, c.heads, headDim}));
            ATELIER_ASSIGN(ops::Tensor ropeK, tk.view({count, c.heads, headDim}));
            ATELIER_TRY(ops::rope(b, ropeQ, ropeQ, rope));
            ATELIER_TRY(ops::rope(b, ropeK, ropeK, rope));
        }
        ops::SequenceAttentionOptions options;
        options.workspace = scores.buffer.valid() ? &scores : nullptr;
        return ops::sequenceAttention(b, tq, tk, tv, out, options); // every token of the text sees every token of it
    };
    for (const EmbeddingLayerWeights& w : mWeights.layers) {
        ATELIER_TRY(linear(b, x, w.q, q));
        ATELIER_TRY(linear(b, x, w.k, k));
        ATELIER_TRY(linear(b, x, w.v, v));
        if (one) {
            ATELIER_ASSIGN(ops::Tensor qHeads, q.view(heads));
            ATELIER_ASSIGN(ops::Tensor kHeads, k.view(heads));
            ATELIER_ASSIGN(const ops::Tensor vHeads, v.view(heads));
            ATELIER_ASSIGN(ops::Tensor outHeads, attention.view(heads));
            ATELIER_TRY(attend(qHeads, kHeads, vHeads, outHeads, n, texts.front().scores));
        } else {
            // Each text's rows out to its own tensors, attention there, and back: the copies of
            // all texts need no barrier between them, nor do their attentions.
            for (PackedText& t : texts) {
                copyRows(q, t.first, t.q, 0, t.count);
                copyRows(k, t.first, t.k, 0, t.count);
                copyRows(v, t.first, t.v, 0, t.count);
            }
            for (PackedText& t : texts)
                ATELIER_TRY(attend(t.q, t.k, t.v, t.out, t.count, t.scores));
            for (PackedText& t : texts)
                copyRows(t.out, 0, attention, t.first, t.count);
        }
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

Status EmbeddingModel::embedPass(std::span<const std::vector<int32_t>> texts, bool normalize,
                                 std::vector<std::vector<float>>& out)
{
    const EmbeddingConfig& c = mConfig;
    const int64_t headDim = c.dim / c.heads;
    std::vector<PackedText> packed(texts.size());
    const bool cpu = mDevice.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    mIds.host.clear();
    mPositions.host.clear();
    for (size_t i = 0; i < texts.size(); ++i) {
        packed[i].first = int64_t(mIds.host.size());
        packed[i].count = int64_t(texts[i].size());
        mIds.host.insert(mIds.host.end(), texts[i].begin(), texts[i].end());
        for (int32_t p = 0; p < int32_t(texts[i].size()); ++p)
            mPositions.host.push_back(p);
        if (cpu) { // scores for up to kScoresPerText elements' worth of queries at a time
            const int64_t scores = std::min(kScoresPerText, ops::sequenceAttentionWorkspaceElements(packed[i].count, packed[i].count, c.heads));
            ATELIER_ASSIGN(packed[i].scores, ops::Tensor::create(mDevice, DType::F32, {scores}));
        }
        if (texts.size() > 1) {
            for (ops::Tensor* t : {&packed[i].q, &packed[i].k, &packed[i].v, &packed[i].out}) {
                ATELIER_ASSIGN(*t, ops::Tensor::create(mDevice, DType::F32, {1, packed[i].count, c.heads, headDim}));
            }
        }
    }
    const int64_t n = int64_t(mIds.host.size());
    ATELIER_TRY(mDevice.upload(mIds.buffer, mIds.host.data(), mIds.host.size() * sizeof(int32_t)));
    ATELIER_TRY(mDevice.upload(mPositions.buffer, mPositions.host.data(), mPositions.host.size() * sizeof(int32_t)));
    ATELIER_TRY(mDevice.execute([&](vk::CommandBatch& b) { return record(b, packed, n); }));
    ATELIER_ASSIGN(const ops::Tensor x, mX.view({n, c.dim}));
    ATELIER_ASSIGN(const std::vector<float> values, x.toFloats(mDevice));

    const size_t dim = size_t(c.dim);
    for (const PackedText& t : packed) {
        std::vector<double> pooled(dim, 0.0);
        auto addRow = [&](int64_t row, double weight) {
            const float* r = values.data() + size_t(t.first + row) * dim;
            for (size_t i = 0; i < dim; ++i)
                pooled[i] += weight * r[i];
        };
        switch (c.pooling) {
        case Pooling::Mean:
            for (int64_t r = 0; r < t.count; ++r)
                addRow(r, 1.0 / double(t.count));
            break;
        case Pooling::Cls: addRow(0, 1.0); break;
        case Pooling::Last: addRow(t.count - 1, 1.0); break;
        }
        double length = 0;
        for (double v : pooled)
            length += v * v;
        length = std::sqrt(length);
        const double scale = normalize && length > 0 ? 1.0 / length : 1.0;
        std::vector<float> vector(dim);
        for (size_t i = 0; i < dim; ++i)
            vector[i] = float(pooled[i] * scale);
        out.push_back(std::move(vector));
    }
    return {};
}

Result<std::vector<std::vector<float>>> EmbeddingModel::embedTokenLists(std::span<const std::vector<int32_t>> texts,
                                                                        bool normalize, const std::atomic<bool>* cancel)
{
    const size_t limit = size_t(mConfig.contextLength);
    std::vector<std::vector<int32_t>> cut;
    cut.reserve(texts.size());
    for (const std::vector<int32_t>& ids : texts) {
        if (ids.empty())
            return makeError(ErrorCode::InvalidArgument, "nothing to embed: no tokens");
        for (int32_t id : ids)
            if (id < 0 || size_t(id) >= mTokenizer->vocab().size())
                return makeError(ErrorCode::InvalidArgument, "token id " + std::to_string(id) + " is outside the vocabulary");
        cut.emplace_back(ids.begin(), ids.begin() + std::ptrdiff_t(std::min(ids.size(), limit)));
    }
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    size_t first = 0;
    while (first < cut.size()) { // as many texts as fit a pass, in order
        if (cancel && cancel->load(std::memory_order_relaxed))
            return makeError(ErrorCode::Cancelled, "embedding cancelled");
        size_t end = first, tokens = 0;
        while (end < cut.size() && end - first < kPassTexts && tokens + cut[end].size() <= size_t(mCapacity))
            tokens += cut[end++].size();
        ATELIER_TRY(embedPass(std::span(cut).subspan(first, end - first), normalize, out));
        first = end;
    }
    return out;
}

Result<std::vector<float>> EmbeddingModel::embedTokens(std::span<const int32_t> ids, bool normalize)
{
    const std::vector<int32_t> one(ids.begin(), ids.end());
    ATELIER_ASSIGN(std::vector<std::vector<float>> vectors, embedTokenLists(std::span(&one, 1), normalize));
    return std::move(vectors.front());
}

Result<std::vector<float>> EmbeddingModel::embed(std::string_view text, bool normalize)
{
    const std::vector<int32_t> ids = mTokenizer->encode(text, true, false);
    return embedTokens(ids, normalize);
}

Result<std::vector<std::vector<float>>> EmbeddingModel::embed(std::span<const std::string> texts, bool normalize)
{
    std::vector<std::vector<int32_t>> ids;
    ids.reserve(texts.size());
    for (const std::string& text : texts)
        ids.push_back(mTokenizer->encode(text, true, false));
    return embedTokenLists(ids, normalize);
}

} // namespace atelier::llm

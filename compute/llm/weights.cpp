#include "llm/weights.h"

#include "core/cpu_repack.h"
#include "io/gguf.h"
#include "ops/matvec_int8.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::llm {

namespace {

std::optional<DType> kernelType(io::GgmlType t)
{
    switch (t) {
    case io::GgmlType::F32: return DType::F32;
    case io::GgmlType::F16: return DType::F16;
    case io::GgmlType::BF16: return DType::BF16;
    case io::GgmlType::Q4_0: return DType::Q4_0;
    case io::GgmlType::Q4_1: return DType::Q4_1;
    case io::GgmlType::Q5_0: return DType::Q5_0;
    case io::GgmlType::Q5_1: return DType::Q5_1;
    case io::GgmlType::Q8_0: return DType::Q8_0;
    case io::GgmlType::Q4_K: return DType::Q4_K;
    case io::GgmlType::Q5_K: return DType::Q5_K;
    case io::GgmlType::Q6_K: return DType::Q6_K;
    default: return std::nullopt;
    }
}

std::string shapeText(const std::vector<int64_t>& shape)
{
    std::string s = "[";
    for (size_t i = 0; i < shape.size(); ++i)
        s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + "]";
}

class Binder {
public:
    Binder(vk::Device& device, const io::GgufFile& file) : mDevice(device), mFile(file) {}

    // shape is row-major ([rows, columns]); GGUF lists dimensions fastest first. With `rows`, only
    // rows [rows->first, rows->first + rows->second) of a 2-D tensor (a fused q/k/v split apart).
    Result<ops::Tensor> bind(const std::string& name, std::vector<int64_t> shape, bool floatOnly = false,
                             std::optional<std::pair<int64_t, int64_t>> rows = std::nullopt)
    {
        const io::GgufTensor* t = mFile.tensor(name);
        if (!t)
            return makeError(ErrorCode::Format, "the model has no tensor '" + name + "'");
        std::vector<int64_t> actual;
        for (int i = t->nDims - 1; i >= 0; --i)
            actual.push_back(t->ne[size_t(i)]);
        if (actual != shape)
            return makeError(ErrorCode::Format, "tensor '" + name + "' has shape " + shapeText(actual) +
                                                    ", expected " + shapeText(shape));
        const auto type = kernelType(t->type);
        if (!type || (floatOnly && *type != DType::F32))
            return makeError(ErrorCode::Unsupported, "tensor '" + name + "' is stored as " +
                                                         io::ggmlTypeName(t->type) +
                                                         (floatOnly ? ", expected f32" : ", which has no GPU kernel"));
        auto bytes = mFile.data(*t);
        if (bytes.size() != storageBytes(*type, uint64_t(t->elements())))
            return makeError(ErrorCode::Format, "tensor '" + name + "' holds the wrong number of bytes");
        if (rows) {
            if (shape.size() != 2 || rows->first < 0 || rows->second < 1 || rows->first + rows->second > shape[0])
                return makeError(ErrorCode::InvalidArgument, "rows outside tensor '" + name + "'");
            const uint64_t rowBytes = storageBytes(*type, uint64_t(shape[1]));
            bytes = bytes.subspan(uint64_t(rows->first) * rowBytes, uint64_t(rows->second) * rowBytes);
            shape[0] = rows->second;
        }
        // CPU devices read Q4_K, Q5_0, Q6_K and Q8_0 repacked (core/cpu_repack.h): 1.1-5x faster there;
        // not where the int8 matvec path is forced (tests), which reads the GGUF layouts.
        const bool repack = mDevice.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU && !ops::int8MatvecFromEnvironment().value_or(false);
        const auto cpuType = repack ? cpuRepackedType(*type) : std::nullopt;
        ATELIER_ASSIGN(ops::Tensor tensor, ops::Tensor::create(mDevice, cpuType.value_or(*type), std::move(shape)));
        if (cpuType) {
            const std::vector<uint8_t> repacked = repackForCpu(*type, bytes);
            ATELIER_TRY(mDevice.upload(tensor.buffer, repacked.data(), repacked.size()));
        } else {
            ATELIER_TRY(mDevice.upload(tensor.buffer, bytes.data(), bytes.size()));
        }
        return tensor;
    }

    Result<std::optional<ops::Tensor>> optional(const std::string& name, std::vector<int64_t> shape, bool floatOnly)
    {
        if (!mFile.tensor(name))
            return std::optional<ops::Tensor>();
        ATELIER_ASSIGN(ops::Tensor t, bind(name, std::move(shape), floatOnly));
        return std::optional<ops::Tensor>(std::move(t));
    }

    vk::Device& device() { return mDevice; }

private:
    vk::Device& mDevice;
    const io::GgufFile& mFile;
};

// CPU devices: wq, wk and, where it has their type, wv moved into one tensor (LayerWeights::wqkv)
// and bound again as its rows. A decoded token then takes one dispatch for them instead of three:
// lavapipe pays tens of microseconds to wake its threads for each (Gemma 3 270M: 202 -> 175 a token).
Status fuseAttentionInputs(vk::Device& device, LayerWeights& w)
{
    const bool withV = w.wv.dtype == w.wq.dtype;
    if (device.info().type != VK_PHYSICAL_DEVICE_TYPE_CPU || w.wk.dtype != w.wq.dtype)
        return {};
    const uint64_t align = device.allocator().alignment();
    if (w.wq.bytes() % align != 0 || w.wk.bytes() % align != 0)
        return {};
    std::vector<ops::Tensor*> parts = {&w.wq, &w.wk};
    if (withV)
        parts.push_back(&w.wv);
    int64_t rows = 0;
    for (const ops::Tensor* t : parts)
        rows += t->dim(0);
    ATELIER_ASSIGN(ops::Tensor fused, ops::Tensor::create(device, w.wq.dtype, {rows, w.wq.dim(1)}));
    ATELIER_TRY(device.execute([&](vk::CommandBatch& b) -> Status {
        uint64_t at = 0;
        for (const ops::Tensor* t : parts) {
            b.copy(t->buffer.range(0, t->bytes()), fused.buffer.range(at, t->bytes()));
            at += t->bytes();
        }
        return {};
    }));
    int64_t first = 0;
    for (ops::Tensor* t : parts) {
        const int64_t n = t->dim(0);
        ATELIER_ASSIGN(*t, fused.rows(first, n, align));
        first += n;
    }
    w.wqkv = std::move(fused);
    return {};
}

Result<LayerWeights> loadLayer(Binder& b, const ModelConfig& c, int layer)
{
    const std::string p = "blk." + std::to_string(layer) + ".";
    const int64_t dim = c.dim, q = int64_t(c.heads) * c.headDim, kv = int64_t(c.kvHeads) * c.headDim, ff = c.feedForward;
    LayerWeights w;
    ATELIER_ASSIGN(w.attnNorm, b.bind(p + "attn_norm.weight", {dim}, true));
    ATELIER_ASSIGN(w.wq, b.bind(p + "attn_q.weight", {q, dim}));
    ATELIER_ASSIGN(w.wk, b.bind(p + "attn_k.weight", {kv, dim}));
    ATELIER_ASSIGN(w.wv, b.bind(p + "attn_v.weight", {kv, dim}));
    ATELIER_TRY(fuseAttentionInputs(b.device(), w));
    ATELIER_ASSIGN(w.wo, b.bind(p + "attn_output.weight", {dim, q}));
    if (c.qkvBias) {
        ATELIER_ASSIGN(w.bq, b.optional(p + "attn_q.bias", {q}, true));
        ATELIER_ASSIGN(w.bk, b.optional(p + "attn_k.bias", {kv}, true));
        ATELIER_ASSIGN(w.bv, b.optional(p + "attn_v.bias", {kv}, true));
    }
    if (c.qkNorm || c.qkNormWhole) {
        ATELIER_ASSIGN(w.qNorm, b.bind(p + "attn_q_norm.weight", {c.qkNorm ? c.headDim : q}, true));
        ATELIER_ASSIGN(w.kNorm, b.bind(p + "attn_k_norm.weight", {c.qkNorm ? c.headDim : kv}, true));
    }
    if (c.sandwichNorms) {
        ATELIER_ASSIGN(w.attnPostNorm, b.bind(p + "post_attention_norm.weight", {dim}, true));
        ATELIER_ASSIGN(w.ffnPostNorm, b.bind(p + "post_ffw_norm.weight", {dim}, true));
    }
    ATELIER_ASSIGN(w.ffnNorm, b.bind(p + "ffn_norm.weight", {dim}, true));
    if (c.experts > 0) {
        const int64_t experts = c.experts, eff = c.expertFeedForward;
        ExpertWeights e;
        ATELIER_ASSIGN(e.router, b.bind(p + "ffn_gate_inp.weight", {experts, dim}));
        ATELIER_ASSIGN(e.gate, b.bind(p + "ffn_gate_exps.weight", {experts, eff, dim}));
        ATELIER_ASSIGN(e.up, b.bind(p + "ffn_up_exps.weight", {experts, eff, dim}));
        ATELIER_ASSIGN(e.down, b.bind(p + "ffn_down_exps.weight", {experts, dim, eff}));
        if (e.gate.dtype != e.up.dtype)
            return makeError(ErrorCode::Unsupported, "tensors '" + p + "ffn_gate_exps.weight' and '" + p +
                                                         "ffn_up_exps.weight' have different types");
        w.experts = std::move(e);
        return w;
    }
    ATELIER_ASSIGN(w.gate, b.bind(p + "ffn_gate.weight", {ff, dim}));
    ATELIER_ASSIGN(w.up, b.bind(p + "ffn_up.weight", {ff, dim}));
    ATELIER_ASSIGN(w.down, b.bind(p + "ffn_down.weight", {dim, ff}));
    return w;
}

} // namespace

Result<ops::Tensor> bindTensor(vk::Device& device, const io::GgufFile& file, const std::string& name,
                               std::vector<int64_t> shape, bool floatOnly)
{
    return Binder(device, file).bind(name, std::move(shape), floatOnly);
}

Result<std::optional<ops::Tensor>> bindOptionalTensor(vk::Device& device, const io::GgufFile& file,
                                                      const std::string& name, std::vector<int64_t> shape,
                                                      bool floatOnly)
{
    return Binder(device, file).optional(name, std::move(shape), floatOnly);
}

Result<ops::Tensor> bindTensorRows(vk::Device& device, const io::GgufFile& file, const std::string& name,
                                   std::vector<int64_t> shape, int64_t firstRow, int64_t rows)
{
    return Binder(device, file).bind(name, std::move(shape), false, std::pair{firstRow, rows});
}

uint64_t ModelWeights::bytes() const
{
    uint64_t n = tokenEmbedding.bytes() + outputNorm.bytes() + (output ? output->bytes() : 0) +
                 (ropeFreqs ? ropeFreqs->bytes() : 0);
    for (const LayerWeights& l : layers) {
        for (const ops::Tensor* t : {&l.attnNorm, &l.wq, &l.wk, &l.wv, &l.wo, &l.ffnNorm})
            n += t->bytes();
        if (l.experts)
            n += l.experts->router.bytes() + l.experts->gate.bytes() + l.experts->up.bytes() + l.experts->down.bytes();
        else
            n += l.gate.bytes() + l.up.bytes() + l.down.bytes();
        for (const auto* t : {&l.bq, &l.bk, &l.bv, &l.qNorm, &l.kNorm, &l.attnPostNorm, &l.ffnPostNorm})
            n += *t ? (*t)->bytes() : 0;
    }
    return n;
}

uint64_t ModelWeights::bytesPerToken(int expertsUsed) const
{
    uint64_t n = bytes();
    for (const LayerWeights& l : layers) {
        if (!l.experts)
            continue;
        const uint64_t stacks = l.experts->gate.bytes() + l.experts->up.bytes() + l.experts->down.bytes();
        const uint64_t experts = uint64_t(l.experts->gate.dim(0));
        n -= stacks - stacks / experts * std::min<uint64_t>(uint64_t(expertsUsed), experts);
    }
    return n;
}

Result<ModelWeights> loadWeights(vk::Device& device, const io::GgufFile& file, const ModelConfig& c,
                                 const std::function<bool(double)>& progress)
{
    Binder b(device, file);
    ModelWeights w;
    const io::GgufTensor* embedding = file.tensor("token_embd.weight");
    if (!embedding)
        return makeError(ErrorCode::Format, "the model has no tensor 'token_embd.weight'");
    const int64_t vocab = embedding->ne[1];
    ATELIER_ASSIGN(w.tokenEmbedding, b.bind("token_embd.weight", {vocab, c.dim}));
    ATELIER_ASSIGN(w.outputNorm, b.bind("output_norm.weight", {c.dim}, true));
    ATELIER_ASSIGN(w.output, b.optional("output.weight", {vocab, c.dim}, false));
    ATELIER_ASSIGN(w.ropeFreqs, b.optional("rope_freqs.weight", {c.ropeDims / 2}, true));
    for (int l = 0; l < c.layers; ++l) {
        if (progress && !progress(double(l) / c.layers))
            return makeError(ErrorCode::Cancelled, "loading the model was cancelled");
        ATELIER_ASSIGN(LayerWeights layer, loadLayer(b, c, l));
        w.layers.push_back(std::move(layer));
    }
    if (progress)
        progress(1.0);
    return w;
}

} // namespace atelier::llm

#include "llm/lora_adapter.h"

#include "io/gguf.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <set>
#include <variant>

namespace atelier::llm {

namespace {

constexpr std::string_view kA = ".lora_a", kB = ".lora_b";

bool endsWith(std::string_view s, std::string_view suffix)
{
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string shapeText(std::initializer_list<int64_t> shape)
{
    std::string s = "[";
    for (int64_t d : shape)
        s += (s.size() > 1 ? ", " : "") + std::to_string(d);
    return s + "]";
}

// Row-major, as the engine's weights are described: [ne1, ne0].
std::string shapeOf(const io::GgufTensor& t)
{
    return t.nDims <= 1 ? shapeText({t.ne[0]}) : shapeText({t.ne[1], t.ne[0]});
}

struct Target {
    LoraTarget kind;
    int layer = 0;
    const ops::Tensor* weight = nullptr; // [out, in]
};

// The engine's weight that `name` (a GGUF tensor name) adapts, or why none is.
std::variant<Target, std::string> targetOf(const std::string& name, const ModelConfig& c, const ModelWeights& w)
{
    if (name == "token_embd.weight")
        return Target{LoraTarget::TokenEmbedding, 0, &w.tokenEmbedding};
    if (name == "output.weight") {
        if (!w.output)
            return std::string("the model's output layer is its token embedding (tied), which adapts only as the input");
        return Target{LoraTarget::Output, 0, &*w.output};
    }
    const std::string prefix = "blk.";
    size_t end = prefix.size();
    while (end < name.size() && end < prefix.size() + 6 && std::isdigit(static_cast<unsigned char>(name[end])))
        ++end;
    if (name.rfind(prefix, 0) != 0 || end == prefix.size() || end >= name.size() || name[end] != '.')
        return std::string("the model has no such weight");
    const int layer = std::stoi(name.substr(prefix.size(), end - prefix.size()));
    if (layer >= c.layers)
        return "the model has " + std::to_string(c.layers) + " layers";
    const std::string weight = name.substr(end + 1);
    const LayerWeights& l = w.layers[size_t(layer)];
    static const std::map<std::string, std::pair<LoraTarget, const ops::Tensor LayerWeights::*>> kLayerWeights = {
        {"attn_q.weight", {LoraTarget::Query, &LayerWeights::wq}},
        {"attn_k.weight", {LoraTarget::Key, &LayerWeights::wk}},
        {"attn_v.weight", {LoraTarget::Value, &LayerWeights::wv}},
        {"attn_output.weight", {LoraTarget::AttentionOutput, &LayerWeights::wo}},
        {"ffn_gate.weight", {LoraTarget::Gate, &LayerWeights::gate}},
        {"ffn_up.weight", {LoraTarget::Up, &LayerWeights::up}},
        {"ffn_down.weight", {LoraTarget::Down, &LayerWeights::down}},
    };
    const auto found = kLayerWeights.find(weight);
    if (found != kLayerWeights.end() && !l.experts)
        return Target{found->second.first, layer, &(l.*found->second.second)};
    if (l.experts || weight.find("_exps.") != std::string::npos || weight == "ffn_gate_inp.weight")
        return std::string("mixture-of-experts feed-forwards take no adapters yet");
    return std::string("the model has no such weight");
}

// A or B as the engine binds it: a 2-D matrix in a float type.
Status checkMatrix(const io::GgufTensor& t)
{
    if (t.nDims > 2 || t.ne[2] != 1 || t.ne[3] != 1)
        return makeError(ErrorCode::Format, "LoRA tensor '" + t.name + "' has " + std::to_string(t.nDims) +
                                                " dimensions, expected 2");
    if (t.type != io::GgmlType::F32 && t.type != io::GgmlType::F16 && t.type != io::GgmlType::BF16)
        return makeError(ErrorCode::Unsupported, "LoRA tensor '" + t.name + "' is stored as " +
                                                     io::ggmlTypeName(t.type) + "; adapters in f32, f16 or bf16 are supported");
    return {};
}

} // namespace

Result<std::shared_ptr<const LoraAdapter>> LoraAdapter::load(vk::Device& device, const std::string& path,
                                                             const ModelConfig& config, const ModelWeights& weights)
{
    auto file = io::GgufFile::open(path);
    if (!file)
        return file.error();
    return fromGguf(device, *file.value(), path, config, weights);
}

Result<std::shared_ptr<const LoraAdapter>> LoraAdapter::fromGguf(vk::Device& device, const io::GgufFile& file,
                                                                 const std::string& path, const ModelConfig& config,
                                                                 const ModelWeights& weights)
{
    auto kind = file.string("general.type");
    if (!kind || kind.value() != "adapter")
        return makeError(ErrorCode::Format, "not a LoRA adapter: general.type is " +
                                                (kind ? "'" + kind.value() + "'" : std::string("missing")) +
                                                ", expected 'adapter'");
    auto adapterType = file.string("adapter.type");
    if (!adapterType || adapterType.value() != "lora")
        return makeError(ErrorCode::Unsupported, "not a LoRA adapter: adapter.type is " +
                                                     (adapterType ? "'" + adapterType.value() + "'" : std::string("missing")) +
                                                     ", expected 'lora'");
    if (file.architecture() != config.architectureName)
        return makeError(ErrorCode::InvalidArgument, "the adapter is for '" + file.architecture() +
                                                         "' models, but the model is '" + config.architectureName + "'");
    auto adapter = std::make_shared<LoraAdapter>();
    adapter->mPath = path;
    if (file.find("adapter.lora.alpha")) {
        ATELIER_ASSIGN(adapter->mAlpha, file.f32("adapter.lora.alpha"));
        if (!std::isfinite(adapter->mAlpha))
            return makeError(ErrorCode::Format, "adapter.lora.alpha is not a finite number");
    }

    // Pair each weight's A and B; anything else is reported, as llama.cpp leaves out norm vectors.
    std::map<std::string, std::pair<const io::GgufTensor*, const io::GgufTensor*>> pairs;
    for (const io::GgufTensor& t : file.tensors()) {
        if (endsWith(t.name, kA))
            pairs[t.name.substr(0, t.name.size() - kA.size())].first = &t;
        else if (endsWith(t.name, kB))
            pairs[t.name.substr(0, t.name.size() - kB.size())].second = &t;
        else
            adapter->mSkipped.push_back(t.name + ": " + (endsWith(t.name, "_norm.weight")
                                                             ? "norm vectors are not applied (nor by llama.cpp)"
                                                             : "neither a .lora_a nor a .lora_b tensor"));
    }
    for (const auto& [name, ab] : pairs) {
        if (!ab.first || !ab.second)
            return makeError(ErrorCode::Format, "LoRA tensor pair for '" + name + "' lacks its " +
                                                    (ab.first ? "lora_b" : "lora_a"));
        const auto target = targetOf(name, config, weights);
        if (const auto* why = std::get_if<std::string>(&target)) {
            adapter->mSkipped.push_back(name + ": " + *why);
            continue;
        }
        const Target& t = std::get<Target>(target);
        const io::GgufTensor &a = *ab.first, &b = *ab.second;
        ATELIER_TRY(checkMatrix(a));
        ATELIER_TRY(checkMatrix(b));
        const int64_t out = t.weight->dim(0), in = t.weight->dim(1), rank = b.ne[0];
        const bool embedding = t.kind == LoraTarget::TokenEmbedding;
        // Row-major: A [rank, in] and B [out, rank]; token_embd's A [vocab, rank] and B [dim, rank].
        const std::vector<int64_t> aShape = embedding ? std::vector<int64_t>{out, rank} : std::vector<int64_t>{rank, in};
        const std::vector<int64_t> bShape = embedding ? std::vector<int64_t>{in, rank} : std::vector<int64_t>{out, rank};
        const bool aFits = a.ne[1] == aShape[0] && a.ne[0] == aShape[1];
        const bool bFits = b.ne[1] == bShape[0] && b.ne[0] == bShape[1];
        if (rank < 1 || !aFits || !bFits)
            return makeError(ErrorCode::InvalidArgument,
                             "LoRA tensors for '" + name + "' " + shapeText({out, in}) + " are " + shapeOf(a) + " and " +
                                 shapeOf(b) + ", expected " + shapeText({aShape[0], aShape[1]}) + " and " +
                                 shapeText({bShape[0], bShape[1]}) + " (an adapter for another model?)");
        LoraPair pair;
        ATELIER_ASSIGN(pair.a, bindTensor(device, file, a.name, aShape));
        ATELIER_ASSIGN(pair.b, bindTensor(device, file, b.name, bShape));
        pair.rankScale = adapter->mAlpha != 0 ? adapter->mAlpha / float(rank) : 1.0f;
        adapter->mMaxRank = std::max(adapter->mMaxRank, rank);
        adapter->mPairs.emplace(std::pair{t.kind, embedding || t.kind == LoraTarget::Output ? 0 : t.layer},
                                std::move(pair));
    }
    if (adapter->mPairs.empty())
        return makeError(ErrorCode::InvalidArgument,
                         "none of the adapter's tensors fits this model" +
                             (adapter->mSkipped.empty() ? std::string() : " (" + adapter->mSkipped.front() + ")"));
    return std::shared_ptr<const LoraAdapter>(std::move(adapter));
}

const LoraPair* LoraAdapter::pair(LoraTarget target, int layer) const
{
    if (target == LoraTarget::Output || target == LoraTarget::TokenEmbedding)
        layer = 0;
    const auto found = mPairs.find({target, layer});
    return found == mPairs.end() ? nullptr : &found->second;
}

uint64_t LoraAdapter::bytes() const
{
    uint64_t n = 0;
    for (const auto& [key, pair] : mPairs)
        n += pair.a.bytes() + pair.b.bytes();
    return n;
}

} // namespace atelier::llm

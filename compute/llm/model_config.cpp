#include "llm/model_config.h"

#include "io/gguf.h"
#include "ops/experts.h"

#include <cmath>

namespace atelier::llm {

namespace {

// Reads "<arch>.<key>" as a positive integer.
Result<int> positive(const io::GgufFile& f, const std::string& arch, const char* key)
{
    const std::string full = arch + "." + key;
    ATELIER_ASSIGN(const uint32_t v, f.u32(full));
    if (v == 0 || v > (1u << 24))
        return makeError(ErrorCode::Format, "model metadata: " + full + " = " + std::to_string(v) + " is not plausible");
    return int(v);
}

float optionalFloat(const io::GgufFile& f, const std::string& key, float fallback)
{
    auto v = f.f32(key);
    return v.ok() ? v.value() : fallback;
}

// expert_count and the rest of a mixture of experts; none for dense models. Mixtral is llama with
// experts; qwen3moe and olmoe must have them.
Status readExperts(const io::GgufFile& f, const std::string& arch, ModelConfig& c)
{
    const bool moeArchitecture = c.architecture == Architecture::Qwen3Moe || c.architecture == Architecture::Olmoe;
    if (!f.find(arch + ".expert_count")) {
        if (moeArchitecture)
            return makeError(ErrorCode::Format, "model metadata: " + arch + ".expert_count is missing");
        return {};
    }
    ATELIER_ASSIGN(const uint32_t experts, f.u32(arch + ".expert_count"));
    if (experts == 0 && !moeArchitecture)
        return {};
    if (experts > 4096)
        return makeError(ErrorCode::Format, "model metadata: " + arch + ".expert_count = " + std::to_string(experts) +
                                                " is not plausible");
    c.experts = int(experts);
    ATELIER_ASSIGN(c.expertsUsed, positive(f, arch, "expert_used_count"));
    if (c.expertsUsed > c.experts || c.expertsUsed > int(ops::kMaxExpertsUsed))
        return makeError(ErrorCode::Unsupported, "model metadata: " + arch + ".expert_used_count = " +
                                                     std::to_string(c.expertsUsed) + " of " + std::to_string(c.experts) +
                                                     " experts (at most " + std::to_string(ops::kMaxExpertsUsed) + ")");
    if (f.find(arch + ".expert_feed_forward_length")) {
        ATELIER_ASSIGN(c.expertFeedForward, positive(f, arch, "expert_feed_forward_length"));
    }
    // As llama.cpp's build_moe_ffn: a scale of 0 (absent) or 1 leaves the weights alone.
    const float scale = optionalFloat(f, arch + ".expert_weights_scale", 0.0f);
    c.expertWeightsScale = scale == 0.0f ? 1.0f : scale;
    c.expertWeightsNorm = c.architecture != Architecture::Olmoe;
    return {};
}

} // namespace

Result<ModelConfig> ModelConfig::fromGguf(const io::GgufFile& f)
{
    ModelConfig c;
    c.architectureName = f.architecture();
    const std::string& arch = c.architectureName;
    if (arch == "llama")
        c.architecture = Architecture::Llama;
    else if (arch == "qwen2")
        c.architecture = Architecture::Qwen2;
    else if (arch == "qwen3")
        c.architecture = Architecture::Qwen3;
    else if (arch == "qwen3moe")
        c.architecture = Architecture::Qwen3Moe;
    else if (arch == "olmoe")
        c.architecture = Architecture::Olmoe;
    else if (arch == "gemma3")
        c.architecture = Architecture::Gemma3;
    else
        return makeError(ErrorCode::Unsupported, "models of architecture '" + (arch.empty() ? "?" : arch) +
                                                     "' are not supported (llama, qwen2, qwen3, qwen3moe, olmoe and "
                                                     "gemma3 are)");
    if (auto name = f.string("general.name"); name.ok())
        c.name = name.value();

    ATELIER_ASSIGN(c.dim, positive(f, arch, "embedding_length"));
    ATELIER_ASSIGN(c.layers, positive(f, arch, "block_count"));
    ATELIER_TRY(readExperts(f, arch, c));
    if (c.experts > 0 && c.expertFeedForward > 0 && !f.find(arch + ".feed_forward_length")) {
        c.feedForward = c.expertFeedForward;
    } else {
        ATELIER_ASSIGN(c.feedForward, positive(f, arch, "feed_forward_length"));
    }
    if (c.experts > 0 && c.expertFeedForward == 0)
        c.expertFeedForward = c.architecture == Architecture::Qwen3Moe ? c.feedForward / c.expertsUsed : c.feedForward;
    ATELIER_ASSIGN(c.heads, positive(f, arch, "attention.head_count"));
    c.kvHeads = c.heads;
    if (f.find(arch + ".attention.head_count_kv")) {
        ATELIER_ASSIGN(c.kvHeads, positive(f, arch, "attention.head_count_kv"));
    }
    if (c.heads % c.kvHeads != 0)
        return makeError(ErrorCode::Format, "model metadata: " + std::to_string(c.heads) +
                                                " attention heads cannot share " + std::to_string(c.kvHeads) + " KV heads");
    c.headDim = c.dim / c.heads;
    if (f.find(arch + ".attention.key_length")) {
        ATELIER_ASSIGN(c.headDim, positive(f, arch, "attention.key_length"));
    }
    if (f.find(arch + ".attention.value_length")) {
        ATELIER_ASSIGN(const int valueDim, positive(f, arch, "attention.value_length"));
        if (valueDim != c.headDim)
            return makeError(ErrorCode::Unsupported, "models whose value heads differ from key heads are not supported");
    }
    c.ropeDims = c.headDim;
    if (f.find(arch + ".rope.dimension_count")) {
        ATELIER_ASSIGN(c.ropeDims, positive(f, arch, "rope.dimension_count"));
        if (c.ropeDims % 2 != 0 || c.ropeDims > c.headDim)
            return makeError(ErrorCode::Format, "model metadata: rope.dimension_count = " + std::to_string(c.ropeDims) +
                                                    " must be even and at most the head size " + std::to_string(c.headDim));
    }
    ATELIER_ASSIGN(c.contextLength, positive(f, arch, "context_length"));
    c.rmsEps = optionalFloat(f, arch + ".attention.layer_norm_rms_epsilon", 1e-5f);
    c.ropeBase = optionalFloat(f, arch + ".rope.freq_base", 10000.0f);
    if (auto factor = f.f32(arch + ".rope.scaling.factor"); factor.ok() && factor.value() > 0) {
        auto type = f.string(arch + ".rope.scaling.type");
        if (type.ok() && type.value() != "linear" && type.value() != "none")
            return makeError(ErrorCode::Unsupported, "rope scaling '" + type.value() + "' is not supported");
        c.ropeScale = 1.0f / factor.value();
    }
    c.attentionScale = 1.0f / std::sqrt(float(c.headDim));
    c.slidingLayer.assign(size_t(c.layers), false);

    switch (c.architecture) {
    case Architecture::Llama:
        c.rope = ops::RopeLayout::Normal; // the GGUF converter permutes q and k for interleaved pairs
        break;
    case Architecture::Qwen2:
        c.rope = ops::RopeLayout::Neox;
        c.qkvBias = true;
        break;
    case Architecture::Qwen3:
    case Architecture::Qwen3Moe:
        c.rope = ops::RopeLayout::Neox;
        c.qkNorm = true;
        break;
    case Architecture::Olmoe:
        c.rope = ops::RopeLayout::Neox;
        c.qkNormWhole = true;
        break;
    case Architecture::Gemma3:
        c.rope = ops::RopeLayout::Neox;
        c.activation = ops::GluActivation::GeluTanh;
        c.qkNorm = true;
        c.sandwichNorms = true;
        c.embeddingScale = std::sqrt(float(c.dim));
        c.finalLogitSoftcap = optionalFloat(f, arch + ".final_logit_softcapping", 0.0f);
        c.ropeBaseLocal = optionalFloat(f, arch + ".rope.freq_base_swa", 10000.0f);
        if (auto window = f.u32(arch + ".attention.sliding_window"); window.ok() && window.value() > 0) {
            c.slidingWindow = int(window.value());
            // Five local layers, then one global, as Gemma 3 was trained (llama.cpp's default too).
            for (int l = 0; l < c.layers; ++l)
                c.slidingLayer[size_t(l)] = l % 6 < 5;
        }
        break;
    }
    return c;
}

} // namespace atelier::llm

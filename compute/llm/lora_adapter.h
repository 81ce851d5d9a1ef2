#pragma once
// A LoRA adapter in llama.cpp's GGUF format (general.type = adapter, adapter.type = lora,
// adapter.lora.alpha; tensors <weight name>.lora_a and .lora_b), checked against one loaded
// language model and uploaded to the device. It is applied at run time, never merged (quantized
// weights cannot take an exact delta): y = W x + scale * alpha / rank * B (A x), as llama.cpp's
// build_lora_mm does, so adapters and their scales change without reloading the model.

#include "core/result.h"
#include "llm/model_config.h"
#include "llm/weights.h"
#include "ops/tensor.h"

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace atelier::io {
class GgufFile;
}
namespace atelier::vk {
class Device;
}

namespace atelier::llm {

// The weights an adapter may change: each layer's projections, the output layer and the token
// embedding (whose A is looked up by token id, as llama.cpp's build_inp_embd does).
enum class LoraTarget { Query, Key, Value, AttentionOutput, Gate, Up, Down, Output, TokenEmbedding };

// One adapted weight W [out, in].
struct LoraPair {
    ops::Tensor a;          // [rank, in]; token_embd: [vocab, rank]
    ops::Tensor b;          // [out, rank]; token_embd: [dim, rank]
    float rankScale = 1.0f; // alpha / rank, or 1 where the adapter has no alpha
    int64_t rank() const { return b.dim(1); }
};

class LoraAdapter {
public:
    // Reads the adapter at `path` for a model of `config` with `weights`: the architecture must be
    // the model's and every pair's shape must fit the weight it adapts (errors name the tensor,
    // expected and actual). Tensors the engine has no such weight for are skipped, not fatal:
    // skipped() says which and why.
    static Result<std::shared_ptr<const LoraAdapter>> load(vk::Device& device, const std::string& path,
                                                           const ModelConfig& config, const ModelWeights& weights);
    static Result<std::shared_ptr<const LoraAdapter>> fromGguf(vk::Device& device, const io::GgufFile& file,
                                                               const std::string& path, const ModelConfig& config,
                                                               const ModelWeights& weights);

    const std::string& path() const { return mPath; }
    float alpha() const { return mAlpha; } // 0: absent
    // The pair for a layer's weight (layer ignored for Output and TokenEmbedding), or null.
    const LoraPair* pair(LoraTarget target, int layer = 0) const;
    int pairCount() const { return int(mPairs.size()); }
    int64_t maxRank() const { return mMaxRank; }
    uint64_t bytes() const;
    // "tensor: why" for every tensor of the file that is not applied.
    const std::vector<std::string>& skipped() const { return mSkipped; }

private:
    std::string mPath;
    float mAlpha = 0;
    int64_t mMaxRank = 0;
    std::map<std::pair<LoraTarget, int>, LoraPair> mPairs;
    std::vector<std::string> mSkipped;
};

// An adapter chosen for a conversation, with the strength the user gave it (llama.cpp's scale).
struct ActiveLora {
    std::shared_ptr<const LoraAdapter> adapter;
    float scale = 1.0f;
    bool operator==(const ActiveLora&) const = default;
};

} // namespace atelier::llm

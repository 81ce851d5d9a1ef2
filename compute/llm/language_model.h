#pragma once
// A language model ready to run: Config + Weights + RunState, its KV cache and tokenizer.
// forward() appends tokens to the context (batched prompt processing or one decoded token) and
// leaves the logits of the last one.

#include "core/result.h"
#include "llm/kv_cache.h"
#include "llm/lora_adapter.h"
#include "llm/model_config.h"
#include "llm/tokenizer.h"
#include "llm/weights.h"
#include "ops/embedding.h"
#include "ops/matmul.h"
#include "ops/top_logits.h"

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace atelier::io {
class GgufFile;
}
namespace atelier::vk {
class Device;
}

namespace atelier::llm {

// Activations for up to `maxBatch` tokens at once; a smaller batch uses views of the first rows.
struct RunState {
    int maxBatch = 0;
    ops::Tensor x;         // [maxBatch, dim] the residual stream
    ops::Tensor xn;        // [maxBatch, dim] normalised input of a block
    ops::Tensor q;         // [maxBatch, heads * headDim]
    ops::Tensor k, v;      // [maxBatch, kvHeads * headDim]
    ops::Tensor qkv;       // [1, (heads + 2 kvHeads) * headDim] a decoded token's q, k, v (LayerWeights::wqkv)
    ops::Tensor attention; // [maxBatch, heads * headDim]
    ops::Tensor projected; // [maxBatch, dim] a block's output before the residual add
    ops::Tensor gate, up;  // [maxBatch, feedForward]
    // Mixtures of experts only (ModelConfig::experts > 0):
    ops::Tensor routerLogits;  // [maxBatch, experts]
    ops::Tensor routes;        // [maxBatch, expertsUsed, 2] each token's experts and weights
    ops::Tensor expertHidden;  // [maxBatch * expertsUsed, expertFeedForward]
    ops::Tensor expertUp;      // [maxBatch * expertsUsed, expertFeedForward] where gate and up are two passes
    ops::Tensor expertOut;     // [maxBatch * expertsUsed, dim] each chosen expert's output
    ops::Tensor last;      // [1, dim] the last token's residual, for the logits
    ops::Tensor logits;    // [1, vocab]
    ops::Tensor workspace; // f32 for split-kv decode attention, and ops::decodeAttention's scores
    ops::Tensor finished;  // [4] f32 bits of a uint, 0 between passes: ops::matmulResidualNorm's finish counter
    vk::Buffer tokenIds;   // int32 [maxBatch], written by the host where it is mapped
    vk::Buffer idStaging;  // host-visible copy source where tokenIds is not mapped
    ops::TopLogitsWork top; // the largest logits, for samplers that need only those
    // LoRA adapters only, made when the first is set (lora_forward.cpp):
    ops::Tensor loraRank;  // [maxBatch * largest rank] A x
    ops::Tensor loraOut;   // [max(maxBatch * widest projection, vocab)] B (A x)

    // context: the kv cache's rows, which a decoded token's attention on CPU devices may score.
    static Result<RunState> create(vk::Device& device, const ModelConfig& config, int vocab, int maxBatch, int context);
};

struct LoadOptions {
    int contextLength = 4096; // capped by the model's own
    int maxBatch = 256;       // prompt tokens per forward pass
};

class LanguageModel {
public:
    static Result<std::unique_ptr<LanguageModel>> load(vk::Device& device, const std::string& path,
                                                       const LoadOptions& options = {},
                                                       const std::function<bool(double)>& progress = {});

    const ModelConfig& config() const { return mConfig; }
    const Tokenizer& tokenizer() const { return *mTokenizer; }
    // The GGUF's Jinja chat template; empty for base models, which complete plain text.
    const std::string& chatTemplate() const { return mChatTemplate; }
    int contextLength() const { return mCache.capacity; }
    int position() const { return mCache.length; }
    int vocabSize() const { return int(mWeights.lmHead().dim(0)); }
    uint64_t weightBytes() const { return mWeights.bytes(); }
    uint64_t weightBytesPerToken() const { return mWeights.bytesPerToken(mConfig.expertsUsed); }

    // Runs `tokens` at positions position()..; the logits of the last token are then in logits().
    // With `topCandidates` > 0 (at most ops::kTopLogitsMaxK) the same submission also chooses at
    // least that many of the largest logits on the device, and topLogits() returns them.
    // `progress` hears (tokens done, all tokens) after each batch of a long prompt; returning false
    // stops there with ErrorCode::Cancelled (the tokens done stay in the context).
    Status forward(std::span<const int32_t> tokens, int topCandidates = 0,
                   const std::function<bool(int, int)>& progress = {});
    // Runs rows given as embeddings instead of tokens (a picture's: f32 [n, dim] on this device,
    // used as they are, not scaled like token embeddings) at positions position()..; with causal
    // false they see each other both ways, as llama.cpp decodes Gemma 3's pictures. All n rows go
    // in one pass: n is at most maxBatch().
    Status forwardEmbeddings(const ops::Tensor& rows, bool causal, int topCandidates = 0);
    int maxBatch() const { return mState.maxBatch; }
    Result<std::vector<float>> logits() const;
    Result<ops::TopLogits> topLogits() const;
    // Forgets positions from `length` on, keeping the prefix (a follow-up reuses it).
    void truncate(int length);

    const ModelWeights& weights() const { return mWeights; }
    // LoRA adapters applied from the next forward pass on, each with its scale (0: left out),
    // without touching the weights. A set other than the current one empties the KV cache, which
    // the old one computed; the result says whether it did.
    Result<bool> setAdapters(std::vector<ActiveLora> adapters);
    const std::vector<ActiveLora>& adapters() const { return mAdapters; }

private:
    LanguageModel(vk::Device& device) : mDevice(device) {}
    // One pass over `tokens`, or over the rows of `embeddings` where it is given (tokens then empty).
    Status forwardBatch(std::span<const int32_t> tokens, int topCandidates, const ops::Tensor* embeddings = nullptr,
                        bool causal = true);
    // x[n] = the layer's mixture of experts applied to xn[n] (forward.cpp).
    Status recordExperts(vk::CommandBatch& batch, const ExpertWeights& w, const ops::Tensor& xn, int64_t n,
                         ops::Tensor& out);
    ops::TokenIds stageTokenIds(std::span<const int32_t> tokens);
    // y += scale * alpha / rank * B (A x) for each active adapter of the weight (lora_forward.cpp);
    // the token embedding's A is looked up by id instead.
    Status addLora(vk::CommandBatch& batch, LoraTarget target, int layer, const ops::Tensor& x, ops::Tensor& y);
    bool adapted(LoraTarget target, int layer) const;
    Status project(vk::CommandBatch& batch, const ops::Tensor& in, const ops::Tensor& weight, LoraTarget target, int layer,
                   ops::Tensor& projected, const ops::ResidualNormSeam& seam); // an active adapter adds to this projection
    Status addTokenLora(vk::CommandBatch& batch, const ops::TokenIds& ids, ops::Tensor& x);
    // gate = act(gate · xn) * (up · xn), fused where no adapter changes gate or up.
    Status recordGlu(vk::CommandBatch& batch, const LayerWeights& w, int layer, const ops::Tensor& xn,
                     ops::Tensor& gate, ops::Tensor& up);

    vk::Device& mDevice;
    ModelConfig mConfig;
    ModelWeights mWeights;
    KvCache mCache;
    RunState mState;
    std::unique_ptr<Tokenizer> mTokenizer;
    std::string mChatTemplate;
    std::vector<ActiveLora> mAdapters;
};

} // namespace atelier::llm

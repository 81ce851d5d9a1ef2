#pragma once
// Sentence-embedding models from GGUF, as llama.cpp runs them: BERT (`bert`: all-MiniLM, bge) and
// nomic-bert (nomic-embed-text). Several texts packed into one forward pass, bidirectional
// attention within each, post-norm LayerNorm blocks, then each text's vector pooled as the model
// says (mean of its tokens, or [CLS]) and scaled to unit length (what llama-embedding prints and what cosine retrieval needs).
//   x = LN(tok_embd[ids] + token_types[0] (+ position_embd[0..n)))
//   per layer: x = LN(x + Wo·attention(q, k, v) (+ bo)), NeoX RoPE on q and k for nomic-bert
//              x = LN(x + Wdown·gelu(Wup·x + bup) + bdown), or Wdown·(silu(Wgate·x) * Wup·x)

#include "core/result.h"
#include "llm/linear_weights.h"
#include "llm/tokenizer.h"
#include "ops/embedding.h"
#include "ops/tensor.h"

#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::io {
class GgufFile;
}
namespace atelier::vk {
class Device;
class CommandBatch;
}

namespace atelier::llm {

enum class Pooling { Mean, Cls, Last };

struct EmbeddingConfig {
    bool nomic = false;     // nomic-bert: fused q/k/v, RoPE, SwiGLU, no positions
    std::string architectureName;
    std::string name;
    int dim = 0;            // embedding_length: also the vector's size
    int layers = 0;
    int heads = 0;
    int feedForward = 0;
    int contextLength = 0;  // the most tokens a text may have; longer ones are cut there
    float eps = 1e-12f;     // attention.layer_norm_epsilon
    float ropeBase = 10000.0f;
    Pooling pooling = Pooling::Mean;

    static Result<EmbeddingConfig> fromGguf(const io::GgufFile& file);
};

struct EmbeddingLayerWeights {
    Linear q, k, v, out;       // [dim, dim] (nomic-bert's attn_qkv split into three at load)
    LayerNormWeights attentionNorm;
    Linear up, down;           // [feedForward, dim], [dim, feedForward]
    std::optional<ops::Tensor> gate; // [feedForward, dim] nomic-bert's SwiGLU
    LayerNormWeights outputNorm;
};

struct EmbeddingWeights {
    ops::Tensor tokenEmbedding;                  // [vocab, dim]
    std::optional<ops::Tensor> tokenTypes;       // [types, dim] f32; row 0 is added
    std::optional<ops::Tensor> positions;        // [contextLength, dim] f32 (bert)
    LayerNormWeights embeddingNorm;
    std::vector<EmbeddingLayerWeights> layers;
};

class EmbeddingModel {
public:
    static Result<std::unique_ptr<EmbeddingModel>> load(vk::Device& device, const std::string& path);

    const EmbeddingConfig& config() const { return mConfig; }
    const Tokenizer& tokenizer() const { return *mTokenizer; }
    int dimension() const { return mConfig.dim; }

    // The unit-length vector of `text` ([CLS] text [SEP], cut at contextLength tokens); with
    // normalize false, the pooled vector as it is.
    Result<std::vector<float>> embed(std::string_view text, bool normalize = true);
    // Several texts in as few forward passes as hold them (embedTokenLists).
    Result<std::vector<std::vector<float>>> embed(std::span<const std::string> texts, bool normalize = true);
    // The same for token ids already made (tests compare with llama.cpp's).
    Result<std::vector<float>> embedTokens(std::span<const int32_t> ids, bool normalize = true);
    // Batched: texts packed one after another into passes of up to tokenCapacity() tokens; the
    // projections and feed-forward layers run once over all of a pass's rows, attention (and
    // positions, RoPE) per text, so each vector is the one its text alone would get. A set
    // `cancel` stops it between passes with ErrorCode::Cancelled.
    Result<std::vector<std::vector<float>>> embedTokenLists(std::span<const std::vector<int32_t>> texts,
                                                            bool normalize = true,
                                                            const std::atomic<bool>* cancel = nullptr);
    int64_t tokenCapacity() const { return mCapacity; }

private:
    // A text's rows in a pass, and its own q, k, v and attention output [1, count, heads, headDim]
    // (attention runs on them, so that it never reaches another text's rows).
    struct PackedText {
        int64_t first = 0, count = 0;
        ops::Tensor q, k, v, out;
        ops::Tensor scores; // f32 scratch for attention's scores on CPU devices (sequenceAttention's workspace)
    };
    explicit EmbeddingModel(vk::Device& device) : mDevice(device) {}
    Status record(vk::CommandBatch& batch, std::span<PackedText> texts, int64_t tokens);
    Status embedPass(std::span<const std::vector<int32_t>> texts, bool normalize, std::vector<std::vector<float>>& out);

    vk::Device& mDevice;
    EmbeddingConfig mConfig;
    EmbeddingWeights mWeights;
    std::unique_ptr<Tokenizer> mTokenizer;
    int64_t mCapacity = 0; // rows of the activations: max(contextLength, kPassTokens)
    // Activations [mCapacity, width]; a pass uses views of the first rows.
    ops::Tensor mX, mSum, mQ, mK, mV, mAttention, mHidden, mUp;
    ops::TokenIds mIds, mPositions; // token ids; each token's position within its text
};

} // namespace atelier::llm

#pragma once
// A language model's hyper-parameters, read from GGUF metadata (<arch>.* keys) for the
// architectures Atelier runs. Unknown architectures and missing keys are errors that name them.

#include "core/result.h"
#include "ops/glu.h"
#include "ops/rope.h"

#include <string>
#include <vector>

namespace atelier::io {
class GgufFile;
}

namespace atelier::llm {

enum class Architecture { Llama, Qwen2, Qwen3, Qwen3Moe, Olmoe, Gemma3 };

struct ModelConfig {
    Architecture architecture = Architecture::Llama;
    std::string architectureName; // general.architecture
    std::string name;             // general.name, for the UI

    int vocabSize = 0;
    int dim = 0;              // embedding_length: the residual stream width
    int layers = 0;           // block_count
    int feedForward = 0;      // feed_forward_length
    int heads = 0;            // attention.head_count
    int kvHeads = 0;          // attention.head_count_kv (grouped-query attention)
    int headDim = 0;          // attention.key_length, else dim / heads
    int contextLength = 0;    // the longest context the model was trained for
    float rmsEps = 1e-5f;     // attention.layer_norm_rms_epsilon

    ops::RopeLayout rope = ops::RopeLayout::Normal; // pairs (2i, 2i+1) or halves (i, i + d/2)
    int ropeDims = 0;               // rope.dimension_count: leading dimensions of a head rotated, else headDim
    float ropeBase = 10000.0f;      // rope.freq_base
    float ropeBaseLocal = 10000.0f; // Gemma 3 sliding-window layers
    float ropeScale = 1.0f;         // linear position scaling: 1 / rope.scaling.factor

    int slidingWindow = 0;          // 0: every layer attends to the whole context
    std::vector<bool> slidingLayer; // [layers] true where the window applies
    float attentionScale = 0;       // multiplies q·k; 1/sqrt(headDim) unless the model says
    float embeddingScale = 1.0f;    // Gemma multiplies token embeddings by sqrt(dim)
    float finalLogitSoftcap = 0;    // 0: off
    ops::GluActivation activation = ops::GluActivation::SiLU;
    bool qkNorm = false;            // RMSNorm on each head of q and k (Gemma 3, Qwen3)
    bool sandwichNorms = false;     // norms after attention and after the FFN too (Gemma 3)
    bool qkvBias = false;           // biases on q, k, v (Qwen2)
    bool qkNormWhole = false;       // RMSNorm over all of q and all of k, before splitting heads (OLMoE)

    // A mixture of experts (qwen3moe, olmoe, llama with experts as Mixtral): the feed-forward of
    // every layer is `expertsUsed` of `experts` gated FFNs of width expertFeedForward, weighted by
    // the router's softmax (divided by the chosen ones' sum where expertWeightsNorm), times
    // expertWeightsScale. experts = 0: dense.
    int experts = 0;               // expert_count
    int expertsUsed = 0;           // expert_used_count
    int expertFeedForward = 0;     // expert_feed_forward_length, else feed_forward_length
    bool expertWeightsNorm = false;
    float expertWeightsScale = 1.0f;

    static Result<ModelConfig> fromGguf(const io::GgufFile& file);
};

} // namespace atelier::llm

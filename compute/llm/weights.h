#pragma once
// A language model's weights on the device, bound by GGUF tensor name with the expected shape.
// Weights stay in their file's type (quantized ones included); a type without a kernel, a
// missing tensor or a wrong shape is an error naming the tensor, expected and actual.

#include "core/result.h"
#include "llm/model_config.h"
#include "ops/tensor.h"

#include <functional>
#include <optional>
#include <vector>

namespace atelier::io {
class GgufFile;
}
namespace atelier::vk {
class Device;
}

namespace atelier::llm {

// A mixture of experts' feed-forward (ModelConfig::experts > 0), stacked as llama.cpp's converter
// writes them (ffn_{gate,up,down}_exps).
struct ExpertWeights {
    ops::Tensor router;     // [experts, dim] ffn_gate_inp
    ops::Tensor gate, up;   // [experts, expertFeedForward, dim]
    ops::Tensor down;       // [experts, dim, expertFeedForward]
};

struct LayerWeights {
    ops::Tensor attnNorm;                   // [dim] f32
    ops::Tensor wq;                         // [heads * headDim, dim]
    ops::Tensor wk, wv;                     // [kvHeads * headDim, dim]
    ops::Tensor wo;                         // [dim, heads * headDim]
    // On CPU devices, where k (and v) have q's type: q's, k's (and v's) rows in one tensor, of
    // which wq, wk (and wv) are views, so that a decoded token takes one pass for them (issue 16).
    std::optional<ops::Tensor> wqkv;
    bool wqkvHoldsV() const { return wqkv && wqkv->dim(0) > wq.dim(0) + wk.dim(0); }
    std::optional<ops::Tensor> bq, bk, bv;  // [heads|kvHeads * headDim] f32 (Qwen2)
    std::optional<ops::Tensor> qNorm, kNorm; // [headDim] f32 (Gemma 3, Qwen3); [heads|kvHeads * headDim] (OLMoE)
    std::optional<ops::Tensor> attnPostNorm; // [dim] f32 (Gemma 3)
    ops::Tensor ffnNorm;                    // [dim] f32
    ops::Tensor gate, up;                   // [feedForward, dim]; empty where experts are
    ops::Tensor down;                       // [dim, feedForward]
    std::optional<ExpertWeights> experts;   // a mixture of experts instead of gate, up, down
    std::optional<ops::Tensor> ffnPostNorm; // [dim] f32 (Gemma 3)
};

struct ModelWeights {
    ops::Tensor tokenEmbedding;            // [vocab, dim]
    ops::Tensor outputNorm;                // [dim] f32
    std::optional<ops::Tensor> output;     // [vocab, dim]; absent: tied to tokenEmbedding
    std::optional<ops::Tensor> ropeFreqs;  // [ropeDims / 2] f32 divisors of the RoPE frequencies (Llama 3.1 scaling)
    std::vector<LayerWeights> layers;

    const ops::Tensor& lmHead() const { return output ? *output : tokenEmbedding; }
    uint64_t bytes() const;
    // What decoding one token reads: every weight, but of each mixture of experts only the
    // `expertsUsed` experts the router chooses.
    uint64_t bytesPerToken(int expertsUsed) const;
};

// One GGUF tensor on the device, checked against `shape` (row-major) and, with floatOnly, f32.
Result<ops::Tensor> bindTensor(vk::Device& device, const io::GgufFile& file, const std::string& name,
                               std::vector<int64_t> shape, bool floatOnly = false);
Result<std::optional<ops::Tensor>> bindOptionalTensor(vk::Device& device, const io::GgufFile& file,
                                                      const std::string& name, std::vector<int64_t> shape,
                                                      bool floatOnly = false);
// Rows [firstRow, firstRow + rows) of a 2-D tensor of `shape` as a tensor of their own.
Result<ops::Tensor> bindTensorRows(vk::Device& device, const io::GgufFile& file, const std::string& name,
                                   std::vector<int64_t> shape, int64_t firstRow, int64_t rows);

// progress(fraction) returns false to cancel the load (an ErrorCode::Cancelled error).
Result<ModelWeights> loadWeights(vk::Device& device, const io::GgufFile& file, const ModelConfig& config,
                                 const std::function<bool(double)>& progress = {});

} // namespace atelier::llm

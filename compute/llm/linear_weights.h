#pragma once
// Binding and running the Linear and LayerNorm layers of encoder models (BERT-style embedding
// models, vision transformers): weights by GGUF name with their optional biases.

#include "core/result.h"
#include "ops/tensor.h"

#include <optional>
#include <string>

namespace atelier::io {
class GgufFile;
}
namespace atelier::vk {
class Device;
class CommandBatch;
}

namespace atelier::llm {

struct Linear {
    ops::Tensor weight;               // [out, in]
    std::optional<ops::Tensor> bias;  // [out] f32
};

struct LayerNormWeights {
    ops::Tensor gamma, beta; // [dim] f32
};

// `name`.weight [out, in] and, where the file has one, `name`.bias [out] (f32).
Result<Linear> bindLinear(vk::Device& device, const io::GgufFile& file, const std::string& name, int64_t out,
                          int64_t in);
// `name`.weight and `name`.bias, both [dim] f32.
Result<LayerNormWeights> bindLayerNorm(vk::Device& device, const io::GgufFile& file, const std::string& name,
                                       int64_t dim);
// out = x · weight^T (+ bias).
Status linear(vk::CommandBatch& batch, const ops::Tensor& x, const Linear& layer, ops::Tensor& out);

} // namespace atelier::llm

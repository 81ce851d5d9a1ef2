#pragma once
// The keys and values of every position seen so far, per layer, in f16 on the device, so decoding
// a token attends to the whole context without recomputing it.

#include "core/result.h"
#include "llm/model_config.h"
#include "ops/tensor.h"

#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::llm {

struct KvCache {
    std::vector<ops::Tensor> keys;   // [layers] f16 [kvHeads, capacity, headDim]
    std::vector<ops::Tensor> values; // [layers] f16 [kvHeads, capacity, headDim]
    int capacity = 0;                // positions each layer holds
    int length = 0;                  // positions filled: the next token goes at `length`

    static Result<KvCache> create(vk::Device& device, const ModelConfig& config, int capacity);
    uint64_t bytes() const;
};

} // namespace atelier::llm

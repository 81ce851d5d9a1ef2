#pragma once
// Token embedding lookup: out[i, :] = table[ids[i], :] * scale, for tables of any weight type
// (block-quantized rows are dequantized on the device). Gemma scales by sqrt(dim).

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>
#include <span>
#include <vector>

namespace atelier::ops {

// Token ids on the device, with the host copy the op checks and groups them by.
struct TokenIds {
    vk::Buffer buffer;         // int32 ids
    std::vector<int32_t> host; // the same ids

    size_t size() const { return host.size(); }
    static Result<TokenIds> upload(vk::Device& device, std::span<const int32_t> ids);
};

// table [vocab, dim] (any dtype), out [ids.size(), dim] f32. Ids outside [0, vocab) are an
// InvalidArgument error before anything is recorded. Tables larger than maxStorageBufferRange are
// bound in row windows, one dispatch per window that holds a requested row; `maxBindingBytes`
// (0: the device's limit) lets tests force that with small tables.
Status embedding(vk::CommandBatch& batch, const Tensor& table, const TokenIds& ids, Tensor& out, float scale = 1.0f,
                 uint64_t maxBindingBytes = 0);

} // namespace atelier::ops

#include "llm/kv_cache.h"

namespace atelier::llm {

Result<KvCache> KvCache::create(vk::Device& device, const ModelConfig& config, int capacity)
{
    if (capacity <= 0)
        return makeError(ErrorCode::InvalidArgument, "the context must hold at least one token");
    KvCache cache;
    cache.capacity = capacity;
    const std::vector<int64_t> shape{config.kvHeads, capacity, config.headDim};
    for (int l = 0; l < config.layers; ++l) {
        ATELIER_ASSIGN(ops::Tensor k, ops::Tensor::create(device, DType::F16, shape));
        ATELIER_ASSIGN(ops::Tensor v, ops::Tensor::create(device, DType::F16, shape));
        cache.keys.push_back(std::move(k));
        cache.values.push_back(std::move(v));
    }
    return cache;
}

uint64_t KvCache::bytes() const
{
    uint64_t n = 0;
    for (size_t l = 0; l < keys.size(); ++l)
        n += keys[l].bytes() + values[l].bytes();
    return n;
}

} // namespace atelier::llm

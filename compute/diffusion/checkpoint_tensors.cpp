#include "diffusion/checkpoint_tensors.h"

#include "io/gguf_describe.h"

#include <algorithm>

namespace atelier::diffusion {

Status TensorTable::finish()
{
    std::stable_sort(mTensors.begin(), mTensors.end(),
                     [](const CheckpointTensor& a, const CheckpointTensor& b) { return a.name < b.name; });
    for (size_t i = 1; i < mTensors.size(); ++i)
        if (mTensors[i - 1].name == mTensors[i].name)
            return makeError(ErrorCode::Format, "two tensors map to '" + io::printable(mTensors[i].name) +
                                                    "': " + mTensors[i - 1].source + " and " + mTensors[i].source);
    return {};
}

const CheckpointTensor* TensorTable::find(std::string_view name) const
{
    const auto it = std::lower_bound(mTensors.begin(), mTensors.end(), name,
                                     [](const CheckpointTensor& t, std::string_view n) { return t.name < n; });
    return it != mTensors.end() && it->name == name ? &*it : nullptr;
}

const std::vector<int64_t>* TensorTable::shape(std::string_view name) const
{
    const CheckpointTensor* t = find(name);
    return t ? &t->shape : nullptr;
}

std::span<const CheckpointTensor> TensorTable::withPrefix(std::string_view prefix) const
{
    const auto first = std::lower_bound(mTensors.begin(), mTensors.end(), prefix,
                                        [](const CheckpointTensor& t, std::string_view p) { return t.name < p; });
    auto last = first;
    while (last != mTensors.end() && std::string_view(last->name).starts_with(prefix))
        ++last;
    return {first, last};
}

void TensorTable::removePrefix(std::string_view prefix)
{
    std::erase_if(mTensors, [&](const CheckpointTensor& t) { return std::string_view(t.name).starts_with(prefix); });
}

void TensorTable::merge(TensorTable&& other)
{
    for (CheckpointTensor& t : other.mTensors)
        mTensors.push_back(std::move(t));
    other.mTensors.clear();
}

} // namespace atelier::diffusion

#pragma once
// A tensor in device memory: a buffer, an element type and a shape (row-major, last dim fastest).

#include "core/dtype.h"
#include "core/result.h"
#include "vk/memory.h"

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::ops {

// Elements [first, first + count) of a tensor bound from the aligned byte offset at or below the
// first; shaders add `offset` (the first element's index within the range) to their indices.
struct ElementWindow {
    vk::BufferRange range;
    uint32_t offset;
};

struct Tensor {
    vk::Buffer buffer;
    DType dtype = DType::F32;
    std::vector<int64_t> shape;

    int64_t numel() const;
    uint64_t bytes() const { return storageBytes(dtype, uint64_t(numel())); }
    int64_t dim(int i) const { return shape[size_t(i < 0 ? int(shape.size()) + i : i)]; }
    std::string shapeText() const; // "[2, 3] f16"
    // For plain (unquantized) types only; rowWindow() below takes any type.
    ElementWindow window(uint64_t first, uint64_t count, uint64_t align) const;
    // The same memory with another shape of no more elements: a reshape, or the first rows of a
    // batch. The view does not own the memory and must not outlive this tensor.
    Result<Tensor> view(std::vector<int64_t> shape) const;
    // The elements from `first` on with `shape` (plain types): a part of a fused weight or of a
    // fused projection's output. first's byte offset must be a multiple of `align` (the allocator's
    // alignment), so that the part binds as any tensor does. Must not outlive this tensor.
    Result<Tensor> slice(uint64_t first, std::vector<int64_t> shape, uint64_t align) const;
    // Rows [first, first + count) of a 2-D tensor of any type (a part of a fused weight); their byte
    // offset must be a multiple of `align`. Must not outlive this tensor.
    Result<Tensor> rows(int64_t first, int64_t count, uint64_t align) const;

    static Result<Tensor> create(vk::Device& device, DType dtype, std::vector<int64_t> shape);
    // Uploads host floats, converting to the tensor's dtype.
    static Result<Tensor> fromFloats(vk::Device& device, DType dtype, std::vector<int64_t> shape,
                                     std::span<const float> values);
    Result<std::vector<float>> toFloats(vk::Device& device) const;
};

// Rows [first, first + count) of a 2-D tensor of any dtype, bound from the aligned byte offset at or
// below the first. `offset` is in elements for plain types and in bytes for block types.
ElementWindow rowWindow(const Tensor& t, uint64_t first, uint64_t count, uint64_t align);

} // namespace atelier::ops

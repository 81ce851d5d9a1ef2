#pragma once
// What row-wise kernels (softmax, rmsnorm: one workgroup per row of the last dimension) share:
// the check that input and output are f32 of one shape, and runs of rows that fit one binding.

#include "core/result.h"
#include "ops/tensor.h"

#include <functional>

namespace atelier::vk {
class Device;
}

namespace atelier::ops {

struct RowBatches {
    uint64_t width = 0;           // elements per row (the last dimension)
    uint64_t rows = 0;            // all other dimensions
    uint64_t rowsPerDispatch = 0; // rows whose window fits one binding
    uint32_t workgroupSize = 0;   // small rows would leave most of a large workgroup idle
    uint64_t align = 0;           // binding offset alignment
};

Result<RowBatches> planRowBatches(const char* op, vk::Device& device, const Tensor& x, const Tensor& out);

// Calls record(x window, out window, rows) for each run of rows in order.
Status forEachRowBatch(const RowBatches& plan, const Tensor& x, const Tensor& out,
                       const std::function<Status(const ElementWindow&, const ElementWindow&, uint64_t)>& record);

} // namespace atelier::ops

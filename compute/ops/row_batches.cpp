#include "ops/row_batches.h"

#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

Result<RowBatches> planRowBatches(const char* op, vk::Device& device, const Tensor& x, const Tensor& out)
{
    if (x.dtype != DType::F32 || out.dtype != DType::F32)
        return makeError(ErrorCode::InvalidArgument, std::string(op) + ": expected f32 tensors, got " + x.shapeText() +
                                                         " and " + out.shapeText());
    if (x.shape.empty() || x.shape != out.shape)
        return makeError(ErrorCode::InvalidArgument,
                         std::string(op) + ": output " + out.shapeText() + " does not match input " + x.shapeText());
    RowBatches plan;
    plan.width = uint64_t(x.dim(-1));
    plan.rows = uint64_t(x.numel()) / plan.width;
    plan.align = device.allocator().alignment();
    const uint64_t room = device.info().maxStorageBufferRange - plan.align; // a window may start align-1 bytes early
    plan.rowsPerDispatch = room / (plan.width * 4);
    if (plan.rowsPerDispatch == 0)
        return makeError(ErrorCode::Unsupported,
                         std::string(op) + ": rows of " + std::to_string(plan.width) + " elements are too long");
    plan.workgroupSize = plan.width >= 1024 ? 256 : 64;
    return plan;
}

Status forEachRowBatch(const RowBatches& plan, const Tensor& x, const Tensor& out,
                       const std::function<Status(const ElementWindow&, const ElementWindow&, uint64_t)>& record)
{
    for (uint64_t first = 0; first < plan.rows; first += plan.rowsPerDispatch) {
        const uint64_t count = std::min(plan.rowsPerDispatch, plan.rows - first);
        ATELIER_TRY(record(x.window(first * plan.width, count * plan.width, plan.align),
                           out.window(first * plan.width, count * plan.width, plan.align), count));
    }
    return {};
}

} // namespace atelier::ops

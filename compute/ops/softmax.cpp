#include "ops/softmax.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

Status softmax(vk::CommandBatch& batch, const Tensor& x, Tensor& out, const SoftmaxOptions& options)
{
    if (x.dtype != DType::F32 || out.dtype != DType::F32)
        return makeError(ErrorCode::InvalidArgument, "softmax: expected f32 tensors, got " + x.shapeText() +
                                                         " and " + out.shapeText());
    if (x.shape.empty() || x.shape != out.shape)
        return makeError(ErrorCode::InvalidArgument,
                         "softmax: output " + out.shapeText() + " does not match input " + x.shapeText());
    vk::Device& device = batch.device();
    const uint64_t n = uint64_t(x.dim(-1));
    const uint64_t rows = uint64_t(x.numel()) / n;
    const uint64_t align = device.allocator().alignment();
    const uint64_t room = device.info().maxStorageBufferRange - align; // a window may start align-1 bytes early
    const uint64_t rowsPerDispatch = room / (n * 4);
    if (rowsPerDispatch == 0)
        return makeError(ErrorCode::Unsupported, "softmax: rows of " + std::to_string(n) + " elements are too long");

    const bool subgroups = device.info().subgroupArithmetic() && !options.sharedReduction;
    const uint32_t wg = n >= 1024 ? 256 : 64; // small rows would leave most of a large workgroup idle
    const char* name = subgroups ? "softmax" : "softmax_shared";
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get({name, 2, sizeof(shader::SoftmaxPush), {wg}}));

    for (uint64_t first = 0; first < rows; first += rowsPerDispatch) {
        const uint64_t count = std::min(rowsPerDispatch, rows - first);
        const ElementWindow xw = x.window(first * n, count * n, align);
        const ElementWindow ow = out.window(first * n, count * n, align);
        const shader::SoftmaxPush push{uint32_t(count), uint32_t(n), xw.offset, ow.offset, options.scale};
        const Grid g = grid1d(count, 1, device.info().maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::writeOf(ow.range)}, push, g.x, g.y));
    }
    return {};
}

} // namespace atelier::ops

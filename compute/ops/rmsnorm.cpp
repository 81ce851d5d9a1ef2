#include "ops/rmsnorm.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

Status rmsnorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& weight, Tensor& out,
               const RmsNormOptions& options)
{
    if (x.dtype != DType::F32 || out.dtype != DType::F32)
        return makeError(ErrorCode::InvalidArgument, "rmsnorm: expected f32 input and output, got " + x.shapeText() +
                                                         " and " + out.shapeText());
    if (x.shape.empty() || x.shape != out.shape)
        return makeError(ErrorCode::InvalidArgument,
                         "rmsnorm: output " + out.shapeText() + " does not match input " + x.shapeText());
    if (weight.numel() != x.dim(-1))
        return makeError(ErrorCode::InvalidArgument, "rmsnorm: weight " + weight.shapeText() +
                                                         " does not match rows of " + std::to_string(x.dim(-1)));
    if (!(options.eps >= 0.0f))
        return makeError(ErrorCode::InvalidArgument, "rmsnorm: eps must be >= 0");

    vk::Device& device = batch.device();
    const uint64_t n = uint64_t(x.dim(-1));
    const uint64_t rows = uint64_t(x.numel()) / n;
    const uint64_t align = device.allocator().alignment();
    const uint64_t room = device.info().maxStorageBufferRange - align; // a window may start align-1 bytes early
    const uint64_t rowsPerDispatch = room / (n * 4);
    if (rowsPerDispatch == 0)
        return makeError(ErrorCode::Unsupported, "rmsnorm: rows of " + std::to_string(n) + " elements are too long");

    const bool subgroups = device.info().subgroupArithmetic() && !options.sharedReduction;
    const std::string name = std::string("rmsnorm_") + dtypeName(weight.dtype) + (subgroups ? "" : "_shared");
    const uint32_t wg = n >= 1024 ? 256 : 64; // small rows would leave most of a large workgroup idle
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 3, sizeof(shader::RmsNormPush), {wg}}));

    for (uint64_t first = 0; first < rows; first += rowsPerDispatch) {
        const uint64_t count = std::min(rowsPerDispatch, rows - first);
        const ElementWindow xw = x.window(first * n, count * n, align);
        const ElementWindow ow = out.window(first * n, count * n, align);
        const shader::RmsNormPush push{uint32_t(count), uint32_t(n), xw.offset, ow.offset, options.eps};
        const Grid g = grid1d(count, 1, device.info().maxWorkgroupCount[0]);
        const auto wRange = weight.buffer.range();
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::readOf(wRange), vk::writeOf(ow.range)}, push, g.x, g.y));
    }
    return {};
}

} // namespace atelier::ops

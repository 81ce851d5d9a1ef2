#include "ops/rmsnorm.h"

#include "ops/grid.h"
#include "ops/row_batches.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

Status rmsnorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& weight, Tensor& out,
               const RmsNormOptions& options)
{
    vk::Device& device = batch.device();
    ATELIER_ASSIGN(const RowBatches plan, planRowBatches("rmsnorm", device, x, out));
    if (weight.numel() != x.dim(-1))
        return makeError(ErrorCode::InvalidArgument, "rmsnorm: weight " + weight.shapeText() +
                                                         " does not match rows of " + std::to_string(x.dim(-1)));
    if (!(options.eps >= 0.0f))
        return makeError(ErrorCode::InvalidArgument, "rmsnorm: eps must be >= 0");

    const bool subgroups = device.info().subgroupArithmetic() && !options.sharedReduction;
    const std::string name = std::string("rmsnorm_") + dtypeName(weight.dtype) + (subgroups ? "" : "_shared");
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 3, sizeof(shader::RmsNormPush), {plan.workgroupSize}}));
    const auto wRange = weight.buffer.range();
    return forEachRowBatch(plan, x, out, [&](const ElementWindow& xw, const ElementWindow& ow, uint64_t rows) {
        const shader::RmsNormPush push{uint32_t(rows), uint32_t(plan.width), xw.offset, ow.offset, options.eps};
        const Grid g = grid1d(rows, 1, device.info().maxWorkgroupCount[0]);
        return batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::readOf(wRange), vk::writeOf(ow.range)}, push, g.x, g.y);
    });
}

} // namespace atelier::ops

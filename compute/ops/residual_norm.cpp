#include "ops/residual_norm.h"

#include "ops/grid.h"
#include "ops/row_batches.h"
#include "push_constants.h"
#include "vk/device.h"

namespace atelier::ops {

Status residualNorm(vk::CommandBatch& batch, Tensor& x, const Tensor& y, const Tensor* postWeight,
                    const Tensor& nextWeight, Tensor& xn, const RmsNormOptions& options)
{
    vk::Device& device = batch.device();
    ATELIER_ASSIGN(const RowBatches plan, planRowBatches("residualNorm", device, x, xn));
    if (y.dtype != DType::F32 || y.shape != x.shape)
        return makeError(ErrorCode::InvalidArgument, "residualNorm: y " + y.shapeText() + " does not match x " + x.shapeText());
    for (const Tensor* w : {postWeight, &nextWeight})
        if (w && (w->dtype != DType::F32 || w->numel() != x.dim(-1)))
            return makeError(ErrorCode::InvalidArgument, "residualNorm: weight " + w->shapeText() +
                                                             " does not match rows of " + std::to_string(x.dim(-1)));
    if (!(options.eps >= 0.0f))
        return makeError(ErrorCode::InvalidArgument, "residualNorm: eps must be >= 0");

    const bool subgroups = device.info().subgroupArithmetic() && !options.sharedReduction;
    const std::string name = std::string(postWeight ? "residual_post_norm" : "residual_norm") + (subgroups ? "" : "_shared");
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 5, sizeof(shader::ResidualNormPush), {plan.workgroupSize}}));
    // Without a post-norm the kernel never reads that binding; the next weight stands in for it.
    const auto postRange = (postWeight ? *postWeight : nextWeight).buffer.range();
    const auto nextRange = nextWeight.buffer.range();
    uint64_t first = 0;
    return forEachRowBatch(plan, x, xn, [&](const ElementWindow& xw, const ElementWindow& nw, uint64_t rows) {
        const ElementWindow yw = y.window(first * plan.width, rows * plan.width, plan.align);
        first += rows;
        const shader::ResidualNormPush push{uint32_t(rows), uint32_t(plan.width), xw.offset, yw.offset, nw.offset, options.eps};
        const Grid g = grid1d(rows, 1, device.info().maxWorkgroupCount[0]);
        return batch.dispatch(*pipeline,
                              {vk::readWriteOf(xw.range), vk::readOf(yw.range), vk::readOf(postRange),
                               vk::readOf(nextRange), vk::writeOf(nw.range)},
                              push, g.x, g.y);
    });
}

} // namespace atelier::ops

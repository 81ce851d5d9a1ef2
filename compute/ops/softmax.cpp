#include "ops/softmax.h"

#include "ops/grid.h"
#include "ops/row_batches.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

Status softmax(vk::CommandBatch& batch, const Tensor& x, Tensor& out, const SoftmaxOptions& options)
{
    vk::Device& device = batch.device();
    ATELIER_ASSIGN(const RowBatches plan, planRowBatches("softmax", device, x, out));
    const bool subgroups = device.info().subgroupArithmetic() && !options.sharedReduction;
    const char* name = subgroups ? "softmax" : "softmax_shared";
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 2, sizeof(shader::SoftmaxPush), {plan.workgroupSize}}));
    return forEachRowBatch(plan, x, out, [&](const ElementWindow& xw, const ElementWindow& ow, uint64_t rows) {
        const shader::SoftmaxPush push{uint32_t(rows), uint32_t(plan.width), xw.offset, ow.offset, options.scale};
        const Grid g = grid1d(rows, 1, device.info().maxWorkgroupCount[0]);
        return batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::writeOf(ow.range)}, push, g.x, g.y);
    });
}

} // namespace atelier::ops

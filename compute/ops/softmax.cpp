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
    // CPU devices: a row per invocation (softmax.comp ROWS) where rows are whole vec4s.
    const bool rowsKernel = (device.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU || options.rowPerInvocation) &&
                            !options.sharedReduction && plan.width % 4 == 0;
    const char* name = rowsKernel ? "softmax_rows" : subgroups ? "softmax" : "softmax_shared";
    constexpr uint32_t kRowsWorkgroup = 64;
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 2, sizeof(shader::SoftmaxPush),
                                           {rowsKernel ? kRowsWorkgroup : plan.workgroupSize}}));
    return forEachRowBatch(plan, x, out, [&](const ElementWindow& xw, const ElementWindow& ow, uint64_t rows) -> Status {
        const shader::SoftmaxPush push{uint32_t(rows), uint32_t(plan.width), xw.offset, ow.offset, options.scale};
        if (rowsKernel && (xw.offset % 4 != 0 || ow.offset % 4 != 0))
            return makeError(ErrorCode::Unsupported, "softmax: rows are not 16-byte aligned");
        const Grid g = grid1d(rows, rowsKernel ? kRowsWorkgroup : 1, device.info().maxWorkgroupCount[0]);
        return batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::writeOf(ow.range)}, push, g.x, g.y);
    });
}

} // namespace atelier::ops

#include "ops/lora_merge.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 64;

} // namespace

Status loraMerge(vk::CommandBatch& batch, Tensor& w, const Tensor& up, const Tensor& down, float scale)
{
    const bool shapes = w.shape.size() >= 2 && up.shape.size() == 2 && down.shape.size() == 2 &&
                        up.dim(0) == w.dim(0) && up.dim(1) == down.dim(0) && down.dim(1) * w.dim(0) == w.numel();
    if ((w.dtype != DType::F32 && w.dtype != DType::F16) || up.dtype != DType::F32 || down.dtype != DType::F32 ||
        !shapes)
        return makeError(ErrorCode::InvalidArgument, "loraMerge: expected w [rows, cols...] f32 or f16, up [rows, rank] "
                                                     "and down [rank, cols] f32, got " +
                                                         w.shapeText() + ", " + up.shapeText() + " and " +
                                                         down.shapeText());
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t rows = uint64_t(w.dim(0)), cols = uint64_t(down.dim(1)), rank = uint64_t(up.dim(1));
    const uint64_t align = device.allocator().alignment();
    const uint64_t room = info.maxStorageBufferRange - align;
    if (down.bytes() > info.maxStorageBufferRange)
        return makeError(ErrorCode::Unsupported, "loraMerge: a down matrix of " + down.shapeText() + " is too large to bind");
    const uint64_t rowBytes = std::max(cols * dtypeSize(w.dtype), rank * 4);
    const uint64_t rowStep = std::min(room / rowBytes, uint64_t(UINT32_MAX) / cols);
    if (rowStep == 0)
        return makeError(ErrorCode::Unsupported, "loraMerge: rows of " + std::to_string(cols) + " are too long to bind");
    const std::string name = std::string("lora_merge_") + dtypeName(w.dtype);
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 3, sizeof(shader::LoraMergePush), {kWorkgroup}}));
    for (uint64_t r0 = 0; r0 < rows; r0 += rowStep) {
        const uint64_t rc = std::min(rowStep, rows - r0);
        const ElementWindow ww = w.window(r0 * cols, rc * cols, align);
        const ElementWindow uw = up.window(r0 * rank, rc * rank, align);
        const shader::LoraMergePush push{uint32_t(rc), uint32_t(cols), uint32_t(rank), ww.offset, uw.offset, scale};
        const Grid g = grid1d(rc * cols, kWorkgroup, info.maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readWriteOf(ww.range), vk::readOf(uw.range), vk::readOf(down.buffer.range())},
                                   push, g.x, g.y));
    }
    return {};
}

} // namespace atelier::ops

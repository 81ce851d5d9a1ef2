#include "ops/masked_sum.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

namespace atelier::ops {

Status addMasked(vk::CommandBatch& batch, const Tensor& x, const Tensor& mask, Tensor& out, bool accumulate)
{
    if (x.dtype != DType::F32 || mask.dtype != DType::F32 || out.dtype != DType::F32 || x.shape != out.shape ||
        x.shape.size() < 3)
        return makeError(ErrorCode::InvalidArgument, "addMasked: expected f32 x and out [batch, ..., channels] of one "
                                                     "shape and an f32 mask, got " +
                                                         x.shapeText() + ", " + mask.shapeText() + " and " + out.shapeText());
    const int64_t channels = x.dim(-1), pixels = x.numel() / x.dim(0) / channels;
    if (mask.numel() != pixels)
        return makeError(ErrorCode::InvalidArgument, "addMasked: the mask " + mask.shapeText() + " does not have one value for each of " +
                                                         std::to_string(pixels) + " pixels");
    vk::Device& device = batch.device();
    const uint64_t align = device.allocator().alignment();
    const uint64_t count = uint64_t(x.numel());
    if (count * 4 + align > device.info().maxStorageBufferRange || count > UINT32_MAX)
        return makeError(ErrorCode::Unsupported, "addMasked: " + x.shapeText() + " is too large to bind at once");
    constexpr uint32_t kGroup = 256;
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get({"masked_sum", 3, sizeof(shader::MaskedSumPush), {kGroup}}));
    const ElementWindow xw = x.window(0, count, align), mw = mask.window(0, uint64_t(pixels), align),
                        ow = out.window(0, count, align);
    const shader::MaskedSumPush push{uint32_t(count), uint32_t(pixels), uint32_t(channels), accumulate ? 1u : 0u,
                                     xw.offset, mw.offset, ow.offset};
    const Grid g = grid1d(count, kGroup, device.info().maxWorkgroupCount[0]);
    const auto outBinding = accumulate ? vk::readWriteOf(ow.range) : vk::writeOf(ow.range);
    return batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::readOf(mw.range), outBinding}, push, g.x, g.y);
}

} // namespace atelier::ops

#include "ops/channels.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 256;

bool isFloat(DType t) { return t == DType::F32 || t == DType::F16; }

struct Limits {
    uint64_t align, room;
};

Limits limits(vk::Device& device)
{
    const uint64_t align = device.allocator().alignment();
    return {align, device.info().maxStorageBufferRange - align};
}

Result<const vk::Pipeline*> pipeline(vk::Device& device, const std::string& name, uint32_t bindings)
{
    return device.pipelines().get({name, bindings, sizeof(shader::ChannelsPush), {kWorkgroup}});
}

Status dispatch(vk::CommandBatch& batch, const vk::Pipeline& pipeline, std::initializer_list<vk::Binding> bindings,
                const shader::ChannelsPush& push)
{
    const Grid g = grid1d(push.count, kWorkgroup, batch.device().info().maxWorkgroupCount[0]);
    return batch.dispatch(pipeline, bindings, push, g.x, g.y);
}

} // namespace

Status upsampleNearest2x(vk::CommandBatch& batch, const Tensor& in, Tensor& out)
{
    if (!isFloat(in.dtype) || out.dtype != in.dtype || in.shape.size() != 4 ||
        out.shape != std::vector<int64_t>{in.dim(0), 2 * in.dim(1), 2 * in.dim(2), in.dim(3)})
        return makeError(ErrorCode::InvalidArgument, "upsample: expected in [batch, h, w, c] and out [batch, 2h, 2w, c] "
                                                     "of one float dtype, got " + in.shapeText() + " and " + out.shapeText());
    vk::Device& device = batch.device();
    const Limits l = limits(device);
    const uint64_t w = uint64_t(in.dim(2)), c = uint64_t(in.dim(3));
    const uint64_t rows = uint64_t(in.dim(0) * in.dim(1)); // input rows, images one after another
    const uint64_t step = std::min(l.room / (4 * w * c * dtypeSize(in.dtype)), uint64_t(UINT32_MAX) / (4 * w * c));
    if (step == 0)
        return makeError(ErrorCode::Unsupported, "upsample: rows of " + in.shapeText() + " are too long to bind");
    ATELIER_ASSIGN(const vk::Pipeline* p, pipeline(device, std::string("upsample_") + dtypeName(in.dtype), 2));
    for (uint64_t r0 = 0; r0 < rows; r0 += step) {
        const uint64_t rc = std::min(step, rows - r0);
        const ElementWindow iw = in.window(r0 * w * c, rc * w * c, l.align);
        const ElementWindow ow = out.window(4 * r0 * w * c, 4 * rc * w * c, l.align);
        const shader::ChannelsPush push{uint32_t(4 * rc * w * c), uint32_t(c), uint32_t(w), 0, 0, iw.offset, 0,
                                        ow.offset, 1.0f};
        ATELIER_TRY(dispatch(batch, *p, {vk::readOf(iw.range), vk::writeOf(ow.range)}, push));
    }
    return {};
}

Status concatChannels(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out)
{
    std::vector<int64_t> expected = a.shape;
    if (!expected.empty() && !b.shape.empty())
        expected.back() += b.dim(-1);
    if (!isFloat(a.dtype) || b.dtype != a.dtype || out.dtype != a.dtype || a.shape.size() != b.shape.size() ||
        a.shape.empty() || !std::equal(a.shape.begin(), a.shape.end() - 1, b.shape.begin()) || out.shape != expected)
        return makeError(ErrorCode::InvalidArgument, "concat: expected a [..., ca], b [..., cb] and out [..., ca + cb] "
                                                     "of one float dtype, got " + a.shapeText() + ", " + b.shapeText() +
                                                     " and " + out.shapeText());
    vk::Device& device = batch.device();
    const Limits l = limits(device);
    const uint64_t ca = uint64_t(a.dim(-1)), c = uint64_t(out.dim(-1));
    const uint64_t pixels = uint64_t(a.numel()) / ca;
    const uint64_t step = std::min(l.room / (c * dtypeSize(a.dtype)), uint64_t(UINT32_MAX) / c);
    if (step == 0)
        return makeError(ErrorCode::Unsupported, "concat: rows of " + out.shapeText() + " are too long to bind");
    ATELIER_ASSIGN(const vk::Pipeline* p, pipeline(device, std::string("concat_") + dtypeName(a.dtype), 3));
    for (uint64_t p0 = 0; p0 < pixels; p0 += step) {
        const uint64_t pc = std::min(step, pixels - p0);
        const ElementWindow aw = a.window(p0 * ca, pc * ca, l.align);
        const ElementWindow bw = b.window(p0 * (c - ca), pc * (c - ca), l.align);
        const ElementWindow ow = out.window(p0 * c, pc * c, l.align);
        const shader::ChannelsPush push{uint32_t(pc * c), uint32_t(c), uint32_t(ca), 0, 0, aw.offset, bw.offset,
                                        ow.offset, 1.0f};
        ATELIER_TRY(dispatch(batch, *p, {vk::readOf(aw.range), vk::readOf(bw.range), vk::writeOf(ow.range)}, push));
    }
    return {};
}

Status addBias(vk::CommandBatch& batch, const Tensor& x, const Tensor& bias, Tensor& out, float scale)
{
    const std::string what = "addBias of " + bias.shapeText() + " to " + x.shapeText() + " into " + out.shapeText();
    if (!isFloat(x.dtype) || out.dtype != x.dtype || out.shape != x.shape || x.shape.size() < 2 || !isFloat(bias.dtype))
        return makeError(ErrorCode::InvalidArgument, what + ": expected x and out [batch, ..., c] of one float dtype");
    const uint64_t images = uint64_t(x.dim(0)), c = uint64_t(x.dim(-1));
    const bool perImage = bias.shape.size() == 2;
    if (!(bias.shape == std::vector<int64_t>{x.dim(-1)} ||
          bias.shape == std::vector<int64_t>{x.dim(0), x.dim(-1)}))
        return makeError(ErrorCode::InvalidArgument, what + ": bias must be [c] or [batch, c]");
    vk::Device& device = batch.device();
    const Limits l = limits(device);
    const uint64_t n = uint64_t(x.numel()), imageElements = n / images;
    if (imageElements > UINT32_MAX || bias.bytes() > l.room)
        return makeError(ErrorCode::Unsupported, what + ": images or bias too large");
    const uint64_t step = std::min<uint64_t>(l.room / dtypeSize(x.dtype), UINT32_MAX);
    ATELIER_ASSIGN(const vk::Pipeline* p, pipeline(device, std::string("add_bias_") + dtypeName(x.dtype) + "_" +
                                                               dtypeName(bias.dtype), 3));
    const auto bRange = bias.buffer.range();
    for (uint64_t e0 = 0; e0 < n; e0 += step) {
        const uint64_t ec = std::min(step, n - e0);
        const ElementWindow xw = x.window(e0, ec, l.align);
        const ElementWindow ow = out.window(e0, ec, l.align);
        const uint64_t image = e0 / imageElements;
        const shader::ChannelsPush push{uint32_t(ec),
                                        uint32_t(c),
                                        uint32_t(imageElements),
                                        uint32_t(e0 % imageElements),
                                        perImage ? 1u : 0u,
                                        xw.offset,
                                        uint32_t(perImage ? image * c : 0),
                                        ow.offset,
                                        scale};
        ATELIER_TRY(dispatch(batch, *p, {vk::readOf(xw.range), vk::readOf(bRange), vk::writeOf(ow.range)}, push));
    }
    return {};
}

} // namespace atelier::ops

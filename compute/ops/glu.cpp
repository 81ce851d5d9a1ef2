#include "ops/glu.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 256;

// gate and up are rows `stride` apart in their tensors, up `upShift` elements into its row.
Status run(vk::CommandBatch& batch, const Tensor& gate, const Tensor& up, uint64_t stride, uint64_t upShift,
           Tensor& out, GluActivation act)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const char* shader = act == GluActivation::SiLU ? "glu_silu" : "glu_gelu_tanh";
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({shader, 3, sizeof(shader::GluPush), {kWorkgroup}}));
    const uint64_t n = uint64_t(out.dim(-1));
    const uint64_t rows = uint64_t(out.numel()) / n;
    const uint64_t align = device.allocator().alignment();
    const uint64_t room = info.maxStorageBufferRange - align;
    const uint64_t rowStep = std::min(room / (stride * 4), UINT32_MAX / stride);
    if (rowStep == 0)
        return makeError(ErrorCode::Unsupported, "glu: rows of " + std::to_string(n) + " are too long to bind");

    for (uint64_t r0 = 0; r0 < rows; r0 += rowStep) {
        const uint64_t rc = std::min(rowStep, rows - r0);
        const ElementWindow gw = gate.window(r0 * stride, (rc - 1) * stride + n, align);
        const ElementWindow uw = up.window(r0 * stride + upShift, (rc - 1) * stride + n, align);
        const ElementWindow ow = out.window(r0 * n, rc * n, align);
        const shader::GluPush push{uint32_t(rc * n), uint32_t(n),         uint32_t(stride),
                                   gw.offset,        uw.offset,           ow.offset};
        const Grid g = grid1d(rc * n, kWorkgroup, info.maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(gw.range), vk::readOf(uw.range), vk::writeOf(ow.range)},
                                   push, g.x, g.y));
    }
    return {};
}

} // namespace

Status glu(vk::CommandBatch& batch, const Tensor& gate, const Tensor& up, Tensor& out, GluActivation act)
{
    if (gate.dtype != DType::F32 || up.dtype != DType::F32 || out.dtype != DType::F32 || gate.shape != up.shape ||
        gate.shape != out.shape)
        return makeError(ErrorCode::InvalidArgument, "glu: expected f32 gate, up and out of one shape, got " +
                                                         gate.shapeText() + ", " + up.shapeText() + " and " +
                                                         out.shapeText());
    return run(batch, gate, up, uint64_t(out.dim(-1)), 0, out, act);
}

Status glu(vk::CommandBatch& batch, const Tensor& gateUp, Tensor& out, GluActivation act)
{
    std::vector<int64_t> expected = gateUp.shape;
    if (!expected.empty())
        expected.back() /= 2;
    if (expected.empty() || gateUp.dtype != DType::F32 || out.dtype != DType::F32 || gateUp.dim(-1) % 2 != 0 ||
        out.shape != expected)
        return makeError(ErrorCode::InvalidArgument, "glu: expected f32 gateUp [..., 2n] and out [..., n], got " +
                                                         gateUp.shapeText() + " and " + out.shapeText());
    return run(batch, gateUp, gateUp, uint64_t(gateUp.dim(-1)), uint64_t(out.dim(-1)), out, act);
}

} // namespace atelier::ops

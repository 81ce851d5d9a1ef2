#include "ops/gelu.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 256;

// Output rows of n, each read from a row of `inRow` (n, or 2n gated), in runs that fit a binding.
Status run(vk::CommandBatch& batch, const std::string& shader, const Tensor& x, Tensor& out, bool gated)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const std::string name = shader + "_" + dtypeName(x.dtype);
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 2, sizeof(shader::GeluPush), {kWorkgroup}}));
    const uint64_t n = uint64_t(out.dim(-1));
    const uint64_t inRow = gated ? 2 * n : n;
    const uint64_t rows = uint64_t(out.numel()) / n;
    const uint64_t align = device.allocator().alignment();
    const uint64_t room = info.maxStorageBufferRange - align;
    const uint64_t rowStep = std::min(room / (inRow * dtypeSize(x.dtype)), uint64_t(UINT32_MAX) / inRow);
    if (rowStep == 0)
        return makeError(ErrorCode::Unsupported, "gelu: rows of " + std::to_string(inRow) + " are too long to bind");
    for (uint64_t r0 = 0; r0 < rows; r0 += rowStep) {
        const uint64_t rc = std::min(rowStep, rows - r0);
        const ElementWindow xw = x.window(r0 * inRow, rc * inRow, align);
        const ElementWindow ow = out.window(r0 * n, rc * n, align);
        const shader::GeluPush push{uint32_t(rc * n), uint32_t(n), xw.offset, ow.offset};
        const Grid g = grid1d(rc * n, kWorkgroup, info.maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::writeOf(ow.range)}, push, g.x, g.y));
    }
    return {};
}

bool isFloat(DType t) { return t == DType::F32 || t == DType::F16; }

const char* geluShader(GeluForm form, bool gated)
{
    if (gated)
        return form == GeluForm::Erf ? "geglu_erf" : "geglu_tanh";
    switch (form) {
    case GeluForm::Erf:
        return "gelu_erf";
    case GeluForm::Tanh:
        return "gelu_tanh";
    case GeluForm::Quick:
        break;
    }
    return "gelu_quick";
}

Status checkElementwise(const char* op, const Tensor& x, const Tensor& out)
{
    if (!isFloat(x.dtype) || out.dtype != x.dtype || x.shape.empty() || out.shape != x.shape)
        return makeError(ErrorCode::InvalidArgument, std::string(op) + ": expected f32 or f16 x and out of one "
                                                     "dtype and shape, got " + x.shapeText() + " and " + out.shapeText());
    return {};
}

} // namespace

Status gelu(vk::CommandBatch& batch, const Tensor& x, Tensor& out, GeluForm form)
{
    ATELIER_TRY(checkElementwise("gelu", x, out));
    return run(batch, geluShader(form, false), x, out, false);
}

Status silu(vk::CommandBatch& batch, const Tensor& x, Tensor& out)
{
    ATELIER_TRY(checkElementwise("silu", x, out));
    return run(batch, "silu", x, out, false);
}

Status geglu(vk::CommandBatch& batch, const Tensor& x, Tensor& out, GeluForm form)
{
    std::vector<int64_t> expected = x.shape;
    if (!expected.empty())
        expected.back() /= 2;
    if (!isFloat(x.dtype) || out.dtype != x.dtype || expected.empty() || x.dim(-1) % 2 != 0 || out.shape != expected)
        return makeError(ErrorCode::InvalidArgument, "geglu: expected x [..., 2n] and out [..., n] of one float dtype, got " +
                                                         x.shapeText() + " and " + out.shapeText());
    if (form == GeluForm::Quick)
        return makeError(ErrorCode::Unsupported, "geglu: there is no gated quick GELU");
    return run(batch, geluShader(form, true), x, out, true);
}

} // namespace atelier::ops

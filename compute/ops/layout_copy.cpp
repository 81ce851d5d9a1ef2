#include "ops/layout_copy.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 256;

bool isFloat(DType t) { return t == DType::F32 || t == DType::F16; }

// One strided copy of rows x cols elements between the element bases inBase and outBase, in bands
// of rows that fit a binding on both sides.
Status stridedCopy(vk::CommandBatch& batch, const std::string& what, const Tensor& in, Tensor& out, uint64_t rows,
                   uint64_t cols, uint64_t inBase, uint64_t inRow, uint64_t inCol, uint64_t outBase, uint64_t outRow,
                   uint64_t outCol, uint64_t maxBindingBytes)
{
    if (rows == 0 || cols == 0)
        return {};
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = maxBindingBytes ? std::min(maxBindingBytes, info.maxStorageBufferRange)
                                           : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    // Elements a band of n rows spans on each side.
    const auto span = [&](uint64_t n, uint64_t rowStride, uint64_t colStride) {
        return (n - 1) * rowStride + (cols - 1) * colStride + 1;
    };
    const uint64_t inElem = dtypeSize(in.dtype), outElem = dtypeSize(out.dtype);
    uint64_t step = rows;
    while (step > 0 && (span(step, inRow, inCol) * inElem > room || span(step, outRow, outCol) * outElem > room ||
                        step * cols > UINT32_MAX))
        step /= 2;
    if (step == 0)
        return makeError(ErrorCode::Unsupported, what + ": one row exceeds a binding");

    const std::string name = std::string("strided_copy_") + dtypeName(in.dtype) + "_" + dtypeName(out.dtype);
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 2, sizeof(shader::StridedCopyPush), {kWorkgroup}}));
    for (uint64_t r0 = 0; r0 < rows; r0 += step) {
        const uint64_t n = std::min(step, rows - r0);
        const ElementWindow iw = in.window(inBase + r0 * inRow, span(n, inRow, inCol), align);
        const ElementWindow ow = out.window(outBase + r0 * outRow, span(n, outRow, outCol), align);
        const shader::StridedCopyPush push{uint32_t(n),      uint32_t(cols),   uint32_t(inRow), uint32_t(inCol),
                                           uint32_t(outRow), uint32_t(outCol), iw.offset,       ow.offset};
        const Grid g = grid1d(n * cols, kWorkgroup, info.maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(iw.range), vk::writeOf(ow.range)}, push, g.x, g.y));
    }
    return {};
}

Status checkTypes(const std::string& what, const Tensor& in, const Tensor& out)
{
    if (!isFloat(in.dtype) || !isFloat(out.dtype))
        return makeError(ErrorCode::InvalidArgument, what + ": expected f32 or f16 tensors");
    return {};
}

} // namespace

Status transpose2d(vk::CommandBatch& batch, const Tensor& in, Tensor& out, const LayoutCopyOptions& options)
{
    const std::string what = "transpose of " + in.shapeText() + " into " + out.shapeText();
    ATELIER_TRY(checkTypes(what, in, out));
    if (in.shape.size() < 2 || out.numel() != in.numel())
        return makeError(ErrorCode::InvalidArgument, what + ": expected in [rows, cols] and out of as many elements");
    const uint64_t cols = uint64_t(in.dim(-1)), rows = uint64_t(in.numel()) / std::max<uint64_t>(cols, 1);
    return stridedCopy(batch, what, in, out, rows, cols, 0, cols, 1, 0, 1, rows, options.maxBindingBytes);
}

Status convert(vk::CommandBatch& batch, const Tensor& in, Tensor& out, const LayoutCopyOptions& options)
{
    const std::string what = "conversion of " + in.shapeText() + " into " + out.shapeText();
    ATELIER_TRY(checkTypes(what, in, out));
    if (out.numel() != in.numel())
        return makeError(ErrorCode::InvalidArgument, what + ": element counts differ");
    // Seen as rows of 64 elements (and a shorter last one), so bands can be small.
    const uint64_t n = uint64_t(in.numel()), cols = std::min<uint64_t>(n, 64);
    const uint64_t rows = n / std::max<uint64_t>(cols, 1);
    ATELIER_TRY(stridedCopy(batch, what, in, out, rows, cols, 0, cols, 1, 0, cols, 1, options.maxBindingBytes));
    return stridedCopy(batch, what, in, out, 1, n - rows * cols, rows * cols, 0, 1, rows * cols, 0, 1,
                       options.maxBindingBytes);
}

Status copyColumns(vk::CommandBatch& batch, const Tensor& in, uint64_t first, uint64_t count, Tensor& out,
                   uint64_t outFirst, const LayoutCopyOptions& options)
{
    const std::string what = "copy of columns of " + in.shapeText() + " into " + out.shapeText();
    ATELIER_TRY(checkTypes(what, in, out));
    const uint64_t cols = in.shape.empty() ? 0 : uint64_t(in.dim(-1));
    const uint64_t rows = cols ? uint64_t(in.numel()) / cols : 0;
    if (count == 0 || first + count > cols || outFirst + rows * count > uint64_t(out.numel()))
        return makeError(ErrorCode::InvalidArgument, what + ": the columns or the rows they fill fall outside");
    return stridedCopy(batch, what, in, out, rows, count, first, cols, 1, outFirst, count, 1, options.maxBindingBytes);
}

Status copyIntoColumns(vk::CommandBatch& batch, const Tensor& in, Tensor& out, uint64_t first,
                       const LayoutCopyOptions& options)
{
    const std::string what = "copy of " + in.shapeText() + " into columns of " + out.shapeText();
    ATELIER_TRY(checkTypes(what, in, out));
    const uint64_t count = in.shape.empty() ? 0 : uint64_t(in.dim(-1));
    const uint64_t rows = count ? uint64_t(in.numel()) / count : 0;
    const uint64_t cols = out.shape.empty() ? 0 : uint64_t(out.dim(-1));
    if (count == 0 || first + count > cols || rows * cols != uint64_t(out.numel()))
        return makeError(ErrorCode::InvalidArgument, what + ": the rows or columns do not match");
    return stridedCopy(batch, what, in, out, rows, count, 0, count, 1, first, cols, 1, options.maxBindingBytes);
}

Status padBottomRight(vk::CommandBatch& batch, const Tensor& in, Tensor& out, const LayoutCopyOptions& options)
{
    const std::string what = "padding of " + in.shapeText() + " into " + out.shapeText();
    ATELIER_TRY(checkTypes(what, in, out));
    if (in.shape.size() != 4 || out.shape.size() != 4 || out.dim(0) != in.dim(0) || out.dim(1) != in.dim(1) + 1 ||
        out.dim(2) != in.dim(2) + 1 || out.dim(3) != in.dim(3))
        return makeError(ErrorCode::InvalidArgument, what + ": expected in [batch, h, w, c] and out [batch, h + 1, w + 1, c]");
    const uint64_t h = uint64_t(in.dim(1)), w = uint64_t(in.dim(2)), c = uint64_t(in.dim(3));
    // Zero the whole output first (f32 and f16 zeros are zero bits); fills cover whole 4-byte words.
    const uint64_t fillBytes = (out.bytes() + 3) / 4 * 4;
    if (fillBytes > out.buffer.size())
        return makeError(ErrorCode::Unsupported, what + ": an odd number of f16 values in a buffer of their size");
    batch.fill(out.buffer.range(0, fillBytes), 0);
    for (uint64_t b = 0; b < uint64_t(in.dim(0)); ++b)
        ATELIER_TRY(stridedCopy(batch, what, in, out, h, w * c, b * h * w * c, w * c, 1, b * (h + 1) * (w + 1) * c,
                                (w + 1) * c, 1, options.maxBindingBytes));
    return {};
}

} // namespace atelier::ops

#include "ops/wide_attention.h"

#include "ops/layout_copy.h"
#include "ops/matmul.h"
#include "ops/softmax.h"
#include "vk/device.h"

#include <cmath>

namespace atelier::ops {

Result<WideAttentionScratch> WideAttentionScratch::create(vk::Device& device, int64_t n, int64_t headDim, DType dtype)
{
    if (n <= 0 || headDim <= 0 || (dtype != DType::F32 && dtype != DType::F16))
        return makeError(ErrorCode::InvalidArgument, "wide attention: invalid scratch shape or dtype");
    WideAttentionScratch s;
    ATELIER_ASSIGN(s.scores, Tensor::create(device, DType::F32, {n, n}));
    ATELIER_ASSIGN(s.valuesT, Tensor::create(device, dtype, {headDim, n}));
    if (dtype == DType::F16) {
        ATELIER_ASSIGN(s.query32, Tensor::create(device, DType::F32, {n, headDim}));
        ATELIER_ASSIGN(s.out32, Tensor::create(device, DType::F32, {n, headDim}));
    }
    return s;
}

uint64_t WideAttentionScratch::bytes() const
{
    const auto size = [](const Tensor& t) { return t.buffer.valid() ? t.bytes() : 0; };
    return size(scores) + size(valuesT) + size(query32) + size(out32);
}

Status wideAttention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                     WideAttentionScratch& scratch, const WideAttentionOptions& options)
{
    const std::string what = "wide attention of q " + q.shapeText() + " over k " + k.shapeText() + " and v " +
                             v.shapeText() + " into " + out.shapeText();
    if ((q.dtype != DType::F32 && q.dtype != DType::F16) || k.dtype != q.dtype || v.dtype != q.dtype ||
        out.dtype != q.dtype)
        return makeError(ErrorCode::InvalidArgument, what + ": expected q, k, v and out all f32 or all f16");
    if (q.shape.empty() || q.shape != k.shape || q.shape != v.shape || q.shape != out.shape)
        return makeError(ErrorCode::InvalidArgument, what + ": expected q, k, v and out of one shape [..., n, headDim]");
    const int64_t headDim = q.dim(-1), n = q.numel() / headDim;
    const bool f16 = q.dtype == DType::F16;
    if (scratch.scores.shape != std::vector<int64_t>{n, n} || scratch.valuesT.dtype != q.dtype ||
        scratch.valuesT.shape != std::vector<int64_t>{headDim, n} || (f16 && !scratch.out32.buffer.valid()))
        return makeError(ErrorCode::InvalidArgument, what + ": scratch made for another shape or dtype");
    const float scale = options.scale != 0.0f ? options.scale : float(1.0 / std::sqrt(double(headDim)));
    if (!std::isfinite(scale))
        return makeError(ErrorCode::InvalidArgument, what + ": invalid scale");

    // matmul reads a as f32 rows and b ("weights" [N, K]) as f32 or f16.
    ATELIER_ASSIGN(const Tensor q2, q.view({n, headDim}));
    ATELIER_ASSIGN(const Tensor k2, k.view({n, headDim}));
    ATELIER_ASSIGN(const Tensor v2, v.view({n, headDim}));
    const Tensor* query = &q2;
    if (f16) {
        ATELIER_TRY(convert(batch, q2, scratch.query32));
        query = &scratch.query32;
    }
    ATELIER_TRY(matmul(batch, *query, k2, scratch.scores));
    ATELIER_TRY(softmax(batch, scratch.scores, scratch.scores, {scale}));
    ATELIER_TRY(transpose2d(batch, v2, scratch.valuesT));
    if (!f16) {
        ATELIER_ASSIGN(Tensor o2, out.view({n, headDim}));
        return matmul(batch, scratch.scores, scratch.valuesT, o2);
    }
    ATELIER_TRY(matmul(batch, scratch.scores, scratch.valuesT, scratch.out32));
    return convert(batch, scratch.out32, out);
}

} // namespace atelier::ops

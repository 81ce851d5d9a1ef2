#include "ops/linear.h"

#include "ops/elementwise.h"
#include "ops/layout_copy.h"
#include "ops/matmul.h"
#include "vk/device.h"

namespace atelier::ops {

namespace {

uint32_t activationKind(const std::optional<GeluForm>& form)
{
    if (!form)
        return 0;
    switch (*form) {
    case GeluForm::Erf: return 1;
    case GeluForm::Tanh: return 2;
    case GeluForm::Quick: return 3;
    }
    return 0;
}

// matmul, then the bias, activation, residual and split each as a pass of its own.
Status separatePasses(vk::CommandBatch& batch, const Tensor& x, const Tensor& w, Tensor& out, const LinearOptions& o,
                      uint64_t M, uint64_t N)
{
    const bool staged = o.residual || o.parts > 1;
    std::vector<int64_t> productShape = x.shape;
    productShape.back() = int64_t(N);
    Tensor product;
    if (staged) {
        if (!o.scratch || o.scratch->dtype != DType::F32 || uint64_t(o.scratch->numel()) < M * N)
            return makeError(ErrorCode::InvalidArgument,
                             "linear: a residual or split output needs an f32 scratch of " + std::to_string(M * N) +
                                 " elements on this device");
        ATELIER_ASSIGN(product, o.scratch->view(productShape));
    } else {
        ATELIER_ASSIGN(product, out.view(productShape));
    }
    ATELIER_TRY(matmul(batch, x, w, product));
    if (o.bias)
        ATELIER_TRY(add(batch, product, *o.bias, product));
    if (o.activation)
        ATELIER_TRY(gelu(batch, product, product, *o.activation));
    if (o.residual)
        return add(batch, out, product, out);
    if (o.parts > 1) {
        const uint64_t columns = N / o.parts;
        const uint64_t stride = o.partStride ? o.partStride : M * columns;
        for (uint64_t p = 0; p < o.parts; ++p)
            ATELIER_TRY(copyColumns(batch, product, p * columns, columns, out, p * stride));
    }
    return {};
}

} // namespace

Status linear(vk::CommandBatch& batch, const Tensor& x, const Tensor& w, Tensor& out, const LinearOptions& options)
{
    if (x.shape.empty() || w.shape.size() != 2 || w.dim(1) != x.dim(-1))
        return makeError(ErrorCode::InvalidArgument,
                         "linear: expected x [..., K] and w [N, K], got " + x.shapeText() + " and " + w.shapeText());
    const uint64_t K = uint64_t(x.dim(-1)), M = uint64_t(x.numel()) / K, N = uint64_t(w.dim(0));
    if (options.parts == 0 || N % options.parts != 0 || (options.residual && options.parts > 1))
        return makeError(ErrorCode::InvalidArgument, "linear: " + std::to_string(N) + " outputs do not split into " +
                                                         std::to_string(options.parts) + " parts (or a residual into parts)");
    if (options.parts == 1 && (out.numel() != int64_t(M * N) || out.dim(-1) != int64_t(N)))
        return makeError(ErrorCode::InvalidArgument, "linear: out " + out.shapeText() + " is not [..., " +
                                                         std::to_string(N) + "] for x " + x.shapeText());
    if (!options.separatePasses && matmulFusesEpilogue(batch.device().info(), w.dtype, M, K)) {
        MatmulEpilogue e;
        e.bias = options.bias;
        e.activation = activationKind(options.activation);
        e.residual = options.residual;
        e.parts = options.parts;
        e.partStride = options.partStride;
        return matmulEpilogue(batch, x, w, out, e);
    }
    return separatePasses(batch, x, w, out, options, M, N);
}

} // namespace atelier::ops

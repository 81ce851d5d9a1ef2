#include "ops/elementwise.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 256;

enum class Op { Add, Mul, Scale };

const char* opName(Op op) { return op == Op::Add ? "add" : op == Op::Mul ? "mul" : "scale"; }

Status run(vk::CommandBatch& batch, Op op, const Tensor& a, const Tensor* b, float factor, Tensor& out)
{
    if (a.dtype != DType::F32 && a.dtype != DType::F16)
        return makeError(ErrorCode::InvalidArgument, std::string(opName(op)) + ": needs f32 or f16 tensors");
    if (a.dtype != out.dtype || (b && b->dtype != a.dtype))
        return makeError(ErrorCode::InvalidArgument, std::string(opName(op)) + ": mixed dtypes");
    if (a.numel() != out.numel())
        return makeError(ErrorCode::InvalidArgument, std::string(opName(op)) + ": output " + out.shapeText() +
                                                         " does not match input " + a.shapeText());
    const int64_t n = a.numel();
    const int64_t nb = b ? b->numel() : 1;
    if (b && n % nb != 0)
        return makeError(ErrorCode::InvalidArgument, std::string(opName(op)) + ": cannot broadcast " +
                                                         b->shapeText() + " over " + a.shapeText());

    vk::Device& device = batch.device();
    const std::string shader = std::string(opName(op)) + "_" + dtypeName(a.dtype);
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({shader, b ? 3u : 2u, sizeof(shader::ElementwisePush), {kWorkgroup}}));

    // Each dispatch binds at most maxStorageBufferRange bytes, starting at an aligned offset.
    const uint64_t elem = dtypeSize(a.dtype);
    const uint64_t align = device.allocator().alignment();
    const uint64_t chunk = std::max<uint64_t>((device.info().maxStorageBufferRange / align) * align / elem, 1);
    const bool bWhole = b && nb < n;
    if (bWhole && uint64_t(nb) * elem > device.info().maxStorageBufferRange)
        return makeError(ErrorCode::Unsupported, std::string(opName(op)) + ": broadcast operand too large");

    for (uint64_t start = 0; start < uint64_t(n); start += chunk) {
        const uint64_t count = std::min<uint64_t>(chunk, uint64_t(n) - start);
        const shader::ElementwisePush push{uint32_t(count), uint32_t(bWhole ? nb : count),
                                           uint32_t(bWhole ? start % uint64_t(nb) : 0), factor};
        const Grid g = grid1d(count, kWorkgroup, device.info().maxWorkgroupCount[0]);
        const auto aRange = a.buffer.range(start * elem, count * elem);
        const auto oRange = out.buffer.range(start * elem, count * elem);
        if (b) {
            const auto bRange = bWhole ? b->buffer.range() : b->buffer.range(start * elem, count * elem);
            ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(aRange), vk::readOf(bRange), vk::writeOf(oRange)}, push,
                                       g.x, g.y));
        } else {
            ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(aRange), vk::writeOf(oRange)}, push, g.x, g.y));
        }
    }
    return {};
}

} // namespace

Status add(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out)
{
    return run(batch, Op::Add, a, &b, 1.0f, out);
}

Status mul(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out)
{
    return run(batch, Op::Mul, a, &b, 1.0f, out);
}

Status scale(vk::CommandBatch& batch, const Tensor& a, float factor, Tensor& out)
{
    return run(batch, Op::Scale, a, nullptr, factor, out);
}

} // namespace atelier::ops

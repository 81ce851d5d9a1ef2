#include "ops/experts.h"

#include "ops/grid.h"
#include "ops/matmul.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::ops {

namespace {

std::string shapes(const Tensor& a, const Tensor& b, const Tensor& c)
{
    return a.shapeText() + ", " + b.shapeText() + " and " + c.shapeText();
}

// routes [tokens, used, 2] f32.
Status checkRoutes(const Tensor& routes)
{
    if (routes.dtype != DType::F32 || routes.shape.size() != 3 || routes.dim(2) != 2 || routes.dim(1) < 1 ||
        routes.dim(1) > int64_t(kMaxExpertsUsed))
        return makeError(ErrorCode::InvalidArgument, "experts: routes must be f32 [tokens, used <= " +
                                                         std::to_string(kMaxExpertsUsed) + ", 2], got " + routes.shapeText());
    return {};
}

// The whole of a small f32 tensor (activations, routes) as one binding.
Result<ElementWindow> whole(vk::Device& device, const Tensor& t, const char* what)
{
    const uint64_t align = device.allocator().alignment();
    if (t.bytes() + align > device.info().maxStorageBufferRange)
        return makeError(ErrorCode::Unsupported, std::string("experts: the ") + what + " " + t.shapeText() +
                                                     " is too large to bind at once");
    return t.window(0, uint64_t(t.numel()), align);
}

// The kernel for a pair's matrix-vector product: CPU devices take the rows kernel (texel fetches;
// its decode shape, one row of a), GPUs matvec.comp, as ops::matmul chooses for one row of a.
struct ExpertKernel {
    bool rows = false;
    uint32_t rowsPerGroup = 0; // rows of b (N) one workgroup covers
    std::vector<uint32_t> spec;
};

Result<ExpertKernel> chooseKernel(const vk::DeviceInfo& info, DType b, uint64_t K, ExpertsOptions::Path path)
{
    using Path = ExpertsOptions::Path;
    const bool cpuLayout = b == DType::Q4_CPU || b == DType::Q8_CPU;
    const bool rowsFit = rowsKernelFits(b, K);
    if (cpuLayout && path == Path::MatrixVector)
        return makeError(ErrorCode::Unsupported, std::string("experts: ") + dtypeName(b) + " weights have only the rows kernel");
    if (path == Path::Rows || (path == Path::Auto && (info.type == VK_PHYSICAL_DEVICE_TYPE_CPU || cpuLayout))) {
        if (!rowsFit)
            return makeError(ErrorCode::Unsupported, "experts: the rows kernel needs K % 4 == 0 and 16-byte rows");
        const uint32_t r = dtypeInfo(b).blockElements == 256 ? 1 : 2;
        return ExpertKernel{true, 16 * r, {16, 1, r}};
    }
    const uint32_t invocations = 128;
    return ExpertKernel{false, 2, {invocations, 2, 1, K % 4 == 0, isQuantized(b) ? 1u : 2u}};
}

// Experts [e0, e0 + count) of a stack [experts, N, K]; the push's bOffset and expertStride units.
struct ExpertWindow {
    ElementWindow w;
    uint32_t stride;
};
ExpertWindow expertWindow(const Tensor& experts, uint64_t e0, uint64_t count, uint64_t align)
{
    const uint64_t n = uint64_t(experts.dim(1)), k = uint64_t(experts.dim(2));
    const uint64_t stride = isQuantized(experts.dtype) ? storageBytes(experts.dtype, k) * n : n * k;
    return {rowWindow(experts, e0 * n, count * n, align), uint32_t(stride)};
}

// Whole experts per binding of the stack.
Result<uint64_t> expertsPerWindow(const vk::DeviceInfo& info, const Tensor& experts, bool texels, uint64_t align,
                                  const ExpertsOptions& options)
{
    uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                             : info.maxStorageBufferRange;
    if (texels)
        limit = std::min(limit, info.maxTexelBufferElements * 16);
    const uint64_t expertBytes = storageBytes(experts.dtype, uint64_t(experts.dim(1) * experts.dim(2)));
    const uint64_t count = limit > align ? (limit - align) / expertBytes : 0;
    if (count == 0)
        return makeError(ErrorCode::Unsupported, "experts: one expert of " + std::to_string(expertBytes) +
                                                     " bytes is larger than a binding");
    return std::min(count, uint64_t(experts.dim(0)));
}

Status checkExperts(const Tensor& a, const Tensor& experts, const Tensor& routes, const Tensor& out)
{
    ATELIER_TRY(checkRoutes(routes));
    const std::string what = "experts: a, experts and out " + shapes(a, experts, out);
    const int64_t pairs = routes.dim(0) * routes.dim(1);
    if (a.dtype != DType::F32 || out.dtype != DType::F32 || experts.shape.size() != 3 || a.shape.size() != 2 ||
        a.dim(1) != experts.dim(2))
        return makeError(ErrorCode::InvalidArgument, what + ": expected f32 a [rows, K] and experts [experts, N, K]");
    if (a.dim(0) != routes.dim(0) && a.dim(0) != pairs)
        return makeError(ErrorCode::InvalidArgument, what + ": a needs a row per token or per routed pair");
    if (out.shape != std::vector<int64_t>{pairs, experts.dim(1)})
        return makeError(ErrorCode::InvalidArgument, what + ": out must be [tokens * used, N]");
    return {};
}

// One product per (token, expert) pair; with `up`, the GLU pass of the rows kernel.
Status run(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, const Tensor* up, const Tensor& routes,
           Tensor& out, uint32_t activation, const ExpertsOptions& options)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t align = device.allocator().alignment();
    const uint64_t N = uint64_t(b.dim(1)), K = uint64_t(b.dim(2));
    const uint64_t used = uint64_t(routes.dim(1)), pairs = uint64_t(routes.dim(0)) * used;
    ATELIER_ASSIGN(const ExpertKernel kernel, chooseKernel(info, b.dtype, K, options.path));
    ATELIER_ASSIGN(const uint64_t perWindow, expertsPerWindow(info, b, kernel.rows, align, options));
    ATELIER_ASSIGN(const ElementWindow aw, whole(device, a, "input"));
    ATELIER_ASSIGN(const ElementWindow ow, whole(device, out, "output"));
    ATELIER_ASSIGN(const ElementWindow rw, whole(device, routes, "routes"));
    batch.countFlops((up ? 4.0 : 2.0) * double(pairs) * double(N) * double(K));

    const std::string type = dtypeName(b.dtype);
    vk::PipelineDesc desc{"", up ? 5u : 4u, sizeof(shader::MatmulExpertsPush), kernel.spec};
    uint32_t rowsPerGroup = kernel.rowsPerGroup;
    if (kernel.rows) {
        desc.shader = (up ? "matvec_rows_glu_experts_" : "matvec_rows_experts_") + type;
        desc.texelBindings = up ? 0b1011 : 0b011;
        if (up) { // R = 2: a row of gate and the same row of up, one row of out per invocation
            desc.specConstants = {16, 1, 2, activation};
            rowsPerGroup = 16;
        }
    } else {
        desc.shader = "matvec_experts_" + type + (info.subgroupArithmetic() ? "" : "_shared");
    }
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));

    const uint32_t aRowEvery = uint64_t(a.dim(0)) == pairs ? 1 : uint32_t(used);
    const uint64_t experts = uint64_t(b.dim(0));
    const Grid g = grid1d((N + rowsPerGroup - 1) / rowsPerGroup, 1, info.maxWorkgroupCount[0]);
    for (uint64_t e0 = 0; e0 < experts; e0 += perWindow) {
        const uint64_t ec = std::min(perWindow, experts - e0);
        const ExpertWindow bw = expertWindow(b, e0, ec, align);
        const ExpertWindow uw = up ? expertWindow(*up, e0, ec, align) : bw;
        for (uint64_t p0 = 0; p0 < pairs; p0 += info.maxWorkgroupCount[2]) {
            const uint64_t pc = std::min<uint64_t>(info.maxWorkgroupCount[2], pairs - p0);
            const shader::MatmulExpertsPush push{1,         uint32_t(N),  uint32_t(K),        aw.offset, bw.w.offset,
                                                 ow.offset, uint32_t(N),  uw.w.offset,        bw.stride, uint32_t(e0),
                                                 uint32_t(ec), aRowEvery, uint32_t(p0),       rw.offset};
            if (up) {
                ATELIER_TRY(batch.dispatch(*pipeline,
                                           {vk::readOf(aw.range), vk::readOf(bw.w.range), vk::writeOf(ow.range),
                                            vk::readOf(uw.w.range), vk::readOf(rw.range)},
                                           push, g.x, g.y, uint32_t(pc)));
            } else {
                ATELIER_TRY(batch.dispatch(*pipeline,
                                           {vk::readOf(aw.range), vk::readOf(bw.w.range), vk::writeOf(ow.range),
                                            vk::readOf(rw.range)},
                                           push, g.x, g.y, uint32_t(pc)));
            }
        }
    }
    return {};
}

} // namespace

Status routeExperts(vk::CommandBatch& batch, const Tensor& logits, Tensor& routes, const RouteOptions& options)
{
    ATELIER_TRY(checkRoutes(routes));
    if (logits.dtype != DType::F32 || logits.shape.size() != 2 || logits.dim(0) != routes.dim(0) ||
        uint32_t(routes.dim(1)) != options.used || logits.dim(1) < int64_t(options.used))
        return makeError(ErrorCode::InvalidArgument, "routeExperts: expected logits [tokens, experts >= " +
                                                         std::to_string(options.used) + "] and routes [tokens, " +
                                                         std::to_string(options.used) + ", 2], got " +
                                                         logits.shapeText() + " and " + routes.shapeText());
    vk::Device& device = batch.device();
    ATELIER_ASSIGN(const ElementWindow lw, whole(device, logits, "router logits"));
    ATELIER_ASSIGN(const ElementWindow rw, whole(device, routes, "routes"));
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get({"experts_route", 2, sizeof(shader::ExpertsPush), {64}}));
    const uint32_t tokens = uint32_t(logits.dim(0));
    const shader::ExpertsPush push{tokens, uint32_t(logits.dim(1)), options.used, options.normalize ? 1u : 0u,
                                   options.scale, 0, lw.offset, 0, rw.offset};
    const Grid g = grid1d(tokens, 64, device.info().maxWorkgroupCount[0]);
    return batch.dispatch(*pipeline, {vk::readOf(lw.range), vk::writeOf(rw.range)}, push, g.x, g.y);
}

Status matmulExperts(vk::CommandBatch& batch, const Tensor& a, const Tensor& experts, const Tensor& routes,
                     Tensor& out, const ExpertsOptions& options)
{
    ATELIER_TRY(checkExperts(a, experts, routes, out));
    return run(batch, a, experts, nullptr, routes, out, 0, options);
}

Status matmulExpertsGlu(vk::CommandBatch& batch, const Tensor& a, const Tensor& gate, const Tensor& up,
                        const Tensor& routes, Tensor& out, Tensor& upScratch, GluActivation act,
                        const ExpertsOptions& options)
{
    ATELIER_TRY(checkExperts(a, gate, routes, out));
    ATELIER_TRY(checkExperts(a, up, routes, upScratch));
    if (a.dim(0) != routes.dim(0))
        return makeError(ErrorCode::InvalidArgument, "matmulExpertsGlu: a needs one row per token");
    ATELIER_ASSIGN(const ExpertKernel kernel,
                   chooseKernel(batch.device().info(), gate.dtype, uint64_t(gate.dim(2)), options.path));
    if (kernel.rows && up.dtype == gate.dtype && up.shape == gate.shape) {
        const uint32_t activation = act == GluActivation::SiLU ? 0 : 1; // activation.glsl's kinds
        return run(batch, a, gate, &up, routes, out, activation, options);
    }
    ATELIER_TRY(run(batch, a, gate, nullptr, routes, out, 0, options));
    ATELIER_TRY(run(batch, a, up, nullptr, routes, upScratch, 0, options));
    return glu(batch, out, upScratch, out, act);
}

Status combineExperts(vk::CommandBatch& batch, const Tensor& y, const Tensor& routes, Tensor& out)
{
    ATELIER_TRY(checkRoutes(routes));
    const int64_t tokens = routes.dim(0), used = routes.dim(1);
    if (y.dtype != DType::F32 || out.dtype != DType::F32 || y.shape.size() != 2 || y.dim(0) != tokens * used ||
        out.shape != std::vector<int64_t>{tokens, y.dim(1)})
        return makeError(ErrorCode::InvalidArgument, "combineExperts: expected y [tokens * used, N] and out [tokens, N], got " +
                                                         shapes(y, routes, out));
    vk::Device& device = batch.device();
    ATELIER_ASSIGN(const ElementWindow yw, whole(device, y, "experts' outputs"));
    ATELIER_ASSIGN(const ElementWindow rw, whole(device, routes, "routes"));
    ATELIER_ASSIGN(const ElementWindow ow, whole(device, out, "output"));
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({"experts_combine", 3, sizeof(shader::ExpertsPush), {256}}));
    const uint64_t count = uint64_t(tokens) * uint64_t(y.dim(1));
    const shader::ExpertsPush push{uint32_t(tokens), 0, uint32_t(used), 0, 1.0f, uint32_t(y.dim(1)), yw.offset,
                                   rw.offset, ow.offset};
    const Grid g = grid1d(count, 256, device.info().maxWorkgroupCount[0]);
    return batch.dispatch(*pipeline, {vk::readOf(yw.range), vk::readOf(rw.range), vk::writeOf(ow.range)}, push, g.x, g.y);
}

} // namespace atelier::ops

#include "ops/matvec_int8.h"

#include "ops/grid.h"
#include "ops/matmul.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <string>

namespace atelier::ops {

namespace {

// Bytes of one row of K values of a once quantized: K int8 and a (d, s) pair of f32 per 32.
uint64_t quantizedRowBytes(uint64_t K) { return K + K / 32 * 8; }

// Rows of b per workgroup; invocations per workgroup, one per 16 values of K up to 128 (a power of
// two for the shared-memory reduction): fewer leave no lane idle where K is short (Gemma 3 270M's
// 640). CPU devices run a workgroup's invocations as the SIMD lanes of one thread and keep more
// threads busy with small ones, as for matvec.comp.
constexpr uint32_t kRows = 2;
uint32_t invocations(const vk::DeviceInfo& info, uint64_t K)
{
    if (info.type == VK_PHYSICAL_DEVICE_TYPE_CPU)
        return 32;
    return uint32_t(std::clamp<uint64_t>(std::bit_ceil(K / 16), 32, 128));
}

} // namespace

std::optional<bool> int8MatvecFromEnvironment()
{
    const char* env = std::getenv("ATELIER_INT8_MATVEC");
    if (!env)
        return std::nullopt;
    const std::string v = env;
    return v == "on" ? std::optional<bool>(true) : v == "off" ? std::optional<bool>(false) : std::nullopt;
}

bool int8MatvecCovers(DType b, uint64_t K)
{
    switch (b) {
    case DType::Q4_0:
    case DType::Q4_1:
    case DType::Q5_0:
    case DType::Q5_1:
    case DType::Q8_0:
    case DType::Q4_K:
    case DType::Q5_K:
    case DType::Q6_K: return K > 0 && K % dtypeInfo(b).blockElements == 0;
    default: return false;
    }
}

bool int8MatvecRuns(const vk::DeviceInfo& info) { return info.int8DotProduct; }

bool int8MatvecPreferred(const vk::DeviceInfo& info)
{
    return info.int8DotProduct && info.type != VK_PHYSICAL_DEVICE_TYPE_CPU &&
           (info.int8DotSignedAccelerated || info.int8DotMixedAccelerated);
}

Status matmulInt8(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out, uint64_t maxBindingBytes,
                  bool sharedReduction)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t K = uint64_t(a.dim(-1)), N = uint64_t(b.dim(0)), M = uint64_t(a.numel()) / K;
    if (!int8MatvecCovers(b.dtype, K))
        return makeError(ErrorCode::Unsupported, std::string("matmul: the int8 path has no form of ") +
                                                     dtypeName(b.dtype) + " weights with K = " + std::to_string(K));
    if (!int8MatvecRuns(info))
        return makeError(ErrorCode::Unsupported, "matmul: this device has no integer dot product (shaderIntegerDotProduct)");
    batch.countFlops(2.0 * double(M) * double(N) * double(K));

    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = maxBindingBytes ? std::min(maxBindingBytes, info.maxStorageBufferRange) : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    uint64_t nStep = room / storageBytes(b.dtype, K);
    const uint64_t mStep = std::min<uint64_t>(kMatrixVectorPassRows, room / (std::max(K, N) * 4));
    if (nStep == 0 || mStep == 0)
        return makeError(ErrorCode::Unsupported, "matmul: rows of K = " + std::to_string(K) + " or N = " +
                                                     std::to_string(N) + " are too long to bind");
    nStep = nStep >= kRows ? nStep / kRows * kRows : nStep;

    const bool subgroups = info.subgroupArithmetic() && !sharedReduction;
    const uint32_t group = invocations(info, K);
    // Eight invocations per block of 32 reduce by shuffles where subgroups hold whole eights.
    const bool shuffles = info.subgroupInCompute && (info.subgroupOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) &&
                          std::min(info.minSubgroupSize, info.subgroupSize) >= 8 && !sharedReduction;
    ATELIER_ASSIGN(const vk::Pipeline* quantize,
                   device.pipelines().get({shuffles ? "quantize_q8_1" : "quantize_q8_1_shared", 2,
                                           sizeof(shader::QuantizeQ8Push), {64}}));
    for (uint64_t m0 = 0; m0 < M; m0 += mStep) {
        const uint64_t mc = std::min(mStep, M - m0);
        const uint64_t blocks = mc * K / 32;
        const ElementWindow aw = a.window(m0 * K, mc * K, align);
        // The exact bytes of a these rows are: a second matmul of them (q, k and v of one input)
        // finds them quantized already, unless something wrote them in between.
        const vk::BufferRange source{aw.range.buffer, aw.range.offset + uint64_t(aw.offset) * 4, mc * K * 4};
        ATELIER_ASSIGN(const auto ws, batch.workspace(mc * quantizedRowBytes(K), source, K));
        const uint32_t dsOffset = uint32_t(blocks * 32 / 8); // vec2s after the quants
        if (!ws.fresh) {
            const shader::QuantizeQ8Push push{uint32_t(blocks), aw.offset, 0, dsOffset};
            const Grid g = grid1d(blocks * 8, 64, info.maxWorkgroupCount[0]);
            ATELIER_TRY(batch.dispatch(*quantize, {vk::readOf(aw.range), vk::writeOf(ws.range)}, push, g.x, g.y));
        }
        vk::PipelineDesc desc{std::string("matvec_dot_") + dtypeName(b.dtype) + (subgroups ? "" : "_shared"), 3,
                              sizeof(shader::MatvecDotPush), {group, kRows, uint32_t(mc)}};
        ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));
        for (uint64_t n0 = 0; n0 < N; n0 += nStep) {
            const uint64_t nc = std::min(nStep, N - n0);
            const ElementWindow bw = rowWindow(b, n0, nc, align);
            const ElementWindow ow = out.window(m0 * N + n0, (mc - 1) * N + nc, align);
            const shader::MatvecDotPush push{uint32_t(mc), uint32_t(nc), uint32_t(K), 0,
                                             bw.offset,    ow.offset,    uint32_t(N), dsOffset};
            const Grid g = grid1d((nc + kRows - 1) / kRows, 1, info.maxWorkgroupCount[0]);
            ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(ws.range), vk::readOf(bw.range), vk::writeOf(ow.range)},
                                       push, g.x, g.y));
        }
    }
    return {};
}

} // namespace atelier::ops

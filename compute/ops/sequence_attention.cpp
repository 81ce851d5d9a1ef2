#include "ops/sequence_attention.h"

#include "ops/softmax.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace atelier::ops {

namespace {

// `workgroup` invocations; BR query rows per workgroup, BC kv rows per tile; each invocation computes SR x SC scores and
// pvCols vec4 columns of the output in pvGroups row groups (0: as many as the invocations allow).
struct Tiling {
    uint32_t workgroup = 64;
    uint32_t br = 0, bc = 0, sr = 1, sc = 1;
    uint32_t pvCols = 1, pvGroups = 0;
};

// attention.comp's shared memory: queries, keys (f16 or f32), scores, and three floats per row.
uint64_t sharedBytes(uint64_t br, uint64_t bc, uint64_t headDim, uint64_t keyBytes)
{
    const uint64_t row4 = headDim / 4 + 1;
    return br * row4 * 16 + bc * row4 * 4 * keyBytes + br * (bc / 4 + 1) * 16 + 3 * br * 4;
}

Result<Tiling> chooseTiling(const vk::DeviceInfo& info, uint32_t headDim, uint64_t keyBytes)
{
    Tiling t;
    const bool cpu = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    // CPU devices (lavapipe) run a workgroup's SIMD vectors as coroutines that store every live
    // register at each barrier: fewer invocations and longer kv tiles (fewer barriers per key) pay.
    // The kernel needs BR <= workgroup and headDim <= 4 * workgroup.
    if (cpu && headDim <= 128)
        t.workgroup = 32;
    const uint32_t gpuCandidates[][2] = {{64, 32}, {32, 32}, {16, 32}, {16, 16}, {8, 16}, {8, 8}};
    const uint32_t cpuCandidates[][2] = {{32, 64}, {32, 32}, {16, 32}, {16, 16}, {8, 16}, {8, 8}};
    for (const auto& c : cpu ? cpuCandidates : gpuCandidates) {
        if (c[0] <= t.workgroup && sharedBytes(c[0], c[1], headDim, keyBytes) <= info.maxSharedMemory) {
            t.br = c[0];
            t.bc = c[1];
            break;
        }
    }
    if (t.bc == 0)
        return makeError(ErrorCode::Unsupported, "attention: not enough shared memory for head dim " +
                                                     std::to_string(headDim));
    // CPU devices: 8 x 8 scores per invocation even if that leaves invocations idle in that phase
    // (lavapipe skips SIMD vectors without active lanes): each shared-memory load there is a loop
    // over the lanes, and a larger tile needs fewer per dot product.
    const uint32_t perInvocation = cpu ? 64 : 1;
    while (t.sr * t.sc * t.workgroup < t.br * t.bc || (t.sr * t.sc < perInvocation && t.sr < t.br && t.sc < t.bc)) {
        if (t.sc <= t.sr && t.sc < t.bc)
            t.sc *= 2;
        else
            t.sr *= 2;
    }
    // The same on the output: 4 row groups of up to 5 vec4 columns each (lavapipe, heads of 40: the
    // probabilities-times-values phase 1.4x faster than with one column per invocation).
    if (cpu) {
        const uint32_t d4 = headDim / 4;
        t.pvCols = 1;
        for (uint32_t c = 2; c <= 5; ++c) {
            if (d4 % c == 0)
                t.pvCols = c;
        }
        t.pvGroups = std::min<uint32_t>(4, std::max<uint32_t>(1, t.workgroup / (d4 / t.pvCols)));
    }
    return t;
}

Status checkShapes(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, bool causal)
{
    const std::string what = "attention of q " + q.shapeText() + " over k " + k.shapeText() + " and v " +
                             v.shapeText() + " into " + out.shapeText();
    if ((q.dtype != DType::F32 && q.dtype != DType::F16) || k.dtype != q.dtype || v.dtype != q.dtype ||
        out.dtype != q.dtype)
        return makeError(ErrorCode::InvalidArgument, what + ": expected q, k, v and out all f32 or all f16");
    if (q.shape.size() != 4 || k.shape.size() != 4 || k.shape != v.shape || out.shape != q.shape ||
        k.dim(0) != q.dim(0) || k.dim(2) != q.dim(2) || k.dim(3) != q.dim(3))
        return makeError(ErrorCode::InvalidArgument,
                         what + ": expected q, out [batch, nq, heads, headDim] and k, v [batch, nk, heads, headDim]");
    if (q.dim(3) % 4 != 0 || q.dim(3) > 256)
        return makeError(ErrorCode::Unsupported, what + ": head dim must be a multiple of 4 up to 256");
    if (causal && q.dim(1) != k.dim(1))
        return makeError(ErrorCode::InvalidArgument, what + ": a causal mask needs as many queries as keys");
    return {};
}

// One image's keys and values whole, and a run of its queries with the outputs they write.
struct QueryWindow {
    uint64_t firstQuery = 0, queries = 0;
    ElementWindow q, k, v, out;
};

// Every image's runs of at most `step` queries, in order, stopping at the first error.
Status forEachQueryWindow(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out, uint64_t step,
                          uint64_t align, const std::function<Status(const QueryWindow&)>& visit)
{
    const uint64_t images = uint64_t(q.dim(0)), nq = uint64_t(q.dim(1)), nk = uint64_t(k.dim(1));
    const uint64_t rowElements = uint64_t(q.dim(2)) * uint64_t(q.dim(3));
    for (uint64_t b = 0; b < images; ++b) {
        QueryWindow w;
        w.k = k.window(b * nk * rowElements, nk * rowElements, align);
        w.v = v.window(b * nk * rowElements, nk * rowElements, align);
        for (uint64_t t0 = 0; t0 < nq; t0 += step) {
            w.firstQuery = t0;
            w.queries = std::min(step, nq - t0);
            w.q = q.window((b * nq + t0) * rowElements, w.queries * rowElements, align);
            w.out = out.window((b * nq + t0) * rowElements, w.queries * rowElements, align);
            if ((w.q.offset | w.out.offset | w.k.offset | w.v.offset) % 4 != 0)
                return makeError(ErrorCode::Unsupported, "attention: tensors are not aligned to 4 elements");
            ATELIER_TRY(visit(w));
        }
    }
    return {};
}

// CPU devices with a workspace: attention_tokens_rows.comp's scores, the row softmax, and its values
// pass, for as many queries of an image at a time as the workspace holds. Returns false where it
// does not apply.
Result<bool> attentionRows(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                           const SequenceAttentionOptions& options, float scale)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t nq = uint64_t(q.dim(1)), nk = uint64_t(k.dim(1));
    const uint64_t heads = uint64_t(q.dim(2)), headDim = uint64_t(q.dim(3));
    const uint64_t nkPad = (nk + 3) / 4 * 4, rowElements = heads * headDim;
    if (!options.workspace || options.fused || info.type != VK_PHYSICAL_DEVICE_TYPE_CPU || q.dtype != DType::F32 ||
        options.workspace->dtype != DType::F32 || headDim % 8 != 0)
        return false;
    const uint64_t chunk = std::min(nq, uint64_t(options.workspace->numel()) / (heads * nkPad));
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                                   : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    if (chunk == 0 || nk * rowElements * 4 > room || align % 16 != 0)
        return false;
    const uint64_t step = std::min({chunk, room / (rowElements * 4), room / (heads * nkPad * 4)});

    constexpr uint32_t kGroup = 64, kQueries = 4, kKeys = 8, kColumns = 2;
    vk::PipelineDesc scoresDesc{"attention_tokens_rows_scores", 3, sizeof(shader::TokenAttentionRowsPush),
                                {kGroup, uint32_t(headDim), kQueries, kKeys}};
    scoresDesc.texelBindings = 0b011;
    vk::PipelineDesc valuesDesc{"attention_tokens_rows_values", 3, sizeof(shader::TokenAttentionRowsPush),
                                {kGroup, uint32_t(headDim), kQueries, kColumns}};
    valuesDesc.texelBindings = 0b011;
    ATELIER_ASSIGN(const vk::Pipeline* scorePass, device.pipelines().get(scoresDesc));
    ATELIER_ASSIGN(const vk::Pipeline* valuePass, device.pipelines().get(valuesDesc));
    if ((step + kQueries - 1) / kQueries * heads > info.maxWorkgroupCount[1])
        return false;
    ATELIER_TRY(forEachQueryWindow(q, k, v, out, step, align, [&](const QueryWindow& w) -> Status {
        const uint64_t tc = w.queries, queryGroups = (tc + kQueries - 1) / kQueries;
        ATELIER_ASSIGN(Tensor scores, options.workspace->view({int64_t(tc * heads), int64_t(nkPad)}));
        const shader::TokenAttentionRowsPush push{uint32_t(tc),          uint32_t(heads),
                                                  uint32_t(nk),          uint32_t(nkPad),
                                                  uint32_t(rowElements), uint32_t(w.firstQuery),
                                                  options.causal ? 1u : 0u, w.q.offset,
                                                  w.k.offset,            w.v.offset,
                                                  w.out.offset};
        const vk::BufferRange scoreRange = scores.buffer.range(0, tc * heads * nkPad * 4);
        ATELIER_TRY(batch.dispatch(*scorePass, {vk::readOf(w.q.range), vk::readOf(w.k.range), vk::writeOf(scoreRange)},
                                   push, uint32_t((nkPad + kGroup * kKeys - 1) / (kGroup * kKeys)),
                                   uint32_t(queryGroups * heads)));
        SoftmaxOptions softmaxOptions;
        softmaxOptions.scale = scale;
        ATELIER_TRY(softmax(batch, scores, scores, softmaxOptions));
        const uint64_t columns = heads * (headDim / 4 / kColumns);
        return batch.dispatch(*valuePass, {vk::readOf(scoreRange), vk::readOf(w.v.range), vk::writeOf(w.out.range)},
                              push, uint32_t((columns + kGroup - 1) / kGroup), uint32_t(queryGroups));
    }));
    return true;
}

} // namespace

int64_t sequenceAttentionWorkspaceElements(int64_t nq, int64_t nk, int64_t heads)
{
    return nq * heads * ((nk + 3) / 4 * 4);
}

Status sequenceAttention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                         const SequenceAttentionOptions& options)
{
    ATELIER_TRY(checkShapes(q, k, v, out, options.causal));
    const uint64_t images = uint64_t(q.dim(0)), nq = uint64_t(q.dim(1)), nk = uint64_t(k.dim(1));
    const uint64_t heads = uint64_t(q.dim(2)), headDim = uint64_t(q.dim(3));
    const float scale = options.scale != 0.0f ? options.scale : float(1.0 / std::sqrt(double(headDim)));
    if (!std::isfinite(scale))
        return makeError(ErrorCode::InvalidArgument, "attention: invalid scale");
    batch.countFlops(4.0 * double(images * heads) * double(nq) * double(nk) * double(headDim));

    ATELIER_ASSIGN(const bool rowsDone, attentionRows(batch, q, k, v, out, options, scale));
    if (rowsDone)
        return {};

    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t es = dtypeSize(q.dtype);
    ATELIER_ASSIGN(const Tiling tiling, chooseTiling(info, uint32_t(headDim), es));

    // Bindings: one image's k and v whole, its queries in runs of tokens.
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                                   : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t rowElements = heads * headDim;
    if (nk * rowElements * es > room || rowElements * es > room)
        return makeError(ErrorCode::Unsupported, "attention: the keys of one image exceed a binding");
    const uint64_t tokenStep = std::min(room / (rowElements * es), uint64_t(info.maxWorkgroupCount[0]) * tiling.br);

    const std::string name = q.dtype == DType::F16 ? "attention_tokens_f16" : "attention_tokens_f32";
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 4, sizeof(shader::AttentionPush),
                                           {tiling.workgroup, uint32_t(headDim), tiling.br, tiling.bc, tiling.sr, tiling.sc,
                                            uint32_t(rowElements), tiling.pvCols, tiling.pvGroups}}));
    return forEachQueryWindow(q, k, v, out, tokenStep, align, [&](const QueryWindow& w) {
        const shader::AttentionPush push{uint32_t(w.queries),
                                         uint32_t(heads),
                                         1, // query heads per kv head
                                         0,
                                         uint32_t(headDim), // between heads of a token-major row
                                         uint32_t(nk),
                                         uint32_t(w.firstQuery),
                                         0,
                                         options.causal ? 1u : 0u,
                                         1,
                                         w.q.offset,
                                         w.k.offset,
                                         w.v.offset,
                                         w.out.offset,
                                         scale,
                                         0.0f};
        return batch.dispatch(*pipeline,
                              {vk::readOf(w.q.range), vk::readOf(w.k.range), vk::readOf(w.v.range),
                               vk::writeOf(w.out.range)},
                              push, uint32_t((w.queries + tiling.br - 1) / tiling.br), uint32_t(heads));
    });
}

} // namespace atelier::ops

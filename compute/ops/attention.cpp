#include "ops/attention.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 64;
constexpr uint32_t kCombineWorkgroup = 64;

// BR query rows per workgroup, BC kv rows per tile; each invocation computes SR x SC scores.
struct Tiling {
    uint32_t br = 0, bc = 0, sr = 1, sc = 1;
};

uint64_t sharedBytes(uint64_t br, uint64_t bc, uint64_t headDim)
{
    const uint64_t row4 = headDim / 4 + 1;
    return br * row4 * 16 + bc * row4 * 8 + br * (bc / 4 + 1) * 16 + 3 * br * 4;
}

Result<Tiling> chooseTiling(const vk::DeviceInfo& info, uint32_t headDim, uint64_t rowsPerHead)
{
    Tiling t;
    const auto fits = [&](uint32_t br, uint32_t bc) { return sharedBytes(br, bc, headDim) <= info.maxSharedMemory; };
    if (rowsPerHead <= uint64_t(kAttentionSplitMaxRows)) {
        t.br = 1;
        while (t.br < rowsPerHead)
            t.br *= 2;
        for (uint32_t bc : {64u, 32u, 16u, 8u}) {
            if (fits(t.br, bc)) {
                t.bc = bc;
                break;
            }
        }
    } else {
        // 32 x 32 suits head dims up to 128 in 32 KiB; 256 needs 16 x 16 there and 16 x 32 in 48 KiB.
        const uint32_t candidates[][2] = {{32, 32}, {16, 32}, {16, 16}, {8, 16}, {8, 8}};
        for (const auto& c : candidates) {
            if (fits(c[0], c[1])) {
                t.br = c[0];
                t.bc = c[1];
                break;
            }
        }
    }
    if (t.bc == 0)
        return makeError(ErrorCode::Unsupported, "attention: not enough shared memory for head dim " +
                                                     std::to_string(headDim));
    // Register tiles of scores: each q and k load from shared memory serves several dot products.
    while (t.sr * t.sc * kWorkgroup < t.br * t.bc) {
        if (t.sc <= t.sr && t.sc < t.bc)
            t.sc *= 2;
        else
            t.sr *= 2;
    }
    return t;
}

} // namespace

Status checkAttentionShapes(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& out)
{
    const std::string what = "attention of q " + q.shapeText() + " over k " + k.shapeText() + " and v " +
                             v.shapeText() + " into " + out.shapeText();
    if (q.dtype != DType::F32 || out.dtype != DType::F32 || k.dtype != DType::F16 || v.dtype != DType::F16)
        return makeError(ErrorCode::InvalidArgument, what + ": expected f32 q and out, f16 k and v");
    if (q.shape.size() != 3 || k.shape.size() != 3 || k.shape != v.shape || out.shape != q.shape)
        return makeError(ErrorCode::InvalidArgument,
                         what + ": expected q, out [tokens, heads, headDim] and k, v [kvHeads, capacity, headDim]");
    if (k.dim(2) != q.dim(2) || q.dim(1) % k.dim(0) != 0)
        return makeError(ErrorCode::InvalidArgument, what + ": head dims differ or heads are not a multiple of kvHeads");
    if (q.dim(2) % 4 != 0 || q.dim(2) > 256)
        return makeError(ErrorCode::Unsupported, what + ": head dim must be a multiple of 4 up to 256");
    if (k.dim(0) * k.dim(1) * k.dim(2) > int64_t(UINT32_MAX))
        return makeError(ErrorCode::Unsupported, what + ": the cache has more than 2^32 elements");
    return {};
}

namespace {

// CPU devices: attention_rows.comp's two passes through the workspace, for decoding and for prompts
// whose [rows, kv span] scores fit it, when every kv head fits one binding and no kv split was asked
// for. Returns false where it does not apply.
Result<bool> attentionRows(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                           const AttentionOptions& options, uint64_t kvLength, float scale)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t tokens = uint64_t(q.dim(0)), heads = uint64_t(q.dim(1)), headDim = uint64_t(q.dim(2));
    const uint64_t kvHeads = uint64_t(k.dim(0)), capacity = uint64_t(k.dim(1));
    const uint64_t rows = tokens * heads;
    // Scored kv rows: from the first token's window start to the last token's position.
    const uint64_t first = options.startPosition;
    const uint64_t lo = options.window != 0 && first + 1 > options.window ? first + 1 - options.window : 0;
    const uint64_t hi = std::min<uint64_t>(kvLength, options.startPosition + tokens);
    const uint64_t span = hi - lo;
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                                   : info.maxStorageBufferRange;
    const uint64_t kvElements = (kvHeads - 1) * capacity * headDim + kvLength * headDim;
    if (info.type != VK_PHYSICAL_DEVICE_TYPE_CPU || !options.causal || !options.workspace || options.splits != 0 ||
        headDim % 8 != 0 ||
        span == 0 ||
        uint64_t(options.workspace->numel()) < rows * span || kvElements * 2 + align > limit ||
        rows * headDim * 4 + align > limit)
        return false;
    const ElementWindow qw = q.window(0, rows * headDim, align);
    const ElementWindow ow = out.window(0, rows * headDim, align);
    const ElementWindow kw = k.window(0, kvElements, align);
    const ElementWindow vw = v.window(0, kvElements, align);
    if (qw.offset % 4 != 0 || ow.offset % 4 != 0 || kw.offset % 8 != 0 || kw.offset != vw.offset)
        return false;
    const vk::BufferRange scores = options.workspace->buffer.range(0, rows * span * 4);
    const shader::AttentionRowsPush push{uint32_t(heads), uint32_t(heads / kvHeads), uint32_t(capacity * headDim),
                                         uint32_t(lo),    uint32_t(span),            options.startPosition,
                                         options.window,  qw.offset,                 kw.offset,
                                         ow.offset,       scale,                     options.softCap};
    constexpr uint32_t kScoreGroup = 64, kValueGroup = 32; // 32 invocations of 8 columns: head dims to 256
    // kv rows per invocation of the scores pass: 4 share each fetch of q (pp128 61 -> 44 ms on
    // lavapipe), but one token's few rows need every invocation (4 made its pass 2x slower).
    const uint32_t kScoreRows = tokens > 1 ? 4 : 1;
    vk::PipelineDesc scoresDesc{"attention_rows_scores", 3, sizeof(push), {kScoreGroup, uint32_t(headDim), kScoreRows}};
    scoresDesc.texelBindings = 0b011;
    vk::PipelineDesc valuesDesc{"attention_rows_values", 3, sizeof(push), {kValueGroup, uint32_t(headDim)}};
    valuesDesc.texelBindings = 0b011;
    valuesDesc.wordTexels = 0b001; // scores one float a texel: no component picked at run time
    ATELIER_ASSIGN(const vk::Pipeline* scorePass, device.pipelines().get(scoresDesc));
    ATELIER_ASSIGN(const vk::Pipeline* valuePass, device.pipelines().get(valuesDesc));
    ATELIER_TRY(batch.dispatch(*scorePass, {vk::readOf(qw.range), vk::readOf(kw.range), vk::writeOf(scores)}, push,
                               uint32_t((span + kScoreGroup * kScoreRows - 1) / (kScoreGroup * kScoreRows)),
                               uint32_t(rows)));
    ATELIER_TRY(batch.dispatch(*valuePass, {vk::readOf(scores), vk::readOf(vw.range), vk::writeOf(ow.range)}, push, 1,
                               uint32_t(rows)));
    return true;
}

} // namespace

int64_t attentionWorkspaceElements(int64_t tokens, int64_t heads, int64_t headDim)
{
    return int64_t(kAttentionMaxSplits) * tokens * heads * (headDim + 4);
}

Status attention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v, Tensor& out,
                 const AttentionOptions& options)
{
    ATELIER_TRY(checkAttentionShapes(q, k, v, out));
    const uint64_t tokens = uint64_t(q.dim(0)), heads = uint64_t(q.dim(1)), headDim = uint64_t(q.dim(2));
    const uint64_t kvHeads = uint64_t(k.dim(0)), capacity = uint64_t(k.dim(1));
    const uint64_t group = heads / kvHeads;
    const uint64_t kvLength = options.kvLength ? options.kvLength : options.startPosition + tokens;
    const float scale = options.scale != 0.0f ? options.scale : float(1.0 / std::sqrt(double(headDim)));
    if (kvLength > capacity || (options.causal && options.startPosition + tokens > kvLength))
        return makeError(ErrorCode::InvalidArgument,
                         "attention: queries at positions " + std::to_string(options.startPosition) + ".." +
                             std::to_string(options.startPosition + tokens - 1) + " need kv rows that do not exist (" +
                             std::to_string(kvLength) + " of capacity " + std::to_string(capacity) + ")");
    if (!std::isfinite(scale) || !(options.softCap >= 0.0f) || !std::isfinite(options.softCap))
        return makeError(ErrorCode::InvalidArgument, "attention: invalid scale or soft cap");

    ATELIER_ASSIGN(const bool rowsDone, attentionRows(batch, q, k, v, out, options, kvLength, scale));
    if (rowsDone)
        return {};

    vk::Device& device = batch.device();
    const auto& info = device.info();
    ATELIER_ASSIGN(const Tiling tiling, chooseTiling(info, uint32_t(headDim), tokens * group));

    // Bindings: whole tokens of q and out, whole kv heads' prefixes of k and v.
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                                   : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t tokenBytes = heads * headDim * 4;
    const uint64_t prefixBytes = kvLength * headDim * 2;
    const uint64_t headBytes = capacity * headDim * 2;
    if (tokenBytes > room || prefixBytes > room)
        return makeError(ErrorCode::Unsupported, "attention: " + std::to_string(kvLength) +
                                                     " kv rows of one head or one token's queries exceed a binding");
    const uint64_t tokenStep = std::min(room / tokenBytes, uint64_t(info.maxWorkgroupCount[0]) * tiling.br / group);
    const uint64_t headStep = std::min(kvHeads, 1 + (room - prefixBytes) / headBytes);

    // Split the kv range when few queries leave most of the device idle.
    uint32_t splits = 1;
    const uint64_t workspaceRow = heads * (headDim + 4) * 4;
    if (options.workspace && tokens * group <= uint64_t(kAttentionSplitMaxRows) &&
        options.workspace->dtype == DType::F32 &&
        options.workspace->numel() >= attentionWorkspaceElements(int64_t(tokens), int64_t(heads), int64_t(headDim))) {
        const uint64_t span = options.causal && options.window ? std::min<uint64_t>(kvLength, options.window + tokens)
                                                               : kvLength;
        const uint64_t tiles = (span + tiling.bc - 1) / tiling.bc;
        const uint64_t wanted = options.splits ? options.splits
                                               : std::min((tiles + 1) / 2, (256 + kvHeads - 1) / kvHeads);
        splits = uint32_t(std::clamp<uint64_t>(std::min(wanted, room / (tokens * workspaceRow)), 1, kAttentionMaxSplits));
    }
    if (splits > 1 && tokens > tokenStep)
        splits = 1;

    const vk::PipelineDesc desc{splits > 1 ? "attention_split" : "attention", 4, sizeof(shader::AttentionPush),
                                {kWorkgroup, uint32_t(headDim), tiling.br, tiling.bc, tiling.sr, tiling.sc}};
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));
    const vk::BufferRange workspace =
        splits > 1 ? options.workspace->buffer.range(0, splits * tokens * workspaceRow) : vk::BufferRange{};

    for (uint64_t t0 = 0; t0 < tokens; t0 += tokenStep) {
        const uint64_t tc = std::min(tokenStep, tokens - t0);
        const ElementWindow qw = q.window(t0 * heads * headDim, tc * heads * headDim, align);
        const ElementWindow ow = out.window(t0 * heads * headDim, tc * heads * headDim, align);
        for (uint64_t h0 = 0; h0 < kvHeads; h0 += headStep) {
            const uint64_t hc = std::min(headStep, kvHeads - h0);
            const uint64_t span = (hc - 1) * capacity * headDim + kvLength * headDim;
            const ElementWindow kw = k.window(h0 * capacity * headDim, span, align);
            const ElementWindow vw = v.window(h0 * capacity * headDim, span, align);
            if ((qw.offset | ow.offset | kw.offset | vw.offset) % 4 != 0)
                return makeError(ErrorCode::Unsupported, "attention: tensors are not 16-byte aligned");
            const shader::AttentionPush push{uint32_t(tc),
                                             uint32_t(heads),
                                             uint32_t(group),
                                             uint32_t(h0),
                                             uint32_t(capacity * headDim),
                                             uint32_t(kvLength),
                                             uint32_t(options.startPosition + t0),
                                             options.window,
                                             options.causal ? 1u : 0u,
                                             splits,
                                             qw.offset,
                                             kw.offset,
                                             vw.offset,
                                             splits > 1 ? 0u : ow.offset,
                                             scale,
                                             options.softCap};
            const vk::BufferRange& target = splits > 1 ? workspace : ow.range;
            const uint64_t blocks = (tc * group + tiling.br - 1) / tiling.br;
            ATELIER_TRY(batch.dispatch(*pipeline,
                                       {vk::readOf(qw.range), vk::readOf(kw.range), vk::readOf(vw.range),
                                        vk::writeOf(target)},
                                       push, uint32_t(blocks), uint32_t(hc), splits));
        }
        if (splits > 1) {
            ATELIER_ASSIGN(const vk::Pipeline* combine,
                           device.pipelines().get({"attention_combine", 2, sizeof(shader::AttentionCombinePush),
                                                   {kCombineWorkgroup, uint32_t(headDim)}}));
            const shader::AttentionCombinePush push{uint32_t(tc * heads), splits, ow.offset};
            const Grid g = grid1d(tc * heads, 1, info.maxWorkgroupCount[0]);
            ATELIER_TRY(batch.dispatch(*combine, {vk::readOf(workspace), vk::writeOf(ow.range)}, push, g.x, g.y));
        }
    }
    return {};
}

Status storeKv(vk::CommandBatch& batch, const Tensor& x, Tensor& cache, uint32_t startPosition,
               uint64_t maxBindingBytes)
{
    const std::string what = "storeKv of " + x.shapeText() + " into " + cache.shapeText();
    if (x.dtype != DType::F32 || cache.dtype != DType::F16 || x.shape.size() != 3 || cache.shape.size() != 3 ||
        x.dim(1) != cache.dim(0) || x.dim(2) != cache.dim(2))
        return makeError(ErrorCode::InvalidArgument,
                         what + ": expected x f32 [tokens, kvHeads, headDim] and cache f16 [kvHeads, capacity, headDim]");
    const uint64_t tokens = uint64_t(x.dim(0)), heads = uint64_t(x.dim(1)), headDim = uint64_t(x.dim(2));
    const uint64_t capacity = uint64_t(cache.dim(1));
    if (startPosition + tokens > capacity)
        return makeError(ErrorCode::InvalidArgument, what + ": rows " + std::to_string(startPosition) + ".." +
                                                         std::to_string(startPosition + tokens - 1) + " do not fit");
    if (cache.numel() > int64_t(UINT32_MAX))
        return makeError(ErrorCode::Unsupported, what + ": the cache has more than 2^32 elements");

    vk::Device& device = batch.device();
    const auto& info = device.info();
    constexpr uint32_t kStoreWorkgroup = 256;
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({"kv_store", 2, sizeof(shader::KvStorePush), {kStoreWorkgroup}}));
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = maxBindingBytes ? std::min(maxBindingBytes, info.maxStorageBufferRange)
                                           : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t tokenStep = std::min(room / (heads * headDim * 4), room / (headDim * 2));
    if (tokenStep == 0)
        return makeError(ErrorCode::Unsupported, what + ": one token's rows exceed a binding");

    for (uint64_t t0 = 0; t0 < tokens; t0 += tokenStep) {
        const uint64_t tc = std::min(tokenStep, tokens - t0);
        const ElementWindow xw = x.window(t0 * heads * headDim, tc * heads * headDim, align);
        const uint64_t headStep = std::min(heads, 1 + (room - tc * headDim * 2) / (capacity * headDim * 2));
        for (uint64_t h0 = 0; h0 < heads; h0 += headStep) {
            const uint64_t hc = std::min(headStep, heads - h0);
            const ElementWindow cw = cache.window((h0 * capacity + startPosition + t0) * headDim,
                                                  ((hc - 1) * capacity + tc) * headDim, align);
            const shader::KvStorePush push{uint32_t(tc * hc * headDim), uint32_t(hc), uint32_t(headDim),
                                           uint32_t(capacity * headDim), xw.offset, cw.offset,
                                           uint32_t(h0), uint32_t(heads)};
            const Grid g = grid1d(tc * hc * headDim, kStoreWorkgroup, info.maxWorkgroupCount[0]);
            ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::writeOf(cw.range)}, push, g.x, g.y));
        }
    }
    return {};
}

} // namespace atelier::ops

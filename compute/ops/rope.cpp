#include "ops/rope.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>

namespace atelier::ops {

Status rope(vk::CommandBatch& batch, const Tensor& x, Tensor& out, const RopeOptions& options)
{
    const std::string what = "rope of " + x.shapeText() + " into " + out.shapeText();
    if (x.dtype != DType::F32 || out.dtype != DType::F32)
        return makeError(ErrorCode::InvalidArgument, what + ": expected f32 tensors");
    if (x.shape.size() != 3 || out.shape != x.shape)
        return makeError(ErrorCode::InvalidArgument, what + ": expected x and out [tokens, heads, headDim]");
    const uint64_t headDim = uint64_t(x.dim(2));
    const uint64_t nRot = options.nRot ? options.nRot : headDim;
    if (headDim % 2 != 0 || nRot % 2 != 0 || nRot > headDim)
        return makeError(ErrorCode::InvalidArgument, what + ": headDim and nRot = " + std::to_string(nRot) +
                                                         " must be even with nRot <= headDim");
    if (!(options.freqBase > 1.0f) || !std::isfinite(options.freqBase) || !std::isfinite(options.freqScale))
        return makeError(ErrorCode::InvalidArgument, what + ": invalid frequency base or scale");
    const Tensor* factors = options.freqFactors;
    if (factors && (factors->dtype != DType::F32 || factors->numel() != int64_t(nRot / 2)))
        return makeError(ErrorCode::InvalidArgument, what + ": freqFactors must be f32 [" + std::to_string(nRot / 2) +
                                                         "], got " + factors->shapeText());
    const Tensor* norm = options.normWeight;
    if (norm && (norm->dtype != DType::F32 || norm->numel() != int64_t(headDim)))
        return makeError(ErrorCode::InvalidArgument, what + ": the norm weight must be f32 [" + std::to_string(headDim) +
                                                         "], got " + norm->shapeText());
    if (norm && !(options.normEps >= 0.0f))
        return makeError(ErrorCode::InvalidArgument, what + ": the norm's eps must be >= 0");
    const uint64_t tokens = uint64_t(x.dim(0));
    if (uint64_t(options.startPosition) + tokens > (1u << 24))
        return makeError(ErrorCode::InvalidArgument, what + ": positions past 2^24 are not exact in f32");

    vk::Device& device = batch.device();
    std::string shader = options.layout == RopeLayout::Neox ? "rope_neox" : "rope";
    if (norm)
        shader += device.info().subgroupArithmetic() && !options.sharedReduction ? "_norm" : "_norm_shared";
    constexpr uint32_t kWorkgroup = 64;
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({shader, norm ? 4u : 3u, sizeof(shader::RopePush), {kWorkgroup}}));

    // Whole tokens per dispatch, so that every row's position is startPosition + its token.
    const uint64_t heads = uint64_t(x.dim(1));
    const uint64_t align = device.allocator().alignment();
    const uint64_t room = device.info().maxStorageBufferRange - align;
    const uint64_t tokensPerDispatch = std::min<uint64_t>(room / (heads * headDim * 4), UINT32_MAX / (heads * headDim));
    if (tokensPerDispatch == 0)
        return makeError(ErrorCode::Unsupported, what + ": one token is too large to bind");
    // log2(freqBase^(-2 / nRot)) in double, so pair i's frequency is 2^(i * this) with one rounding.
    const float log2ThetaScale = float(-2.0 / double(nRot) * std::log2(double(options.freqBase)));

    for (uint64_t t0 = 0; t0 < tokens; t0 += tokensPerDispatch) {
        const uint64_t tc = std::min(tokensPerDispatch, tokens - t0);
        const uint64_t count = tc * heads * headDim;
        const ElementWindow xw = x.window(t0 * heads * headDim, count, align);
        const ElementWindow ow = out.window(t0 * heads * headDim, count, align);
        const shader::RopePush push{uint32_t(count / 2),
                                    uint32_t(headDim),
                                    uint32_t(nRot),
                                    uint32_t(heads),
                                    uint32_t(options.startPosition + t0),
                                    xw.offset,
                                    ow.offset,
                                    factors ? 1u : 0u,
                                    log2ThetaScale,
                                    options.freqScale,
                                    options.normEps};
        const vk::BufferRange factorRange = factors ? factors->buffer.range(0, factors->bytes()) : xw.range;
        if (norm) { // one workgroup per row
            const Grid g = grid1d(tc * heads, 1, device.info().maxWorkgroupCount[0]);
            ATELIER_TRY(batch.dispatch(*pipeline,
                                       {vk::readOf(xw.range), vk::writeOf(ow.range), vk::readOf(factorRange),
                                        vk::readOf(norm->buffer.range(0, norm->bytes()))},
                                       push, g.x, g.y));
            continue;
        }
        const Grid g = grid1d(count / 2, kWorkgroup, device.info().maxWorkgroupCount[0]);
        ATELIER_TRY(batch.dispatch(*pipeline, {vk::readOf(xw.range), vk::writeOf(ow.range), vk::readOf(factorRange)},
                                   push, g.x, g.y));
    }
    return {};
}

} // namespace atelier::ops

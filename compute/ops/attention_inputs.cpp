#include "ops/attention_inputs.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>

namespace atelier::ops {

Status checkAttentionInputs(const std::string& what, const Tensor& q, const Tensor& k, const Tensor& v,
                      const Tensor& kCache, const Tensor& vCache, const AttentionInputsOptions& options)
{
    const auto fail = [&](const std::string& why) { return makeError(ErrorCode::InvalidArgument, what + ": " + why); };
    if (q.dtype != DType::F32 || k.dtype != DType::F32 || v.dtype != DType::F32 || q.shape.size() != 3 ||
        k.shape.size() != 3 || v.shape != k.shape || k.dim(0) != q.dim(0) || k.dim(2) != q.dim(2))
        return fail("expected q f32 [tokens, heads, headDim] and k, v f32 [tokens, kvHeads, headDim]");
    if (kCache.dtype != DType::F16 || kCache.shape.size() != 3 || vCache.shape != kCache.shape ||
        vCache.dtype != DType::F16 || kCache.dim(0) != k.dim(1) || kCache.dim(2) != k.dim(2))
        return fail("expected caches f16 [kvHeads, capacity, headDim]");
    const RopeOptions& rope = options.rope;
    const uint64_t headDim = uint64_t(q.dim(2));
    const uint64_t nRot = rope.nRot ? rope.nRot : headDim;
    if (headDim % 2 != 0 || nRot % 2 != 0 || nRot > headDim)
        return fail("headDim and nRot = " + std::to_string(nRot) + " must be even with nRot <= headDim");
    if (!(rope.freqBase > 1.0f) || !std::isfinite(rope.freqBase) || !std::isfinite(rope.freqScale))
        return fail("invalid frequency base or scale");
    if (rope.normWeight)
        return fail("give the norm weights as queryNorm and keyNorm");
    const Tensor* factors = rope.freqFactors;
    if (factors && (factors->dtype != DType::F32 || factors->numel() != int64_t(nRot / 2)))
        return fail("freqFactors must be f32 [" + std::to_string(nRot / 2) + "], got " + factors->shapeText());
    for (const Tensor* norm : {options.queryNorm, options.keyNorm}) {
        if (norm && (norm->dtype != DType::F32 || norm->numel() != int64_t(headDim)))
            return fail("a norm weight must be f32 [" + std::to_string(headDim) + "], got " + norm->shapeText());
    }
    if ((options.queryNorm || options.keyNorm) && !(rope.normEps >= 0.0f))
        return fail("the norm's eps must be >= 0");
    const uint64_t tokens = uint64_t(q.dim(0)), capacity = uint64_t(kCache.dim(1));
    if (uint64_t(rope.startPosition) + tokens > capacity)
        return fail("rows " + std::to_string(rope.startPosition) + ".." +
                    std::to_string(rope.startPosition + tokens - 1) + " do not fit the cache");
    if (uint64_t(rope.startPosition) + tokens > (1u << 24))
        return fail("positions past 2^24 are not exact in f32");
    if (kCache.numel() > int64_t(UINT32_MAX))
        return makeError(ErrorCode::Unsupported, what + ": the cache has more than 2^32 elements");
    return {};
}

Status ropeAndStoreKv(vk::CommandBatch& batch, Tensor& q, const Tensor& k, const Tensor& v, Tensor& kCache,
                      Tensor& vCache, const AttentionInputsOptions& options)
{
    const std::string what = "ropeAndStoreKv of " + q.shapeText() + ", " + k.shapeText() + " into " + kCache.shapeText();
    ATELIER_TRY(checkAttentionInputs(what, q, k, v, kCache, vCache, options));
    const RopeOptions& rope = options.rope;
    const uint64_t tokens = uint64_t(q.dim(0)), heads = uint64_t(q.dim(1)), headDim = uint64_t(q.dim(2));
    const uint64_t kvHeads = uint64_t(k.dim(1)), capacity = uint64_t(kCache.dim(1));
    const uint64_t nRot = rope.nRot ? rope.nRot : headDim;
    const bool normed = options.queryNorm || options.keyNorm;

    vk::Device& device = batch.device();
    const auto& info = device.info();
    std::string shader = rope.layout == RopeLayout::Neox ? "attention_inputs_neox" : "attention_inputs";
    uint32_t workgroup = 64;
    if (normed) {
        // CPU devices sum a row's squares in a workgroup of one subgroup, without a barrier: 1.4x
        // faster than the 64-wide workgroup's reduction for a 64-token Gemma 3 prompt on lavapipe.
        const bool subgroups = info.subgroupArithmetic() && !rope.sharedReduction;
        const bool oneSubgroup = subgroups && !options.wideReduction && info.type == VK_PHYSICAL_DEVICE_TYPE_CPU &&
                                 info.fixedSubgroupSize();
        shader += oneSubgroup ? "_norm_subgroup" : subgroups ? "_norm" : "_norm_shared";
        if (oneSubgroup)
            workgroup = info.subgroupSize;
    }
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get({shader, normed ? 8u : 6u,
                                                                         sizeof(shader::AttentionInputsPush),
                                                                         {workgroup}}));

    // Whole tokens per dispatch, as ops::storeKv: every binding within the limit, the caches' from
    // [first head, position of token 0] to [last head, position of the last token].
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = options.maxBindingBytes ? std::min(options.maxBindingBytes, info.maxStorageBufferRange)
                                                   : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t tokenStep = std::min({room / (heads * headDim * 4), room / (kvHeads * headDim * 4),
                                         room / (headDim * 2)});
    if (tokenStep == 0)
        return makeError(ErrorCode::Unsupported, what + ": one token's rows exceed a binding");
    // log2(freqBase^(-2 / nRot)) in double, as ops::rope computes it.
    const float log2ThetaScale = float(-2.0 / double(nRot) * std::log2(double(rope.freqBase)));
    const uint32_t normFlags = (options.queryNorm ? 1u : 0u) | (options.keyNorm ? 2u : 0u);

    for (uint64_t t0 = 0; t0 < tokens; t0 += tokenStep) {
        const uint64_t tc = std::min(tokenStep, tokens - t0);
        const ElementWindow qw = q.window(t0 * heads * headDim, tc * heads * headDim, align);
        const ElementWindow kw = k.window(t0 * kvHeads * headDim, tc * kvHeads * headDim, align);
        const ElementWindow vw = v.window(t0 * kvHeads * headDim, tc * kvHeads * headDim, align);
        const uint64_t headStep = std::min(kvHeads, 1 + (room - tc * headDim * 2) / (capacity * headDim * 2));
        for (uint64_t h0 = 0; h0 < kvHeads; h0 += headStep) {
            const uint64_t hc = std::min(headStep, kvHeads - h0);
            const uint64_t first = (h0 * capacity + rope.startPosition + t0) * headDim;
            const uint64_t count = ((hc - 1) * capacity + tc) * headDim;
            const ElementWindow kcw = kCache.window(first, count, align);
            const ElementWindow vcw = vCache.window(first, count, align);
            const bool withQueries = h0 == 0; // the first dispatch of these tokens ropes their queries
            const shader::AttentionInputsPush push{uint32_t(tc),
                                                   withQueries ? uint32_t(heads) : 0u,
                                                   uint32_t(hc),
                                                   uint32_t(kvHeads),
                                                   uint32_t(h0),
                                                   uint32_t(headDim),
                                                   uint32_t(nRot),
                                                   uint32_t(rope.startPosition + t0),
                                                   qw.offset,
                                                   kw.offset,
                                                   vw.offset,
                                                   kcw.offset,
                                                   vcw.offset,
                                                   uint32_t(capacity * headDim),
                                                   rope.freqFactors ? 1u : 0u,
                                                   normFlags,
                                                   log2ThetaScale,
                                                   rope.freqScale,
                                                   rope.normEps};
            // Binding 0 is writable in the shader, so validation counts it as written even by the
            // dispatches of later head groups, which leave the queries alone: they bind them as written
            // too. Other unused bindings get a range the dispatch reads anyway.
            const vk::Binding queries = vk::readWriteOf(qw.range);
            const auto weights = [&](const Tensor* t) { return t ? t->buffer.range(0, t->bytes()) : kw.range; };
            const vk::BufferRange factors = weights(rope.freqFactors);
            const Grid g = grid1d(tc * ((withQueries ? heads : 0) + 2 * hc), 1, info.maxWorkgroupCount[0]);
            if (normed) {
                ATELIER_TRY(batch.dispatch(*pipeline,
                                           {queries, vk::readOf(kw.range), vk::readOf(vw.range), vk::writeOf(kcw.range),
                                            vk::writeOf(vcw.range), vk::readOf(factors),
                                            vk::readOf(weights(options.queryNorm)), vk::readOf(weights(options.keyNorm))},
                                           push, g.x, g.y));
            } else {
                ATELIER_TRY(batch.dispatch(*pipeline,
                                           {queries, vk::readOf(kw.range), vk::readOf(vw.range), vk::writeOf(kcw.range),
                                            vk::writeOf(vcw.range), vk::readOf(factors)},
                                           push, g.x, g.y));
            }
        }
    }
    return {};
}

} // namespace atelier::ops

#include "ops/decode_attention.h"

#include "core/host_cpu.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>

namespace atelier::ops {

namespace {

// Cached rows a token may see before a host with more threads than query heads is better served by
// attention_rows.comp, which spreads the rows over every thread.
constexpr uint64_t kFewHeadsMaxSpan = 1024;

} // namespace

int64_t decodeAttentionWorkspaceElements(int64_t heads, int64_t span, uint32_t subgroupSize)
{
    return heads * span * int64_t(subgroupSize);
}

Result<bool> decodeAttention(vk::CommandBatch& batch, const Tensor& q, const Tensor& k, const Tensor& v,
                             Tensor& kCache, Tensor& vCache, Tensor& out, const AttentionInputsOptions& inputs,
                             const AttentionOptions& attend)
{
    const std::string what = "decodeAttention of " + q.shapeText() + " over " + kCache.shapeText();
    ATELIER_TRY(checkAttentionInputs(what, q, k, v, kCache, vCache, inputs));
    ATELIER_TRY(checkAttentionShapes(q, kCache, vCache, out));
    const RopeOptions& rope = inputs.rope;
    const uint64_t tokens = uint64_t(q.dim(0)), heads = uint64_t(q.dim(1)), headDim = uint64_t(q.dim(2));
    const uint64_t kvHeads = uint64_t(kCache.dim(0)), capacity = uint64_t(kCache.dim(1));
    const uint32_t position = rope.startPosition;

    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint32_t lanes = info.subgroupSize;
    if (info.type != VK_PHYSICAL_DEVICE_TYPE_CPU || !info.subgroupArithmetic() || !info.fixedSubgroupSize() ||
        tokens != 1 || !attend.causal ||
        attend.startPosition != position || (attend.kvLength != 0 && attend.kvLength != position + 1) ||
        attend.splits != 0 || !attend.workspace || attend.workspace->dtype != DType::F32 || inputs.wideReduction ||
        rope.sharedReduction || inputs.maxBindingBytes || attend.maxBindingBytes)
        return false;
    // Every dimension turns; each lane holds whole 8-value chunks, and NEOX's pairs (chunk c with
    // c + chunks / 2) are within a lane or, at one chunk a lane, in lanes shuffled across halves.
    const uint64_t chunks = headDim / 8, owned = chunks / lanes;
    const bool neox = rope.layout == RopeLayout::Neox;
    const bool shuffles = (info.subgroupOperations & VK_SUBGROUP_FEATURE_SHUFFLE_BIT) != 0;
    if ((rope.nRot != 0 && rope.nRot != headDim) || headDim % (8 * lanes) != 0 || !shuffles ||
        (neox && owned % 2 != 0 && owned != 1))
        return false;
    const uint64_t lo = attend.window != 0 && position + 1 > attend.window ? position + 1 - attend.window : 0;
    const uint64_t span = position - lo;
    if (heads < uint64_t(hostThreads()) && span > kFewHeadsMaxSpan)
        return false;
    const int64_t scoreElements = decodeAttentionWorkspaceElements(int64_t(heads), int64_t(span), lanes);
    if (attend.workspace->numel() < scoreElements || uint64_t(scoreElements) * 4 > info.maxStorageBufferRange)
        return false;

    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = info.maxStorageBufferRange;
    const uint64_t kvElements = ((kvHeads - 1) * capacity + position + 1) * headDim;
    if (kvElements * 2 + align > limit || heads * headDim * 4 + align > limit)
        return false;
    const ElementWindow qw = q.window(0, heads * headDim, align);
    const ElementWindow kw = k.window(0, kvHeads * headDim, align);
    const ElementWindow vw = v.window(0, kvHeads * headDim, align);
    const ElementWindow ow = out.window(0, heads * headDim, align);
    const ElementWindow kcw = kCache.window(0, kvElements, align);
    const ElementWindow vcw = vCache.window(0, kvElements, align);
    if ((qw.offset | kw.offset | vw.offset | ow.offset) % 4 != 0 || kcw.offset % 8 != 0 || kcw.offset != vcw.offset)
        return false;

    vk::PipelineDesc desc{neox ? "attention_decode_neox" : "attention_decode", 12,
                          sizeof(shader::AttentionDecodePush), {lanes, uint32_t(headDim)}};
    desc.texelBindings = 0b11000;
    ATELIER_ASSIGN(const vk::Pipeline* pipeline, device.pipelines().get(desc));

    const float scale = attend.scale != 0.0f ? attend.scale : float(1.0 / std::sqrt(double(headDim)));
    // log2(freqBase^(-2 / headDim)) in double, as ropeAndStoreKv computes it.
    const float log2ThetaScale = float(-2.0 / double(headDim) * std::log2(double(rope.freqBase)));
    const shader::AttentionDecodePush push{uint32_t(heads / kvHeads),
                                           uint32_t(capacity * headDim),
                                           position,
                                           uint32_t(lo),
                                           qw.offset,
                                           kw.offset,
                                           vw.offset,
                                           ow.offset,
                                           kcw.offset,
                                           rope.freqFactors ? 1u : 0u,
                                           (inputs.queryNorm ? 1u : 0u) | (inputs.keyNorm ? 2u : 0u),
                                           log2ThetaScale,
                                           rope.freqScale,
                                           rope.normEps,
                                           scale,
                                           attend.softCap};
    // Unused bindings get a range the dispatch reads anyway; the workspace needs one even when empty.
    const auto weights = [&](const Tensor* t) { return t ? t->buffer.range(0, t->bytes()) : kw.range; };
    const uint64_t scoreBytes = std::max<uint64_t>(4, uint64_t(scoreElements) * 4);
    const vk::BufferRange scores = attend.workspace->buffer.range(0, scoreBytes);
    ATELIER_TRY(batch.dispatch(*pipeline,
                               {vk::readOf(qw.range), vk::readOf(kw.range), vk::readOf(vw.range), vk::readOf(kcw.range),
                                vk::readOf(vcw.range), vk::writeOf(kcw.range), vk::writeOf(vcw.range),
                                vk::readWriteOf(scores), vk::writeOf(ow.range), vk::readOf(weights(rope.freqFactors)),
                                vk::readOf(weights(inputs.queryNorm)), vk::readOf(weights(inputs.keyNorm))},
                               push, uint32_t(heads)));
    return true;
}

} // namespace atelier::ops

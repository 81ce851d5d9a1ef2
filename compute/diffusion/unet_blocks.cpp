#include "diffusion/unet_blocks.h"

#include "ops/channels.h"
#include "ops/conv2d.h"
#include "ops/gelu.h"
#include "ops/group_norm.h"
#include "ops/masked_sum.h"
#include "ops/matmul.h"
#include "ops/sequence_attention.h"

namespace atelier::diffusion {

namespace {

constexpr float kResNormEps = 1e-5f;         // ResnetBlock2D's GroupNorms
constexpr float kTransformerNormEps = 1e-6f; // Transformer2DModel's GroupNorm
constexpr float kLayerNormEps = 1e-5f;       // BasicTransformerBlock's LayerNorms

} // namespace

Status recordProjection(vk::CommandBatch& batch, const ProjectionWeights& w, const ops::Tensor& in, ops::Tensor& out,
                        const ops::Tensor* residual)
{
    ops::Conv2dOptions o;
    o.bias = w.bias ? &*w.bias : nullptr;
    o.residual = residual;
    return ops::conv2d(batch, in, w.weight, out, o);
}

Status recordResBlock(vk::CommandBatch& batch, const ResBlockWeights& w, int normGroups, const ops::Tensor& x,
                      ops::Tensor& out, UNetState& state)
{
    const int64_t b = x.dim(0), h = x.dim(1), wd = x.dim(2);
    ATELIER_ASSIGN(ops::Tensor normedIn, state.normed.view({b, h, wd, w.inChannels}));
    ATELIER_ASSIGN(ops::Tensor normedOut, state.normed.view({b, h, wd, w.outChannels}));
    ATELIER_ASSIGN(ops::Tensor hidden, state.hidden.view({b, h, wd, w.outChannels}));
    ATELIER_ASSIGN(ops::Tensor timeBias, state.timeBias.view({b, w.outChannels}));

    ops::GroupNormOptions norm;
    norm.groups = uint32_t(normGroups);
    norm.eps = kResNormEps;
    norm.silu = true;
    norm.statistics = state.normStatistics.buffer.valid() ? &state.normStatistics : nullptr;
    ops::Conv2dOptions conv3x3;
    conv3x3.pad = 1;

    ATELIER_TRY(ops::groupNorm(batch, x, w.norm1.gamma, w.norm1.beta, normedIn, norm));
    conv3x3.bias = &w.conv1.bias;
    ATELIER_TRY(ops::conv2d(batch, normedIn, w.conv1.weight, hidden, conv3x3));
    ATELIER_TRY(ops::matmul(batch, state.timeEmbedding, w.timeProjection.weight, timeBias));
    ATELIER_TRY(ops::addBias(batch, timeBias, *w.timeProjection.bias, timeBias));
    ATELIER_TRY(ops::addBias(batch, hidden, timeBias, hidden));
    ATELIER_TRY(ops::groupNorm(batch, hidden, w.norm2.gamma, w.norm2.beta, normedOut, norm));

    const ops::Tensor* residual = &x;
    ops::Tensor shortcut;
    if (w.skip) {
        ATELIER_ASSIGN(shortcut, state.shortcut.view({b, h, wd, w.outChannels}));
        ops::Conv2dOptions conv1x1;
        conv1x1.bias = &w.skip->bias;
        ATELIER_TRY(ops::conv2d(batch, x, w.skip->weight, shortcut, conv1x1));
        residual = &shortcut;
    }
    conv3x3.bias = &w.conv2.bias;
    conv3x3.residual = residual;
    return ops::conv2d(batch, normedOut, w.conv2.weight, out, conv3x3);
}

Status recordSpatialTransformer(vk::CommandBatch& batch, const SpatialTransformerWeights& w, int normGroups,
                                const ops::Tensor& x, ops::Tensor& out, UNetState& state)
{
    const int64_t b = x.dim(0), h = x.dim(1), wd = x.dim(2), n = h * wd, c = w.channels;
    const int64_t heads = w.heads, headDim = c / heads, s = state.context.dim(1);
    ATELIER_ASSIGN(ops::Tensor normed, state.normed.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor normedRows, state.normed.view({b, n, c}));
    ATELIER_ASSIGN(ops::Tensor tokens, state.tokens.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor tokenRows, state.tokens.view({b, n, c}));
    ATELIER_ASSIGN(ops::Tensor query, state.query.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor key, state.key.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor value, state.value.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor attention, state.attention.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor queryHeads, state.query.view({b, n, heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor keyHeads, state.key.view({b, n, heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor valueHeads, state.value.view({b, n, heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor attentionHeads, state.attention.view({b, n, heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor crossKey, state.crossKey.view({b, s, 1, c}));
    ATELIER_ASSIGN(ops::Tensor crossValue, state.crossValue.view({b, s, 1, c}));
    ATELIER_ASSIGN(ops::Tensor crossKeyHeads, state.crossKey.view({b, s, heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor crossValueHeads, state.crossValue.view({b, s, heads, headDim}));
    ATELIER_ASSIGN(ops::Tensor feedForward, state.feedForward.view({b, h, wd, 8 * c}));
    ATELIER_ASSIGN(ops::Tensor gated, state.gated.view({b, h, wd, 4 * c}));
    // Regional prompts blend into the feed-forward's scratch, free until the feed-forward runs.
    ATELIER_ASSIGN(ops::Tensor attentionRows, state.attention.view({b, n, c}));
    ATELIER_ASSIGN(ops::Tensor blended, state.gated.view({b, h, wd, c}));
    ATELIER_ASSIGN(ops::Tensor blendedRows, state.gated.view({b, n, c}));
    int level = 0;
    while ((state.shape.height >> level) > h)
        ++level;

    ops::GroupNormOptions groupNorm;
    groupNorm.groups = uint32_t(normGroups);
    groupNorm.eps = kTransformerNormEps;
    groupNorm.statistics = state.normStatistics.buffer.valid() ? &state.normStatistics : nullptr;
    ops::LayerNormOptions layerNorm;
    layerNorm.eps = kLayerNormEps;
    ops::SequenceAttentionOptions attend;
    attend.workspace = state.attentionScores.buffer.valid() ? &state.attentionScores : nullptr;

    ATELIER_TRY(ops::groupNorm(batch, x, w.norm.gamma, w.norm.beta, normed, groupNorm));
    ATELIER_TRY(recordProjection(batch, w.projectIn, normed, tokens));
    for (const TransformerBlockWeights& block : w.blocks) {
        ATELIER_TRY(ops::layerNorm(batch, tokenRows, block.norm1.gamma, block.norm1.beta, normedRows, layerNorm));
        ATELIER_TRY(recordProjection(batch, block.selfQ, normed, query));
        ATELIER_TRY(recordProjection(batch, block.selfK, normed, key));
        ATELIER_TRY(recordProjection(batch, block.selfV, normed, value));
        ATELIER_TRY(ops::sequenceAttention(batch, queryHeads, keyHeads, valueHeads, attentionHeads, attend));
        ATELIER_TRY(recordProjection(batch, block.selfOut, attention, tokens, &tokens));

        ATELIER_TRY(ops::layerNorm(batch, tokenRows, block.norm2.gamma, block.norm2.beta, normedRows, layerNorm));
        ATELIER_TRY(recordProjection(batch, block.crossQ, normed, query));
        // Regional prompts: each context's attention, weighted per pixel by that context's mask, summed.
        const int contexts = state.shape.contexts;
        for (int i = 0; i < contexts; ++i) {
            const ops::Tensor& context = i == 0 ? state.context : state.regionContexts[size_t(i - 1)];
            ATELIER_TRY(recordProjection(batch, block.crossK, context, crossKey));
            ATELIER_TRY(recordProjection(batch, block.crossV, context, crossValue));
            ATELIER_TRY(ops::sequenceAttention(batch, queryHeads, crossKeyHeads, crossValueHeads, attentionHeads, attend));
            if (contexts > 1)
                ATELIER_TRY(ops::addMasked(batch, attentionRows, state.regionMasks[size_t(level * contexts + i)],
                                           blendedRows, i > 0));
        }
        ATELIER_TRY(recordProjection(batch, block.crossOut, contexts > 1 ? blended : attention, tokens, &tokens));

        ATELIER_TRY(ops::layerNorm(batch, tokenRows, block.norm3.gamma, block.norm3.beta, normedRows, layerNorm));
        ATELIER_TRY(recordProjection(batch, block.feedForwardIn, normed, feedForward));
        ATELIER_TRY(ops::geglu(batch, feedForward, gated));
        ATELIER_TRY(recordProjection(batch, block.feedForwardOut, gated, tokens, &tokens));
    }
    return recordProjection(batch, w.projectOut, tokens, out, &x);
}

} // namespace atelier::diffusion

#include "diffusion/vae_blocks.h"

#include "ops/conv2d.h"
#include "ops/group_norm.h"
#include "ops/layout_copy.h"
#include "vk/device.h"

#include <algorithm>

namespace atelier::diffusion {

namespace {

std::vector<int64_t> withChannels(const ops::Tensor& x, int64_t channels)
{
    return {x.dim(0), x.dim(1), x.dim(2), channels};
}

ops::GroupNormOptions normOptions(const VaeRun& run, bool silu)
{
    ops::GroupNormOptions o;
    o.statistics = &run.activations.normStatistics;
    o.groups = run.groups;
    o.eps = run.eps;
    o.silu = silu;
    return o;
}

ops::Conv2dOptions convOptions(const ConvWeights& w, uint32_t pad, const ops::Tensor* residual = nullptr)
{
    ops::Conv2dOptions o;
    o.pad = pad;
    o.bias = &w.bias;
    o.residual = residual;
    return o;
}

int64_t channelsAt(const VaeConfig& c, size_t level) { return int64_t(c.baseChannels) * c.channelMult[level]; }

} // namespace

Result<std::unique_ptr<VaeActivations>> VaeActivations::create(vk::Device& device, DType dtype, uint64_t slotElements,
                                                                int64_t midTokens, int64_t midChannels,
                                                                uint64_t statistics)
{
    auto a = std::unique_ptr<VaeActivations>(new VaeActivations);
    a->mDtype = dtype;
    a->mSlotElements = slotElements;
    for (int i = 0; i < kSlots; ++i) {
        ATELIER_ASSIGN(ops::Tensor slot, ops::Tensor::create(device, dtype, {int64_t(slotElements)}));
        a->mSlots.push_back(std::move(slot));
    }
    a->mTaken.assign(kSlots, false);
    for (ops::Tensor* t : {&a->q, &a->k, &a->v}) {
        ATELIER_ASSIGN(*t, ops::Tensor::create(device, dtype, {1, midTokens, midChannels}));
    }
    ATELIER_ASSIGN(a->attention, ops::WideAttentionScratch::create(device, midTokens, midChannels, dtype));
    ATELIER_ASSIGN(a->normStatistics, ops::Tensor::create(device, DType::F32, {int64_t(statistics)}));
    return a;
}

uint64_t VaeActivations::bytesFor(DType dtype, uint64_t slotElements, int64_t midTokens, int64_t midChannels)
{
    const uint64_t es = dtypeSize(dtype), mid = uint64_t(midTokens) * uint64_t(midChannels);
    const uint64_t scratch = uint64_t(midTokens) * uint64_t(midTokens) * 4 + mid * es + (dtype == DType::F16 ? 8 * mid : 0);
    return kSlots * slotElements * es + 3 * mid * es + scratch;
}

Result<ops::Tensor> VaeActivations::take(std::vector<int64_t> shape)
{
    for (size_t i = 0; i < mSlots.size(); ++i) {
        if (mTaken[i])
            continue;
        ATELIER_ASSIGN(ops::Tensor view, mSlots[i].view(std::move(shape)));
        mTaken[i] = true;
        return view;
    }
    return makeError(ErrorCode::InvalidArgument, "VAE: every activation slot is in use");
}

void VaeActivations::release(const ops::Tensor& view)
{
    for (size_t i = 0; i < mSlots.size(); ++i) {
        if (mSlots[i].buffer.vkBuffer() == view.buffer.vkBuffer() &&
            mSlots[i].buffer.blockOffset() == view.buffer.blockOffset())
            mTaken[i] = false;
    }
}

Result<ops::Tensor> runConv(VaeRun& run, const ConvWeights& w, const ops::Tensor& x, int64_t outChannels, int kernel)
{
    ATELIER_ASSIGN(ops::Tensor out, run.activations.take(withChannels(x, outChannels)));
    ATELIER_TRY(ops::conv2d(run.batch, x, w.weight, out, convOptions(w, uint32_t(kernel / 2))));
    run.activations.release(x);
    return out;
}

Result<ops::Tensor> runResBlock(VaeRun& run, const VaeResBlockWeights& w, const ops::Tensor& x)
{
    VaeActivations& a = run.activations;
    ATELIER_ASSIGN(ops::Tensor h, a.take(x.shape));
    ATELIER_TRY(ops::groupNorm(run.batch, x, w.norm1.gamma, w.norm1.beta, h, normOptions(run, true)));
    ATELIER_ASSIGN(ops::Tensor h2, runConv(run, w.conv1, h, w.outChannels, 3));
    ATELIER_ASSIGN(ops::Tensor h3, a.take(h2.shape));
    ATELIER_TRY(ops::groupNorm(run.batch, h2, w.norm2.gamma, w.norm2.beta, h3, normOptions(run, true)));
    a.release(h2);
    ops::Tensor projected;
    if (w.shortcut) {
        ATELIER_ASSIGN(projected, runConv(run, *w.shortcut, x, w.outChannels, 1)); // releases x
    }
    const ops::Tensor& shortcut = w.shortcut ? projected : x;
    ATELIER_ASSIGN(ops::Tensor out, a.take(h3.shape));
    ATELIER_TRY(ops::conv2d(run.batch, h3, w.conv2.weight, out, convOptions(w.conv2, 1, &shortcut)));
    a.release(h3);
    a.release(shortcut);
    return out;
}

Result<ops::Tensor> runAttention(VaeRun& run, const VaeAttentionWeights& w, const ops::Tensor& x)
{
    VaeActivations& a = run.activations;
    const std::vector<int64_t> tokens{1, x.dim(1) * x.dim(2), x.dim(3)};
    if (x.dim(0) != 1 || a.q.shape != tokens)
        return makeError(ErrorCode::InvalidArgument, "VAE attention: activations made for another size than " +
                                                         x.shapeText());
    ATELIER_ASSIGN(ops::Tensor h, a.take(x.shape));
    ATELIER_TRY(ops::groupNorm(run.batch, x, w.norm.gamma, w.norm.beta, h, normOptions(run, false)));
    for (auto [weights, target] : {std::pair{&w.q, &a.q}, std::pair{&w.k, &a.k}, std::pair{&w.v, &a.v}}) {
        ATELIER_ASSIGN(ops::Tensor projected, target->view(x.shape));
        ATELIER_TRY(ops::conv2d(run.batch, h, weights->weight, projected, convOptions(*weights, 0)));
    }
    ATELIER_ASSIGN(ops::Tensor attended, h.view(tokens));
    ATELIER_TRY(ops::wideAttention(run.batch, a.q, a.k, a.v, attended, a.attention));
    ATELIER_ASSIGN(ops::Tensor out, a.take(x.shape));
    ATELIER_TRY(ops::conv2d(run.batch, h, w.projOut.weight, out, convOptions(w.projOut, 0, &x)));
    a.release(h);
    a.release(x);
    return out;
}

Result<ops::Tensor> runMid(VaeRun& run, const VaeMidWeights& w, const ops::Tensor& x)
{
    ATELIER_ASSIGN(ops::Tensor h, runResBlock(run, w.block1, x));
    ATELIER_ASSIGN(h, runAttention(run, w.attention, h));
    return runResBlock(run, w.block2, h);
}

Result<ops::Tensor> runDownsample(VaeRun& run, const ConvWeights& w, const ops::Tensor& x)
{
    VaeActivations& a = run.activations;
    ATELIER_ASSIGN(ops::Tensor padded, a.take({1, x.dim(1) + 1, x.dim(2) + 1, x.dim(3)}));
    ATELIER_TRY(ops::padBottomRight(run.batch, x, padded));
    a.release(x);
    const int64_t h = ops::conv2dOutputSize(padded.dim(1), 3, 2, 0), wd = ops::conv2dOutputSize(padded.dim(2), 3, 2, 0);
    ATELIER_ASSIGN(ops::Tensor out, a.take({1, h, wd, x.dim(3)}));
    ops::Conv2dOptions o = convOptions(w, 0);
    o.stride = 2;
    ATELIER_TRY(ops::conv2d(run.batch, padded, w.weight, out, o));
    a.release(padded);
    return out;
}

Result<ops::Tensor> runUpsample(VaeRun& run, const ConvWeights& w, const ops::Tensor& x)
{
    ATELIER_ASSIGN(ops::Tensor out, run.activations.take({1, 2 * x.dim(1), 2 * x.dim(2), x.dim(3)}));
    ops::Conv2dOptions o = convOptions(w, 1);
    o.upsample = true;
    ATELIER_TRY(ops::conv2d(run.batch, x, w.weight, out, o));
    run.activations.release(x);
    return out;
}

Status runNormOutConv(VaeRun& run, const NormWeights& norm, const ConvWeights& conv, const ops::Tensor& x, ops::Tensor& out)
{
    ATELIER_ASSIGN(ops::Tensor h, run.activations.take(x.shape));
    ATELIER_TRY(ops::groupNorm(run.batch, x, norm.gamma, norm.beta, h, normOptions(run, true)));
    run.activations.release(x);
    ATELIER_TRY(ops::conv2d(run.batch, h, conv.weight, out, convOptions(conv, 1)));
    run.activations.release(h);
    return {};
}

uint64_t normStatisticsElements(vk::Device& device, const VaeConfig& c, DType dtype, uint64_t slotElements)
{
    uint64_t most = 1;
    for (size_t level = 0; level < c.channelMult.size(); ++level) {
        const uint64_t channels = uint64_t(channelsAt(c, level));
        most = std::max(most, ops::groupNormStatisticsElements(device, dtype, (slotElements + channels - 1) / channels,
                                                               channels, uint32_t(c.normGroups)));
    }
    return most;
}

uint64_t decoderSlotElements(const VaeConfig& c, int64_t h, int64_t w)
{
    const size_t levels = c.channelMult.size();
    uint64_t most = uint64_t(h * w) * uint64_t(std::max<int64_t>(c.latentChannels, channelsAt(c, levels - 1)));
    for (size_t i = levels; i-- > 0;) {
        const int64_t scale = int64_t(1) << (levels - 1 - i);
        const int64_t in = i + 1 == levels ? channelsAt(c, i) : channelsAt(c, i + 1);
        most = std::max(most, uint64_t(h * scale * w * scale) * uint64_t(std::max(in, channelsAt(c, i))));
    }
    return most;
}

uint64_t encoderSlotElements(const VaeConfig& c, int64_t h, int64_t w)
{
    const size_t levels = c.channelMult.size();
    uint64_t most = uint64_t(h * w) * uint64_t(std::max<int64_t>(c.imageChannels, channelsAt(c, 0)));
    for (size_t i = 0; i < levels; ++i) {
        const int64_t lh = h >> i, lw = w >> i;
        const int64_t in = i == 0 ? channelsAt(c, 0) : channelsAt(c, i - 1);
        most = std::max(most, uint64_t(lh * lw) * uint64_t(std::max(in, channelsAt(c, i))));
        if (i + 1 < levels)
            most = std::max(most, uint64_t((lh + 1) * (lw + 1)) * uint64_t(channelsAt(c, i)));
        else
            most = std::max(most, uint64_t(lh * lw) * uint64_t(2 * c.latentChannels));
    }
    return most;
}

} // namespace atelier::diffusion

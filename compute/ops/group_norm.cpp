#include "ops/group_norm.h"

#include "ops/grid.h"
#include "push_constants.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>

namespace atelier::ops {

namespace {

bool isFloat(DType t) { return t == DType::F32 || t == DType::F16; }

uint64_t bindingRoom(vk::Device& device, uint64_t maxBindingBytes)
{
    const auto& info = device.info();
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = maxBindingBytes ? std::min(maxBindingBytes, info.maxStorageBufferRange)
                                           : info.maxStorageBufferRange;
    return limit > align ? limit - align : 0;
}

// Pixels per band of an image in bands: each band's window fits a binding from any start.
uint64_t bandPixels(uint64_t room, uint64_t channels, DType dtype)
{
    return std::max<uint64_t>(room / (channels * dtypeSize(dtype)), 1);
}

// One image larger than a binding: statistics per band and group, then each band normalised with
// the merged statistics of its group.
Status runBands(vk::CommandBatch& batch, const std::string& what, const Tensor& x, const Tensor& gamma,
                const Tensor& beta, Tensor& out, uint64_t image, uint64_t pixels, uint64_t channels, uint32_t groups,
                float eps, bool silu, bool sharedReduction, uint64_t room, const Tensor& statistics)
{
    vk::Device& device = batch.device();
    const uint64_t align = device.allocator().alignment();
    const uint64_t step = bandPixels(room, channels, x.dtype), bands = (pixels + step - 1) / step;
    if (step * channels * dtypeSize(x.dtype) > room)
        return makeError(ErrorCode::Unsupported, what + ": one pixel exceeds a binding");
    if (statistics.dtype != DType::F32 || uint64_t(statistics.numel()) < bands * groups * 3)
        return makeError(ErrorCode::InvalidArgument, what + ": statistics need " + std::to_string(bands * groups * 3) +
                                                         " f32 values, got " + statistics.shapeText());
    const uint32_t workgroup = 256;
    const bool subgroups = device.info().subgroupArithmetic() && !sharedReduction;
    ATELIER_ASSIGN(const vk::Pipeline* stats,
                   device.pipelines().get({std::string("group_norm_stats_") + dtypeName(x.dtype) + (subgroups ? "" : "_shared"),
                                           2, sizeof(shader::NormBandPush), {workgroup}}));
    ATELIER_ASSIGN(const vk::Pipeline* apply,
                   device.pipelines().get({std::string("group_norm_apply_") + dtypeName(x.dtype) + "_" +
                                               dtypeName(gamma.dtype),
                                           5, sizeof(shader::NormBandPush), {workgroup}}));
    const auto sRange = statistics.buffer.range(0, bands * groups * 3 * 4);
    const auto gRange = gamma.buffer.range(), bRange = beta.buffer.range();
    for (uint64_t b = 0; b < bands; ++b) {
        const uint64_t p0 = b * step, n = std::min(step, pixels - p0);
        const ElementWindow xw = x.window((image * pixels + p0) * channels, n * channels, align);
        const shader::NormBandPush push{1, uint32_t(n), uint32_t(channels), groups, xw.offset, 0, 0, eps,
                                        uint32_t(b * groups * 3), 0};
        ATELIER_TRY(batch.dispatch(*stats, {vk::readOf(xw.range), vk::writeOf(sRange)}, push, groups));
    }
    for (uint64_t b = 0; b < bands; ++b) {
        const uint64_t p0 = b * step, n = std::min(step, pixels - p0);
        const ElementWindow xw = x.window((image * pixels + p0) * channels, n * channels, align);
        const ElementWindow ow = out.window((image * pixels + p0) * channels, n * channels, align);
        const shader::NormBandPush push{1,         uint32_t(n),        uint32_t(channels), groups, xw.offset, ow.offset,
                                        silu ? 1u : 0u, eps, 0, uint32_t(bands)};
        ATELIER_TRY(batch.dispatch(*apply,
                                   {vk::readOf(xw.range), vk::readOf(gRange), vk::readOf(bRange), vk::writeOf(ow.range),
                                    vk::readOf(sRange)},
                                   push, groups));
    }
    return {};
}

constexpr uint32_t kChunkPixels = 64;
constexpr uint32_t kRowsWorkgroup = 64;

uint64_t rowsParamsOffset(uint64_t images, uint64_t pixels, uint32_t groups)
{
    const uint64_t chunks = (pixels + kChunkPixels - 1) / kChunkPixels;
    return (images * chunks * groups * 3 + 3) / 4 * 4;
}

uint64_t rowsWorkspaceElements(uint64_t images, uint64_t pixels, uint64_t channels, uint32_t groups)
{
    return rowsParamsOffset(images, pixels, groups) + images * 2 * channels;
}

// CPU devices with a workspace: group_norm_rows.comp's three passes over whole images. Returns
// false where it does not apply.
Result<bool> runRows(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                     uint64_t images, uint64_t pixels, uint64_t channels, uint32_t groups, float eps, bool silu,
                     uint64_t room, const Tensor* workspace)
{
    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t align = device.allocator().alignment();
    const uint64_t es = dtypeSize(x.dtype), total = images * pixels * channels;
    if (!workspace || workspace->dtype != DType::F32 || info.type != VK_PHYSICAL_DEVICE_TYPE_CPU || channels % 4 != 0 ||
        (channels / groups) % 2 != 0 || align % 16 != 0 ||
        uint64_t(workspace->numel()) < rowsWorkspaceElements(images, pixels, channels, groups) || total * es > room ||
        total * es / 4 > info.maxTexelBufferElements) // the statistics pass reads x as 4-byte words
        return false;
    const ElementWindow xw = x.window(0, total, align);
    const ElementWindow ow = out.window(0, total, align);
    if (xw.offset % 4 != 0 || ow.offset % 4 != 0)
        return false;
    const uint64_t chunks = (pixels + kChunkPixels - 1) / kChunkPixels;
    const uint64_t paramsOffset = rowsParamsOffset(images, pixels, groups);
    const shader::GroupNormRowsPush push{uint32_t(images),   uint32_t(pixels),      uint32_t(channels),
                                         groups,             uint32_t(chunks),      xw.offset,
                                         ow.offset,          uint32_t(paramsOffset), silu ? 1u : 0u,
                                         eps};
    const bool halves = x.dtype == DType::F16;
    vk::PipelineDesc statsDesc{std::string("group_norm_rows_stats_") + dtypeName(x.dtype), 2, sizeof(push),
                               {kRowsWorkgroup, kChunkPixels}};
    statsDesc.texelBindings = 0b01;
    statsDesc.wordTexels = 0b01;
    vk::PipelineDesc mergeDesc{std::string("group_norm_rows_merge_") + dtypeName(gamma.dtype), 3, sizeof(push),
                               {kRowsWorkgroup, kChunkPixels}};
    vk::PipelineDesc applyDesc{std::string("group_norm_rows_apply_") + dtypeName(x.dtype), 3, sizeof(push),
                               {kRowsWorkgroup, kChunkPixels}};
    applyDesc.texelBindings = 0b011;
    applyDesc.wordTexels = halves ? 0b001 : 0b000;
    ATELIER_ASSIGN(const vk::Pipeline* stats, device.pipelines().get(statsDesc));
    ATELIER_ASSIGN(const vk::Pipeline* merge, device.pipelines().get(mergeDesc));
    ATELIER_ASSIGN(const vk::Pipeline* apply, device.pipelines().get(applyDesc));
    const auto work = workspace->buffer.range(0, rowsWorkspaceElements(images, pixels, channels, groups) * 4);
    const uint32_t maxX = info.maxWorkgroupCount[0];
    Grid g = grid1d(images * chunks * groups, kRowsWorkgroup, maxX);
    ATELIER_TRY(batch.dispatch(*stats, {vk::readOf(xw.range), vk::writeOf(work)}, push, g.x, g.y));
    g = grid1d(images * groups, kRowsWorkgroup, maxX);
    ATELIER_TRY(batch.dispatch(*merge, {vk::readOf(gamma.buffer.range()), vk::readOf(beta.buffer.range()),
                                        vk::readWriteOf(work)},
                               push, g.x, g.y));
    g = grid1d(total / 4, kRowsWorkgroup, maxX);
    ATELIER_TRY(batch.dispatch(*apply, {vk::readOf(xw.range), vk::readOf(work), vk::writeOf(ow.range)}, push, g.x, g.y));
    return true;
}

// Runs of `images` of pixels x channels each, one workgroup per (image, group).
Status run(vk::CommandBatch& batch, const char* op, const Tensor& x, const Tensor& gamma, const Tensor& beta,
           Tensor& out, uint64_t images, uint64_t pixels, uint64_t channels, uint32_t groups, float eps, bool silu,
           bool sharedReduction, uint64_t maxBindingBytes, const Tensor* statistics)
{
    const std::string what = std::string(op) + " of " + x.shapeText() + " with " + gamma.shapeText() + " and " +
                             beta.shapeText() + " into " + out.shapeText();
    if (!isFloat(x.dtype) || out.dtype != x.dtype || out.shape != x.shape)
        return makeError(ErrorCode::InvalidArgument, what + ": expected f32 or f16 x and out of one dtype and shape");
    if (!isFloat(gamma.dtype) || beta.dtype != gamma.dtype || gamma.numel() != int64_t(channels) ||
        beta.numel() != int64_t(channels))
        return makeError(ErrorCode::InvalidArgument, what + ": gamma and beta must be " + std::to_string(channels) +
                                                         " values of one float dtype");
    if (groups == 0 || channels % groups != 0)
        return makeError(ErrorCode::InvalidArgument, what + ": channels are not a multiple of the groups");
    if (!(eps >= 0.0f) || !std::isfinite(eps))
        return makeError(ErrorCode::InvalidArgument, what + ": eps must be finite and >= 0");

    vk::Device& device = batch.device();
    const auto& info = device.info();
    const uint64_t align = device.allocator().alignment();
    const uint64_t limit = maxBindingBytes ? std::min(maxBindingBytes, info.maxStorageBufferRange)
                                           : info.maxStorageBufferRange;
    const uint64_t room = limit > align ? limit - align : 0;
    const uint64_t imageBytes = pixels * channels * dtypeSize(x.dtype);
    // An image of up to the whole limit still fits one binding when it starts aligned: the VAE
    // decoder's last blocks, 512 x 512 x 128 f32, are exactly 128 MiB (lavapipe's limit).
    const uint64_t step = std::clamp<uint64_t>(room / imageBytes, 1, info.maxWorkgroupCount[1]);
    if (groups > info.maxWorkgroupCount[0])
        return makeError(ErrorCode::Unsupported, what + ": too many groups");
    if (!sharedReduction) {
        ATELIER_ASSIGN(const bool rowsDone,
                       runRows(batch, x, gamma, beta, out, images, pixels, channels, groups, eps, silu, room, statistics));
        if (rowsDone)
            return {};
    }
    if (imageBytes > room && statistics) {
        for (uint64_t image = 0; image < images; ++image)
            ATELIER_TRY(runBands(batch, what, x, gamma, beta, out, image, pixels, channels, groups, eps, silu,
                                 sharedReduction, room, *statistics));
        return {};
    }

    // Small rows (layer norm) would leave most of a large workgroup idle.
    const uint32_t workgroup = pixels * channels / groups >= 1024 ? 256 : 64;
    const bool subgroups = info.subgroupArithmetic() && !sharedReduction;
    const std::string name = std::string("group_norm_") + dtypeName(x.dtype) + "_" + dtypeName(gamma.dtype) +
                             (subgroups ? "" : "_shared");
    ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                   device.pipelines().get({name, 4, sizeof(shader::NormPush), {workgroup}}));
    const auto gRange = gamma.buffer.range(), bRange = beta.buffer.range();
    for (uint64_t i0 = 0; i0 < images; i0 += step) {
        const uint64_t ic = std::min(step, images - i0);
        const ElementWindow xw = x.window(i0 * pixels * channels, ic * pixels * channels, align);
        const ElementWindow ow = out.window(i0 * pixels * channels, ic * pixels * channels, align);
        if (xw.range.size > limit || ow.range.size > limit)
            return makeError(ErrorCode::Unsupported, what + ": one image exceeds a binding");
        const shader::NormPush push{uint32_t(ic), uint32_t(pixels), uint32_t(channels), groups,
                                    xw.offset,    ow.offset,        silu ? 1u : 0u,     eps};
        ATELIER_TRY(batch.dispatch(*pipeline,
                                   {vk::readOf(xw.range), vk::readOf(gRange), vk::readOf(bRange), vk::writeOf(ow.range)},
                                   push, groups, uint32_t(ic)));
    }
    return {};
}

} // namespace

uint64_t groupNormStatisticsElements(vk::Device& device, DType dtype, uint64_t pixels, uint64_t channels,
                                     uint32_t groups, uint64_t maxBindingBytes, uint64_t images)
{
    const uint64_t step = bandPixels(bindingRoom(device, maxBindingBytes), channels, dtype);
    const uint64_t bands = (pixels + step - 1) / step * groups * 3;
    if (device.info().type != VK_PHYSICAL_DEVICE_TYPE_CPU)
        return bands;
    return std::max(bands, rowsWorkspaceElements(images, pixels, channels, groups));
}

Status groupNorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                 const GroupNormOptions& options)
{
    if (x.shape.size() < 2)
        return makeError(ErrorCode::InvalidArgument, "group norm: expected x [batch, ..., channels], got " + x.shapeText());
    const uint64_t images = uint64_t(x.dim(0)), channels = uint64_t(x.dim(-1));
    return run(batch, "group norm", x, gamma, beta, out, images, uint64_t(x.numel()) / (images * channels), channels,
               options.groups, options.eps, options.silu, options.sharedReduction, options.maxBindingBytes,
               options.statistics);
}

Status layerNorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                 const LayerNormOptions& options)
{
    if (x.shape.empty())
        return makeError(ErrorCode::InvalidArgument, "layer norm: x has no dimensions");
    const uint64_t n = uint64_t(x.dim(-1));
    return run(batch, "layer norm", x, gamma, beta, out, uint64_t(x.numel()) / n, 1, n, 1, options.eps, false,
               options.sharedReduction, 0, nullptr);
}

} // namespace atelier::ops

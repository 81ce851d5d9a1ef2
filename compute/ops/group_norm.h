#pragma once
// Normalisations by mean and variance on NHWC activations (one shader, group_norm.comp):
//   groupNorm: per image and group of channels/groups consecutive channels, over all its pixels
//              (torch.nn.GroupNorm, SD: 32 groups, eps 1e-5 in the UNet, 1e-6 in the VAE), then
//              * gamma[c] + beta[c] and, optionally, SiLU (ResnetBlock2D's norm + nonlinearity).
//   layerNorm: per row of the last dimension (torch.nn.LayerNorm with affine: the transformer
//              blocks, CLIP), i.e. groupNorm with one group over one pixel per row.
// The variance is biased, as torch's. Sums are fp32 whatever the storage.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::vk {
class Device;
}

namespace atelier::ops {

struct GroupNormOptions {
    uint32_t groups = 32;
    float eps = 1e-5f;
    bool silu = false;            // out = silu(normalised)
    bool sharedReduction = false; // force the shared-memory reduction (tests)
    uint64_t maxBindingBytes = 0; // lowers the binding limit (tests)
    // f32, at least groupNormStatisticsElements() values: images larger than a binding then go in
    // bands of pixels (statistics per band, merged), instead of being refused; and CPU devices
    // take group_norm_rows.comp's passes (statistics per chunk of pixels and group, merged into
    // a scale and shift per channel, applied 4 values per invocation) with no shared memory.
    Tensor* statistics = nullptr;
};

// x, out: f32 or f16 (one dtype) [batch, ..., channels], every dim between the first and the last
// being pixels; gamma, beta: f32 or f16 (one dtype) [channels], channels a multiple of groups.
// One image must fit one binding (maxStorageBufferRange, 128 MiB on lavapipe: 512 x 512 x 128 f32
// just fits) unless options.statistics lets it go in bands (the VAE decoder's 512 x 512 x 256).
Status groupNorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                 const GroupNormOptions& options = {});

// The statistics values groupNorm needs for `images` of `pixels` x `channels` of `dtype` (in bands,
// and on CPU devices for the passes without shared memory).
uint64_t groupNormStatisticsElements(vk::Device& device, DType dtype, uint64_t pixels, uint64_t channels,
                                     uint32_t groups, uint64_t maxBindingBytes = 0, uint64_t images = 1);

struct LayerNormOptions {
    float eps = 1e-5f;
    bool sharedReduction = false;
};

// x, out: f32 or f16 [..., n]; gamma, beta [n].
Status layerNorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                 const LayerNormOptions& options = {});

} // namespace atelier::ops

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

namespace atelier::ops {

struct GroupNormOptions {
    uint32_t groups = 32;
    float eps = 1e-5f;
    bool silu = false;            // out = silu(normalised)
    bool sharedReduction = false; // force the shared-memory reduction (tests)
    uint64_t maxBindingBytes = 0; // lowers the binding limit (tests)
};

// x, out: f32 or f16 (one dtype) [batch, ..., channels], every dim between the first and the last
// being pixels; gamma, beta: f32 or f16 (one dtype) [channels], channels a multiple of groups.
// One image must fit one binding (maxStorageBufferRange, 128 MiB on lavapipe: 512 x 512 x 128 f32
// just fits; larger images need f16 activations or a tiled VAE decode).
Status groupNorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                 const GroupNormOptions& options = {});

struct LayerNormOptions {
    float eps = 1e-5f;
    bool sharedReduction = false;
};

// x, out: f32 or f16 [..., n]; gamma, beta [n].
Status layerNorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& gamma, const Tensor& beta, Tensor& out,
                 const LayerNormOptions& options = {});

} // namespace atelier::ops

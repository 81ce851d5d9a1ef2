#pragma once
// One term of a per-pixel weighted sum over NHWC activations:
//   out[b, p, c] = (accumulate ? out[b, p, c] : 0) + mask[p] * x[b, p, c]
// Regional prompts blend each region's cross-attention output by its (feathered) mask this way at
// every UNet resolution (diffusion/regions.h).

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

// x, out: f32 [batch, ..., channels] of one shape; mask: f32 with as many elements as x has pixels
// per image (the dimensions between batch and channels).
Status addMasked(vk::CommandBatch& batch, const Tensor& x, const Tensor& mask, Tensor& out, bool accumulate);

} // namespace atelier::ops

#pragma once
// RMS normalisation over the last dimension (LLaMA-style):
//   out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * weight[:]
// x and out are f32 tensors of the same shape; weight is f32 or f16 with as many elements as a row.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

struct RmsNormOptions {
    float eps = 1e-5f;
    bool sharedReduction = false; // force the shared-memory reduction (tests)
};

Status rmsnorm(vk::CommandBatch& batch, const Tensor& x, const Tensor& weight, Tensor& out,
               const RmsNormOptions& options = {});

} // namespace atelier::ops

#pragma once
// The seam between two transformer blocks in one dispatch (three without it: post-norm, add, norm):
//   x[r, :] += postWeight ? rmsnorm(y[r, :]) * postWeight[:] : y[r, :]
//   xn[r, :] = rmsnorm(x[r, :]) * nextWeight[:]
// x, y and xn are f32 of one shape [..., n]; the weights are f32 [n]. x is updated in place.

#include "core/result.h"
#include "ops/rmsnorm.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

Status residualNorm(vk::CommandBatch& batch, Tensor& x, const Tensor& y, const Tensor* postWeight,
                    const Tensor& nextWeight, Tensor& xn, const RmsNormOptions& options = {});

} // namespace atelier::ops

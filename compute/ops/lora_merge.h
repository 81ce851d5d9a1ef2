#pragma once
// Merging a low-rank update into a weight in place, as LoRA adapters are applied:
//   w[o, c] += scale * sum_k up[o, k] * down[k, c]
// w: [rows, ...] f32 or f16, its trailing dimensions flattened into cols (a Linear [out, in], a
// convolution [out, kh, kw, in]); up [rows, rank] and down [rank, cols] f32. Subtracting (a
// negative scale) undoes it up to w's rounding. Large weights are processed in blocks of rows, one
// dispatch each.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

Status loraMerge(vk::CommandBatch& batch, Tensor& w, const Tensor& up, const Tensor& down, float scale);

} // namespace atelier::ops

#pragma once
// Elementwise kernels: add and multiply (b broadcast when it divides a), and scale. Tensors larger
// than maxStorageBufferRange are processed in ranges, one dispatch each.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

Status add(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out);
Status mul(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out);
Status scale(vk::CommandBatch& batch, const Tensor& a, float factor, Tensor& out);

} // namespace atelier::ops

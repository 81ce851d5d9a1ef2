#pragma once
// Per-pixel channel work on NHWC activations (f32 or f16; one shader, channels.comp):
//   upsampleNearest2x: [batch, h, w, c] -> [batch, 2h, 2w, c] (diffusers' Upsample2D interpolate;
//                      conv2d() can also read its input upsampled without this copy)
//   concatChannels:    [..., ca] and [..., cb] -> [..., ca + cb] (the UNet's skip connections,
//                      torch.cat(dim=1) in NCHW)
//   addBias:           out[n, ..., c] = (x[n, ..., c] + bias[n or 0, c]) * scale, a per-channel bias
//                      shared by all images ([c]) or one per image ([batch, c]: the timestep
//                      embedding added in ResnetBlock2D)

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

Status upsampleNearest2x(vk::CommandBatch& batch, const Tensor& in, Tensor& out);

Status concatChannels(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out);

// x, out: [batch, ..., c] of one dtype; bias: f32 or f16, [c] or [batch, c].
Status addBias(vk::CommandBatch& batch, const Tensor& x, const Tensor& bias, Tensor& out, float scale = 1.0f);

} // namespace atelier::ops

#pragma once
// Copies that change a tensor's layout or element type (one shader, strided_copy.comp, any pair
// of f32 and f16):
//   transpose2d:    [rows, cols] -> [cols, rows] (the VAE attention's values as matmul's b)
//   convert:        the same elements in another dtype
//   copyColumns:    a block of columns into rows of their own; copyIntoColumns the reverse
//   padBottomRight: NHWC [batch, h, w, c] -> [batch, h + 1, w + 1, c] with a zero last row and
//                   column (the VAE encoder's Downsample pads (0, 1, 0, 1) before its stride-2 conv)
// Copies are split in bands of rows where a tensor exceeds a binding; a transpose must fit one.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>

namespace atelier::ops {

struct LayoutCopyOptions {
    uint64_t maxBindingBytes = 0; // lowers the binding limit (tests reach the bands)
};

// in: [..., rows, cols] seen as 2-D (leading dims fold into rows); out: [cols, rows] elements.
Status transpose2d(vk::CommandBatch& batch, const Tensor& in, Tensor& out, const LayoutCopyOptions& options = {});

// in, out: f32 or f16 of the same element count.
Status convert(vk::CommandBatch& batch, const Tensor& in, Tensor& out, const LayoutCopyOptions& options = {});

// Columns [first, first + count) of in, seen as [rows, cols] (leading dims fold into rows), into out
// as rows of count elements from element outFirst (ops::linear's split of a fused projection).
Status copyColumns(vk::CommandBatch& batch, const Tensor& in, uint64_t first, uint64_t count, Tensor& out,
                   uint64_t outFirst, const LayoutCopyOptions& options = {});

// The reverse: in [rows, count] into columns [first, first + count) of out seen as [rows, cols]
// (a head's attention back into the token-major rows of every head).
Status copyIntoColumns(vk::CommandBatch& batch, const Tensor& in, Tensor& out, uint64_t first,
                       const LayoutCopyOptions& options = {});

Status padBottomRight(vk::CommandBatch& batch, const Tensor& in, Tensor& out, const LayoutCopyOptions& options = {});

} // namespace atelier::ops

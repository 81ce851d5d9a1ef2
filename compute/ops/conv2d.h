#pragma once
// 2-D convolution for the diffusion UNet, VAE and their up/down samplers, as an implicit GEMM (no
// im2col buffer): 1x1 and 3x3 kernels (any kh x kw), any stride and zero padding, an optional bias,
// an optional residual added to the result, and an optional nearest 2x upsample of the input fused
// into the read (diffusers' Upsample2D: interpolate then conv).
//
// Layout: activations are NHWC, [batch, height, width, channels]. Every UNet kernel is happy with
// it: the convolution's K dimension (ky, kx, ci) reads contiguous channels, a 1x1 convolution is a
// plain matmul, the transformer blocks' [batch, tokens, channels] rows are the same memory (no
// permute around attention), LayerNorm and GEGLU work on contiguous rows, GroupNorm's groups are
// contiguous channel runs of each pixel, and skip connections concatenate along the last dim.
// Weights are [outC, kh, kw, inC] (OHWI): repackConvWeight() turns safetensors' [outC, inC, kh, kw]
// into it at load time, so each output channel's K values are one contiguous row, as in matmul().

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstddef>
#include <cstdint>

namespace atelier::ops {

// Which shader computes the convolution. Auto: the rows kernel on CPU devices where it applies
// (f16 weights, inC a multiple of 8, no tile shape asked for), the tiled one otherwise.
enum class Conv2dKernel {
    Auto,
    Tiled,              // conv2d.comp: shared-memory tiles (GPUs)
    Rows,               // conv2d_rows.comp: registers and texel fetches only (CPU devices)
    RowsPixelsFastest,  // the same, consecutive invocations over pixels instead of channels
};

struct Conv2dOptions {
    uint32_t stride = 1;
    uint32_t pad = 0;                 // zero padding on every side (SD: 1 for 3x3, 0 for 1x1)
    bool upsample = false;            // convolve the nearest 2x upsample of `in`
    const Tensor* bias = nullptr;     // [outC], the weight's dtype
    const Tensor* residual = nullptr; // like out, added after the bias (ResnetBlock2D's shortcut)
    // Rows of out per workgroup: 0 chooses by shape and device; else 16 (narrow outC), 64 or 128.
    uint32_t tileRows = 0;
    // Outputs per invocation along each side of 128-row blocks: 8 or 16; 0: 16 on CPU devices.
    uint32_t microTile = 0;
    uint64_t maxBindingBytes = 0;     // lowers the binding limit (tests reach the row bands)
    Conv2dKernel kernel = Conv2dKernel::Auto; // tests force each path on any device
};

// Output rows (or columns) of a convolution of `in` rows with a `kernel` window.
int64_t conv2dOutputSize(int64_t in, int64_t kernel, uint32_t stride, uint32_t pad, bool upsample = false);

// in: f32 or f16 [batch, height, width, inC]; weight: f16 or f32 [outC, kh, kw, inC]; out: in's
// dtype, [batch, outH, outW, outC] with outH = conv2dOutputSize(height, kh, ...). Accumulates in f32.
Status conv2d(vk::CommandBatch& batch, const Tensor& in, const Tensor& weight, Tensor& out,
              const Conv2dOptions& options = {});

// [outC, inC, kh, kw] -> [outC, kh, kw, inC] for elements of elementBytes (2 or 4) bytes.
void repackConvWeight(const void* oihw, void* ohwi, size_t elementBytes, int64_t outC, int64_t inC, int64_t kh,
                      int64_t kw);

} // namespace atelier::ops

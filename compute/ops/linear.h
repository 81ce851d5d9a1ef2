#pragma once
// A Linear layer and what follows it in a transformer block, in as few passes over the activations
// as the device allows:
//   out = [out +] act(x . w^T + bias)
// x [..., K] f32, w [N, K] (matmul's b), bias [N] f32, act a GELU form, and with `residual` the
// result added to what out holds (the residual stream: x += out_proj(...)). With parts > 1 the N
// outputs are parts equal blocks (a fused q/k/v projection) and block p is stored as [M, N / parts]
// at element p * partStride of out, so each part reads as a tensor of its own.
// On CPU devices the rows kernel applies all of it before it stores a value (ops::matmulEpilogue,
// one dispatch); elsewhere it is matmul, then the bias, activation, residual and split passes.

#include "core/result.h"
#include "ops/gelu.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>
#include <optional>

namespace atelier::ops {

struct LinearOptions {
    const Tensor* bias = nullptr;     // [N] f32
    std::optional<GeluForm> activation;
    bool residual = false;            // out += the layer's output (not with parts)
    uint64_t parts = 1;
    uint64_t partStride = 0;          // elements between parts of out; 0: M * N / parts
    // f32, at least M x N elements: where the separate passes keep the product before adding it to
    // out (residual) or splitting it (parts). Needed only where the epilogue is not fused.
    Tensor* scratch = nullptr;
    bool separatePasses = false;      // never fuse (tests compare the two)
};

Status linear(vk::CommandBatch& batch, const Tensor& x, const Tensor& w, Tensor& out, const LinearOptions& options = {});

} // namespace atelier::ops

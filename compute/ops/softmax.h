#pragma once
// Row-wise softmax over the last dimension of an f32 tensor: out = softmax(x * scale), stable for
// inputs of any magnitude (the row maximum is subtracted before exp). x and out may be one tensor.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

namespace atelier::ops {

struct SoftmaxOptions {
    float scale = 1.0f;           // applied to the inputs, e.g. 1/sqrt(head_dim) for attention
    bool sharedReduction = false; // force the shared-memory reduction (tests)
    bool rowPerInvocation = false; // force the one-row-per-invocation kernel CPU devices take (tests)
};

Status softmax(vk::CommandBatch& batch, const Tensor& x, Tensor& out, const SoftmaxOptions& options = {});

} // namespace atelier::ops

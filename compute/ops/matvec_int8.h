#pragma once
// ops::matmul's int8 dot-product matrix-vector path (issue 16): the rows of a are quantized once to
// 8-bit blocks of 32 values with an f32 scale d and the sum d * sum(q) (llama.cpp's Q8_1;
// quantize_q8_1.comp) into the batch's workspace, then matvec_dot.comp takes packed 4x8-bit dot
// products (OpSDotKHR) of them with the weights' own quants, unpacked to signed bytes, and
// multiplies by both blocks' scales once per 32 values. Where the device runs those dot products
// as instructions this reads a quarter of the activation bytes and does a quarter of the
// multiply-adds; lavapipe emulates them, so Auto leaves CPU devices on their rows kernel.

#include "core/dtype.h"
#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"
#include "vk/device_info.h"

#include <cstdint>
#include <optional>

namespace atelier::ops {

// ATELIER_INT8_MATVEC: "on" forces the path wherever Auto would choose (MatmulOptions::int8), "off"
// forbids it, anything else (or unset) leaves the choice to Auto. With "on", LLM weights keep
// their GGUF layouts on CPU devices too (llm/weights.cpp), so every covered type takes the path.
std::optional<bool> int8MatvecFromEnvironment();

// The path has an integer form of b's type (q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k, q6_k) and K
// splits into its blocks.
bool int8MatvecCovers(DType b, uint64_t K);
// The device can run the path at all (shaderIntegerDotProduct, enabled by vk::Device).
bool int8MatvecRuns(const vk::DeviceInfo& info);
// Auto picks it: a GPU that runs packed signed or mixed 4x8-bit dot products as instructions.
bool int8MatvecPreferred(const vk::DeviceInfo& info);

// out = a . b^T through the path (shapes checked by ops::matmul), M in passes of
// kMatrixVectorPassRows; maxBindingBytes and sharedReduction as MatmulOptions has them.
Status matmulInt8(vk::CommandBatch& batch, const Tensor& a, const Tensor& b, Tensor& out, uint64_t maxBindingBytes,
                  bool sharedReduction);

} // namespace atelier::ops

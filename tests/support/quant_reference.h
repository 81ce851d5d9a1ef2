#pragma once
// CPU reference for the weight types the kernels decode, written from ggml's block layouts
// (ggml-common.h) and checked bit-exactly against gguf-py (tests/ops/quant_fixtures.bin).

#include "core/dtype.h"

#include <cstdint>
#include <vector>

namespace atelier::test {

// The k values stored at `data` in `type` (k a multiple of the block), as f32, computed in the
// same order as ggml's dequantize_row_* (products rounded to f32 one at a time).
std::vector<float> dequantizeRow(DType type, const uint8_t* data, int64_t k);
// out[m, n] = a[m, :] · dequantize(b[n, :]) in double, one row of b dequantized at a time (b may be large).
std::vector<float> quantMatmulReference(const std::vector<float>& a, DType type, const std::vector<uint8_t>& b,
                                        int64_t m, int64_t n, int64_t k);

// Storage for `elements` values of `type` with random quant bits and finite, moderate f16 scales
// (dequantized values within about [-2, 2]); plain types get random values in [-1, 1].
std::vector<uint8_t> randomBlocks(DType type, int64_t elements, uint32_t seed);

} // namespace atelier::test

#pragma once
// Block-quantized weights repacked for CPU devices (lavapipe), exactly: the same values, rounded
// the same way, in 32-value blocks whose scales are f32 products computed once at load. lavapipe
// reads weights through 16-byte texel fetches; at one row of a per pass the 256-value K-quant
// blocks were 2.5x (Q4_K) to 5x (Q6_K) slower per value than the 32-value types, and Q8_0's
// 2-byte-aligned 34-byte blocks cost a word shift per block (compute/bench/README.md).
//   Q4_CPU, 24 bytes (from Q4_K): f32 d * scale, f32 -(dmin * min), then 16 bytes in Q4_1's order
//     (byte i holds value i in its low nibble, value i + 16 in its high one): value = d' * q + m'.
//   Q8_CPU, 40 bytes (from Q6_K, Q8_0 and Q5_0): f32 scale of values 0-15, of values 16-31, then
//     32 int8 (Q6_K: d * its 16-value scale and q - 32; Q8_0: d twice and its bytes; Q5_0: d twice
//     and q - 16). Q5_0's 22-byte blocks are 2-byte aligned and decode 5-bit values: as Q8_CPU its
//     matrix products were 8-11% faster at 1, 8 and 64 rows of a (Gemma 3 270M's FFN, 2048 x 640,
//     Sapphire Rapids host, Mesa 22.3), and q, k and v of one type fuse (LayerWeights::wqkv).
// They take a third (Q4_K), a half (Q6_K), a sixth (Q8_0) and 82% (Q5_0) more memory than the
// blocks they come from.

#include "core/dtype.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace atelier {

// The CPU type a block type repacks to, if it has one.
std::optional<DType> cpuRepackedType(DType type);

// `blocks`: whole blocks of a type cpuRepackedType() maps; returns the same values in that type.
std::vector<uint8_t> repackForCpu(DType type, std::span<const uint8_t> blocks);

} // namespace atelier

#pragma once
// Q4_K and Q6_K weights repacked for CPU devices (lavapipe), exactly: the same values, rounded the
// same way, in 32-value blocks whose scales are f32 products computed once at load. lavapipe reads
// weights through 16-byte texel fetches, and at one row of a per pass the 256-value blocks were
// 2.5x (Q4_K) to 5x (Q6_K) slower per value than the 32-value types (compute/bench/README.md).
//   Q4_K_CPU, 24 bytes: f32 d * scale, f32 -(dmin * min), then 16 bytes in Q4_1's order (byte i
//     holds value i in its low nibble, value i + 16 in its high one): value = d' * q + m'.
//   Q6_K_CPU, 40 bytes: f32 d * scale of values 0-15, of values 16-31, then 32 int8 q - 32.
// Both take a third (Q4_K) and a half (Q6_K) more memory than the blocks they come from.

#include "core/dtype.h"

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace atelier {

// The CPU type a block type repacks to, if it has one.
std::optional<DType> cpuRepackedType(DType type);

// `blocks`: whole Q4_K or Q6_K blocks; returns the same values as Q4_K_CPU or Q6_K_CPU blocks.
std::vector<uint8_t> repackForCpu(DType type, std::span<const uint8_t> blocks);

} // namespace atelier

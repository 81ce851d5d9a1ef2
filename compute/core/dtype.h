#pragma once
// Element types of tensors in device memory: plain floats and the ggml block-quantized formats
// that GGUF weights use (kept quantized on the device and dequantized inside the kernels).

#include <cstddef>
#include <cstdint>

namespace atelier {

enum class DType : uint8_t { F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K, Q4_CPU, Q8_CPU };

struct DTypeInfo {
    const char* name;       // "q4_k"
    uint32_t blockElements; // elements per block (1 for plain floats)
    uint32_t blockBytes;    // bytes per block
};

// Block layouts are ggml's (ggml-common.h): e.g. Q4_0 = f16 scale + 32 4-bit values in 18 bytes,
// Q4_K = 256 values in 144 bytes (f16 d, f16 dmin, 12 bytes of 6-bit scales, 128 bytes of nibbles).
// Q4_CPU and Q8_CPU are Q4_K, Q6_K and Q8_0 repacked for CPU devices (core/cpu_repack.h): the same
// values in 32-value blocks with f32 scales, which only the CPU rows kernel and get_rows read.
constexpr DTypeInfo kDTypeInfo[] = {
    {"f32", 1, 4},     {"f16", 1, 2},     {"bf16", 1, 2},    {"q4_0", 32, 18},  {"q4_1", 32, 20},  {"q5_0", 32, 22},
    {"q5_1", 32, 24},  {"q8_0", 32, 34},  {"q4_k", 256, 144}, {"q5_k", 256, 176}, {"q6_k", 256, 210},
    {"q4_cpu", 32, 24}, {"q8_cpu", 32, 40},
};

constexpr const DTypeInfo& dtypeInfo(DType t) { return kDTypeInfo[size_t(t)]; }
constexpr const char* dtypeName(DType t) { return dtypeInfo(t).name; }
constexpr bool isQuantized(DType t) { return dtypeInfo(t).blockElements > 1; }
// Bytes per element of a plain (unquantized) type.
constexpr size_t dtypeSize(DType t) { return dtypeInfo(t).blockBytes; }
// Bytes of `elements` values; for quantized types `elements` must be a multiple of the block.
constexpr uint64_t storageBytes(DType t, uint64_t elements)
{
    return elements / dtypeInfo(t).blockElements * dtypeInfo(t).blockBytes;
}

// IEEE half <-> float on the host, for uploads and CPU references.
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);
// bfloat16 (the top half of an f32) <-> float, rounding to nearest even.
uint16_t floatToBf16(float f);
float bf16ToFloat(uint16_t h);

} // namespace atelier

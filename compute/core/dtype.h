#pragma once
// Element types of tensors in device memory.

#include <cstddef>
#include <cstdint>

namespace atelier {

enum class DType : uint8_t { F32, F16 };

constexpr size_t dtypeSize(DType t) { return t == DType::F32 ? 4 : 2; }
constexpr const char* dtypeName(DType t) { return t == DType::F32 ? "f32" : "f16"; }

// IEEE half <-> float on the host, for uploads and CPU references.
uint16_t floatToHalf(float f);
float halfToFloat(uint16_t h);

} // namespace atelier

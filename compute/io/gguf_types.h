#pragma once
// GGUF metadata value types and ggml tensor types, numbered exactly as on disk.
// Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md; block layouts: ggml-common.h.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace atelier::io {

// Type tag of a metadata value (u32 on disk).
enum class GgufValueType : uint32_t {
    U8 = 0, I8 = 1, U16 = 2, I16 = 3, U32 = 4, I32 = 5, F32 = 6, Bool = 7,
    String = 8, Array = 9, U64 = 10, I64 = 11, F64 = 12,
};

const char* ggufValueTypeName(GgufValueType type);
// Bytes of one fixed-size value; 0 for String and Array, which carry their own lengths.
size_t ggufValueTypeSize(GgufValueType type);
bool isKnownGgufValueType(uint32_t id);
bool isGgufInteger(GgufValueType type);

// Element type of a tensor in a GGUF file (ggml's `ggml_type`, u32 on disk). Ids 4, 5, 31-33 and
// 36-38 were removed from ggml and are rejected as unknown.
enum class GgmlType : uint32_t {
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22,
    IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
    TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41,
};

struct GgmlTypeInfo {
    GgmlType type;
    const char* name;    // as ggml prints it: "q4_K", "f16", ...
    uint32_t blockSize;  // elements per block (1 for plain types)
    uint32_t typeSize;   // bytes per block
};

// nullptr for ids this build does not know.
const GgmlTypeInfo* ggmlTypeInfo(uint32_t id);
const char* ggmlTypeName(GgmlType type);
// Every known type, in id order.
std::span<const GgmlTypeInfo> ggmlTypes();

// One metadata value. Views point into the parsed bytes, which outlive the value.
struct GgufValue {
    GgufValueType type = GgufValueType::U8;         // Array for arrays
    GgufValueType elementType = GgufValueType::U8;  // element type of an array; == type for scalars
    uint64_t count = 1;                             // number of array elements (1 for scalars)
    // Little-endian payload: the scalar, or the packed array elements. String elements keep their
    // u64 length prefixes, so element i of a string array is found by walking (see stringAt).
    std::span<const uint8_t> raw;
    std::string_view text;                          // contents of a scalar string

    bool isArray() const { return type == GgufValueType::Array; }

    // Decoders of element i (0 for a scalar); nullopt when the type does not convert exactly.
    std::optional<int64_t> signedAt(uint64_t i) const;
    std::optional<uint64_t> unsignedAt(uint64_t i) const;
    std::optional<double> floatAt(uint64_t i) const;  // f32 and f64 only
    std::optional<bool> boolAt(uint64_t i) const;
};

} // namespace atelier::io

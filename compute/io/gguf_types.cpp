#include "io/gguf_types.h"

#include <array>
#include <bit>
#include <cstring>
#include <utility>

namespace atelier::io {

static_assert(std::endian::native == std::endian::little,
              "GGUF payloads are read in place as little-endian values");

namespace {

// Block sizes and bytes per block from ggml's type traits (ggml-common.h block structs).
constexpr std::array kTypes = {
    GgmlTypeInfo{GgmlType::F32, "f32", 1, 4},
    GgmlTypeInfo{GgmlType::F16, "f16", 1, 2},
    GgmlTypeInfo{GgmlType::Q4_0, "q4_0", 32, 18},
    GgmlTypeInfo{GgmlType::Q4_1, "q4_1", 32, 20},
    GgmlTypeInfo{GgmlType::Q5_0, "q5_0", 32, 22},
    GgmlTypeInfo{GgmlType::Q5_1, "q5_1", 32, 24},
    GgmlTypeInfo{GgmlType::Q8_0, "q8_0", 32, 34},
    GgmlTypeInfo{GgmlType::Q8_1, "q8_1", 32, 40},
    GgmlTypeInfo{GgmlType::Q2_K, "q2_K", 256, 84},
    GgmlTypeInfo{GgmlType::Q3_K, "q3_K", 256, 110},
    GgmlTypeInfo{GgmlType::Q4_K, "q4_K", 256, 144},
    GgmlTypeInfo{GgmlType::Q5_K, "q5_K", 256, 176},
    GgmlTypeInfo{GgmlType::Q6_K, "q6_K", 256, 210},
    GgmlTypeInfo{GgmlType::Q8_K, "q8_K", 256, 292},
    GgmlTypeInfo{GgmlType::IQ2_XXS, "iq2_xxs", 256, 66},
    GgmlTypeInfo{GgmlType::IQ2_XS, "iq2_xs", 256, 74},
    GgmlTypeInfo{GgmlType::IQ3_XXS, "iq3_xxs", 256, 98},
    GgmlTypeInfo{GgmlType::IQ1_S, "iq1_s", 256, 50},
    GgmlTypeInfo{GgmlType::IQ4_NL, "iq4_nl", 32, 18},
    GgmlTypeInfo{GgmlType::IQ3_S, "iq3_s", 256, 110},
    GgmlTypeInfo{GgmlType::IQ2_S, "iq2_s", 256, 82},
    GgmlTypeInfo{GgmlType::IQ4_XS, "iq4_xs", 256, 136},
    GgmlTypeInfo{GgmlType::I8, "i8", 1, 1},
    GgmlTypeInfo{GgmlType::I16, "i16", 1, 2},
    GgmlTypeInfo{GgmlType::I32, "i32", 1, 4},
    GgmlTypeInfo{GgmlType::I64, "i64", 1, 8},
    GgmlTypeInfo{GgmlType::F64, "f64", 1, 8},
    GgmlTypeInfo{GgmlType::IQ1_M, "iq1_m", 256, 56},
    GgmlTypeInfo{GgmlType::BF16, "bf16", 1, 2},
    GgmlTypeInfo{GgmlType::TQ1_0, "tq1_0", 256, 54},
    GgmlTypeInfo{GgmlType::TQ2_0, "tq2_0", 256, 66},
    GgmlTypeInfo{GgmlType::MXFP4, "mxfp4", 32, 17},
    GgmlTypeInfo{GgmlType::NVFP4, "nvfp4", 64, 36},
    GgmlTypeInfo{GgmlType::Q1_0, "q1_0", 128, 18},
};

template <typename T>
T load(const uint8_t* p)
{
    T v;
    std::memcpy(&v, p, sizeof(T));
    return v;
}

} // namespace

const char* ggufValueTypeName(GgufValueType type)
{
    static constexpr const char* kNames[] = {"u8",  "i8",     "u16",   "i16", "u32", "i32", "f32",
                                             "bool", "string", "array", "u64", "i64", "f64"};
    const auto id = uint32_t(type);
    return id < std::size(kNames) ? kNames[id] : "unknown";
}

size_t ggufValueTypeSize(GgufValueType type)
{
    static constexpr size_t kSizes[] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};
    const auto id = uint32_t(type);
    return id < std::size(kSizes) ? kSizes[id] : 0;
}

bool isKnownGgufValueType(uint32_t id) { return id <= uint32_t(GgufValueType::F64); }

bool isGgufInteger(GgufValueType type)
{
    switch (type) {
    case GgufValueType::U8: case GgufValueType::I8: case GgufValueType::U16:
    case GgufValueType::I16: case GgufValueType::U32: case GgufValueType::I32:
    case GgufValueType::U64: case GgufValueType::I64:
        return true;
    default:
        return false;
    }
}

const GgmlTypeInfo* ggmlTypeInfo(uint32_t id)
{
    for (const GgmlTypeInfo& info : kTypes)
        if (uint32_t(info.type) == id)
            return &info;
    return nullptr;
}

const char* ggmlTypeName(GgmlType type)
{
    const GgmlTypeInfo* info = ggmlTypeInfo(uint32_t(type));
    return info ? info->name : "unknown";
}

std::span<const GgmlTypeInfo> ggmlTypes() { return kTypes; }

std::optional<int64_t> GgufValue::signedAt(uint64_t i) const
{
    if (!isGgufInteger(elementType) || i >= count)
        return std::nullopt;
    const uint8_t* p = raw.data() + i * ggufValueTypeSize(elementType);
    switch (elementType) {
    case GgufValueType::U8: return load<uint8_t>(p);
    case GgufValueType::I8: return load<int8_t>(p);
    case GgufValueType::U16: return load<uint16_t>(p);
    case GgufValueType::I16: return load<int16_t>(p);
    case GgufValueType::U32: return load<uint32_t>(p);
    case GgufValueType::I32: return load<int32_t>(p);
    case GgufValueType::I64: return load<int64_t>(p);
    case GgufValueType::U64: {
        const auto v = load<uint64_t>(p);
        return std::in_range<int64_t>(v) ? std::optional<int64_t>(int64_t(v)) : std::nullopt;
    }
    default: return std::nullopt;
    }
}

std::optional<uint64_t> GgufValue::unsignedAt(uint64_t i) const
{
    if (elementType == GgufValueType::U64 && i < count)
        return load<uint64_t>(raw.data() + i * 8);
    const std::optional<int64_t> v = signedAt(i);
    if (!v || *v < 0)
        return std::nullopt;
    return uint64_t(*v);
}

std::optional<double> GgufValue::floatAt(uint64_t i) const
{
    if (i >= count)
        return std::nullopt;
    if (elementType == GgufValueType::F32)
        return load<float>(raw.data() + i * 4);
    if (elementType == GgufValueType::F64)
        return load<double>(raw.data() + i * 8);
    return std::nullopt;
}

std::optional<bool> GgufValue::boolAt(uint64_t i) const
{
    if (elementType != GgufValueType::Bool || i >= count)
        return std::nullopt;
    return raw[i] != 0;
}

} // namespace atelier::io

#include "core/cpu_repack.h"

#include <cstring>

namespace atelier {

namespace {

float halfAt(const uint8_t* p)
{
    uint16_t h;
    std::memcpy(&h, p, 2);
    return halfToFloat(h);
}

void putFloat(uint8_t* p, float f) { std::memcpy(p, &f, 4); }

// Q4_K: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, then 128 bytes: 64-value chunk c holds
// sub-block 2c in its low nibbles and 2c + 1 in its high ones (ggml's dequantize_row_q4_K).
void repackQ4K(const uint8_t* in, uint8_t* out)
{
    const float d = halfAt(in), dmin = halfAt(in + 2);
    const uint8_t* s = in + 4;
    const uint8_t* qs = in + 16;
    for (int j = 0; j < 8; ++j, out += 24) {
        const int sc = j < 4 ? s[j] & 63 : (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
        const int mn = j < 4 ? s[j + 4] & 63 : (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
        putFloat(out, d * float(sc));
        putFloat(out + 4, -(dmin * float(mn)));
        const uint8_t* chunk = qs + 32 * (j / 2);
        const int shift = 4 * (j % 2);
        for (int i = 0; i < 16; ++i)
            out[8 + i] = uint8_t(((chunk[i] >> shift) & 0xF) | (((chunk[i + 16] >> shift) & 0xF) << 4));
    }
}

// Q6_K: ql[128], qh[64], int8 scales[16], f16 d; value i of each half of 128 (value 32k + l) takes
// 4 bits from ql[l + 32 (k & 1)] (high nibble when k >= 2) and 2 from qh[l] at bit 2k; value i of
// the block has scale i / 16 (ggml's dequantize_row_q6_K).
void repackQ6K(const uint8_t* in, uint8_t* out)
{
    const float d = halfAt(in + 208);
    const auto* scales = reinterpret_cast<const int8_t*>(in + 192);
    for (int b = 0; b < 8; ++b, out += 40) {
        putFloat(out, d * float(scales[2 * b]));
        putFloat(out + 4, d * float(scales[2 * b + 1]));
        for (int v = 0; v < 32; ++v) {
            const int i = 32 * b + v, h = i / 128, k = (i % 128) / 32, l = i % 32;
            const uint8_t* ql = in + 64 * h;
            const uint8_t* qh = in + 128 + 32 * h;
            const int low = (ql[l + 32 * (k & 1)] >> (4 * (k / 2))) & 0xF;
            const int high = (qh[l] >> (2 * k)) & 3;
            out[8 + v] = uint8_t(int8_t((low | (high << 4)) - 32));
        }
    }
}

// Q8_0: f16 d, int8 qs[32] -> one Q8_CPU block with d as both scales.
void repackQ80(const uint8_t* in, uint8_t* out)
{
    const float d = halfAt(in);
    putFloat(out, d);
    putFloat(out + 4, d);
    std::memcpy(out + 8, in + 2, 32);
}

// Q5_0: f16 d, qh[4], qs[16]; value j takes the low nibble of qs[j] (j < 16) or the high one of
// qs[j - 16], and bit j of qh as its fifth bit; it is d * (q - 16) (ggml's dequantize_row_q5_0).
void repackQ50(const uint8_t* in, uint8_t* out)
{
    const float d = halfAt(in);
    uint32_t qh;
    std::memcpy(&qh, in + 2, 4);
    const uint8_t* qs = in + 6;
    putFloat(out, d);
    putFloat(out + 4, d);
    for (int j = 0; j < 32; ++j) {
        const int low = j < 16 ? qs[j] & 0xF : qs[j - 16] >> 4;
        out[8 + j] = uint8_t(int8_t((low | int(((qh >> j) & 1u) << 4)) - 16));
    }
}

} // namespace

std::optional<DType> cpuRepackedType(DType type)
{
    switch (type) {
    case DType::Q4_K: return DType::Q4_CPU;
    case DType::Q5_0:
    case DType::Q6_K:
    case DType::Q8_0: return DType::Q8_CPU;
    default: return std::nullopt;
    }
}

std::vector<uint8_t> repackForCpu(DType type, std::span<const uint8_t> blocks)
{
    const auto target = cpuRepackedType(type);
    if (!target)
        return {};
    const uint32_t inBytes = dtypeInfo(type).blockBytes;
    const uint32_t outBytes = dtypeInfo(type).blockElements / 32 * dtypeInfo(*target).blockBytes;
    const size_t count = blocks.size() / inBytes;
    std::vector<uint8_t> out(count * outBytes);
    for (size_t i = 0; i < count; ++i) {
        const uint8_t* in = blocks.data() + i * inBytes;
        uint8_t* dst = out.data() + i * outBytes;
        if (type == DType::Q4_K)
            repackQ4K(in, dst);
        else if (type == DType::Q6_K)
            repackQ6K(in, dst);
        else if (type == DType::Q5_0)
            repackQ50(in, dst);
        else
            repackQ80(in, dst);
    }
    return out;
}

} // namespace atelier

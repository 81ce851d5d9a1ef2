#include "quant_reference.h"

#include <algorithm>
#include <cstring>
#include <random>

// Compiled with -ffp-contract=off (CMakeLists.txt): fused multiply-adds would change the last bit.

namespace atelier::test {

namespace {

float half(const uint8_t* p) { return halfToFloat(uint16_t(p[0] | p[1] << 8)); }
uint32_t word(const uint8_t* p) { return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24; }

// q4_0, q4_1, q5_0, q5_1: 32 values; byte j of qs holds value j (low nibble) and j + 16 (high);
// bit i of qh is the fifth bit of value i. Type 0: d * (q - offset); type 1: d * q + m.
void legacyBlock(DType type, const uint8_t* b, float* y)
{
    const bool hasMin = type == DType::Q4_1 || type == DType::Q5_1;
    const bool fiveBits = type == DType::Q5_0 || type == DType::Q5_1;
    const float d = half(b);
    const float m = hasMin ? half(b + 2) : 0.0f;
    const uint8_t* p = b + (hasMin ? 4 : 2);
    const uint32_t qh = fiveBits ? word(p) : 0;
    const uint8_t* qs = p + (fiveBits ? 4 : 0);
    const int offset = hasMin ? 0 : fiveBits ? 16 : 8;
    for (int i = 0; i < 32; ++i) {
        const int low = i < 16 ? qs[i] & 0xF : qs[i - 16] >> 4;
        const int q = low | int((qh >> i) & 1) << 4;
        y[i] = hasMin ? d * float(q) + m : d * float(q - offset);
    }
}

// q4_k, q5_k: 8 sub-blocks of 32 with 6-bit scales and mins packed in 12 bytes.
void scaleMin(const uint8_t* s, int j, int& sc, int& mn)
{
    if (j < 4) {
        sc = s[j] & 63;
        mn = s[j + 4] & 63;
    } else {
        sc = (s[j + 4] & 0xF) | (s[j - 4] >> 6) << 4;
        mn = (s[j + 4] >> 4) | (s[j] >> 6) << 4;
    }
}

void kBlock(bool fiveBits, const uint8_t* b, float* y)
{
    const float d = half(b), dmin = half(b + 2);
    const uint8_t* scales = b + 4;
    const uint8_t* qh = b + 16;
    const uint8_t* qs = b + (fiveBits ? 48 : 16);
    for (int j = 0; j < 8; ++j) {
        int sc, mn;
        scaleMin(scales, j, sc, mn);
        const float d1 = d * float(sc), m1 = dmin * float(mn);
        for (int l = 0; l < 32; ++l) {
            const uint8_t byte = qs[32 * (j / 2) + l];
            int q = j % 2 ? byte >> 4 : byte & 0xF;
            if (fiveBits)
                q |= (qh[l] >> j & 1) << 4;
            y[32 * j + l] = d1 * float(q) - m1;
        }
    }
}

// q6_k: in each half of 128 values, value 32r + l has 4 bits in ql[64h + l + 32 (r & 1)] (high
// nibble for r >= 2) and 2 bits at bit 2r of qh[32h + l]; one int8 scale per 16 values.
void q6kBlock(const uint8_t* b, float* y)
{
    const uint8_t* ql = b;
    const uint8_t* qh = b + 128;
    const int8_t* scales = reinterpret_cast<const int8_t*>(b + 192);
    const float d = half(b + 208);
    for (int e = 0; e < 256; ++e) {
        const int h = e / 128, r = e / 32 % 4, l = e % 32;
        const uint8_t byte = ql[64 * h + 32 * (r & 1) + l];
        const int q = ((r >= 2 ? byte >> 4 : byte & 0xF) | (qh[32 * h + l] >> (2 * r) & 3) << 4) - 32;
        y[e] = d * float(scales[e / 16]) * float(q);
    }
}

} // namespace

std::vector<float> dequantizeRow(DType type, const uint8_t* data, int64_t k)
{
    std::vector<float> y(size_t(k), 0.0f);
    const DTypeInfo& info = dtypeInfo(type);
    for (int64_t blk = 0; blk < k / info.blockElements; ++blk) {
        const uint8_t* b = data + blk * info.blockBytes;
        float* out = y.data() + blk * info.blockElements;
        switch (type) {
        case DType::F32:
            std::memcpy(out, b, 4);
            break;
        case DType::F16:
            *out = half(b);
            break;
        case DType::BF16:
            *out = bf16ToFloat(uint16_t(b[0] | b[1] << 8));
            break;
        case DType::Q4_0:
        case DType::Q4_1:
        case DType::Q5_0:
        case DType::Q5_1:
            legacyBlock(type, b, out);
            break;
        case DType::Q8_0:
            for (int i = 0; i < 32; ++i)
                out[i] = float(int8_t(b[2 + i])) * half(b);
            break;
        case DType::Q4_K:
        case DType::Q5_K:
            kBlock(type == DType::Q5_K, b, out);
            break;
        case DType::Q6_K:
            q6kBlock(b, out);
            break;
        case DType::Q4_CPU: // core/cpu_repack.h: f32 d, f32 m, Q4_1's nibbles
        case DType::Q8_CPU: { // f32 scales of values 0-15 and 16-31, int8 values
            float s[2];
            std::memcpy(s, b, 8);
            for (int i = 0; i < 32; ++i)
                out[i] = type == DType::Q8_CPU ? s[i / 16] * float(int8_t(b[8 + i]))
                                               : s[0] * float((b[8 + i % 16] >> (4 * (i / 16))) & 0xF) + s[1];
            break;
        }
        }
    }
    return y;
}

std::vector<uint8_t> randomBlocks(DType type, int64_t elements, uint32_t seed)
{
    std::mt19937 rng(seed);
    std::vector<uint8_t> bytes(storageBytes(type, uint64_t(elements)));
    for (size_t i = 0; i < bytes.size(); i += 4) {
        const uint32_t r = rng();
        std::memcpy(bytes.data() + i, &r, std::min<size_t>(4, bytes.size() - i));
    }
    std::uniform_real_distribution<float> unit(-1.0f, 1.0f), mag(0.25f, 1.0f);
    auto put16 = [&](uint8_t* p, uint16_t v) {
        p[0] = uint8_t(v);
        p[1] = uint8_t(v >> 8);
    };
    // f16 of magnitude in [scale / 4, scale] with a random sign.
    auto scaleAt = [&](uint8_t* p, float scale) { put16(p, floatToHalf((rng() & 1 ? -scale : scale) * mag(rng))); };
    const DTypeInfo& info = dtypeInfo(type);
    for (size_t at = 0; at < bytes.size(); at += info.blockBytes) {
        uint8_t* b = bytes.data() + at;
        switch (type) {
        case DType::F32: {
            const float v = unit(rng);
            std::memcpy(b, &v, 4);
            break;
        }
        case DType::F16: put16(b, floatToHalf(unit(rng))); break;
        case DType::BF16: put16(b, floatToBf16(unit(rng))); break;
        case DType::Q4_0: scaleAt(b, 1.0f / 8); break;
        case DType::Q5_0: scaleAt(b, 1.0f / 16); break;
        case DType::Q8_0: scaleAt(b, 1.0f / 128); break;
        case DType::Q4_1: scaleAt(b, 1.0f / 16); scaleAt(b + 2, 1.0f); break;
        case DType::Q5_1: scaleAt(b, 1.0f / 32); scaleAt(b + 2, 1.0f); break;
        case DType::Q4_K: scaleAt(b, 1.0f / 512); scaleAt(b + 2, 1.0f / 64); break;
        case DType::Q5_K: scaleAt(b, 1.0f / 1024); scaleAt(b + 2, 1.0f / 64); break;
        case DType::Q6_K: scaleAt(b + 208, 1.0f / 2048); break;
        case DType::Q4_CPU: // made by repacking random Q4_K, Q6_K or Q8_0 blocks (core/cpu_repack.h)
        case DType::Q8_CPU: break;
        }
    }
    return bytes;
}

std::vector<float> quantMatmulReference(const std::vector<float>& a, DType type, const std::vector<uint8_t>& b,
                                        int64_t m, int64_t n, int64_t k)
{
    std::vector<float> out(size_t(m * n));
    const uint64_t rowBytes = storageBytes(type, uint64_t(k));
    for (int64_t j = 0; j < n; ++j) {
        const std::vector<float> row = dequantizeRow(type, b.data() + j * rowBytes, k);
        for (int64_t i = 0; i < m; ++i) {
            double sum = 0;
            for (int64_t l = 0; l < k; ++l)
                sum += double(a[size_t(i * k + l)]) * double(row[size_t(l)]);
            out[size_t(i * n + j)] = float(sum);
        }
    }
    return out;
}

} // namespace atelier::test

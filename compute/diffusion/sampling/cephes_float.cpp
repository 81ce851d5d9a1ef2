#include "diffusion/sampling/cephes_float.h"

#include <bit>
#include <cmath>
#include <cstdint>

// PyTorch builds its AVX2 kernels with -mavx2 -mfma and GCC's default -ffp-contract=fast, so GCC fuses
// every _mm256_mul_ps whose only use is an add or subtract into a multiply-add. The std::fma calls
// below are exactly those fusions (found by comparing with torch's output, and over all 2^24 inputs the
// kernel can receive); every other operation is one float operation in the order of the vector code.
// No a*b+c is left for our own compiler to contract except a*b+0, which rounds the same either way.

namespace atelier::diffusion::cephes {
namespace {

float select(bool mask, float value) { return mask ? value : 0.0f; } // _mm256_and_ps(mask, value)

} // namespace

float log(float x)
{
    constexpr float kSqrtHalf = 0.707106781186547524f;
    constexpr float kP[9] = {7.0376836292E-2f,  -1.1514610310E-1f, 1.1676998740E-1f,
                             -1.2420140846E-1f, +1.4249322787E-1f, -1.6668057665E-1f,
                             +2.0000714765E-1f, -2.4999993993E-1f, +3.3333331174E-1f};
    constexpr float kQ1 = -2.12194440e-4f;
    constexpr float kQ2 = 0.693359375f;

    const bool invalid = !(x > 0.0f);
    if (x < 0x1.0p-126f) // _mm256_max_ps(x, min_norm_pos)
        x = 0x1.0p-126f;
    uint32_t bits = std::bit_cast<uint32_t>(x);
    const int32_t exponent = int32_t(bits >> 23) - 0x7f;
    bits = (bits & ~0x7f800000u) | std::bit_cast<uint32_t>(0.5f);
    x = std::bit_cast<float>(bits); // mantissa in [0.5, 1)
    float e = float(exponent);
    e = e + 1.0f;

    const bool small = x < kSqrtHalf;
    const float tmp0 = select(small, x);
    x = x - 1.0f;
    e = e - select(small, 1.0f);
    x = x + tmp0;

    const float z = x * x;
    float y = kP[0];
    for (int i = 1; i < 9; ++i)
        y = std::fma(y, x, kP[i]);
    y = y * x;
    y = std::fma(y, z, e * kQ1);
    y = std::fma(-z, 0.5f, y);
    x = x + y;
    x = std::fma(e, kQ2, x);
    return invalid ? std::bit_cast<float>(0xFFFFFFFFu) : x; // x | all-ones mask: NaN
}

void sincos(float x, float* sine, float* cosine)
{
    constexpr float kFourOverPi = 1.27323954473516f;
    constexpr float kMinusDp1 = -0.78515625f;
    constexpr float kMinusDp2 = -2.4187564849853515625e-4f;
    constexpr float kMinusDp3 = -3.77489497744594108e-8f;
    constexpr float kSin[3] = {-1.9515295891E-4f, 8.3321608736E-3f, -1.6666654611E-1f};
    constexpr float kCos[3] = {2.443315711809948E-005f, -1.388731625493765E-003f, 4.166664568298827E-002f};

    uint32_t signSin = std::bit_cast<uint32_t>(x) & 0x80000000u;
    x = std::bit_cast<float>(std::bit_cast<uint32_t>(x) & 0x7FFFFFFFu);

    float y = x * kFourOverPi;
    int32_t j = int32_t(y); // _mm256_cvttps_epi32 truncates; y < 2^31 for the inputs torch gives
    j = (j + 1) & ~1;
    y = float(j);
    const uint32_t swapSignSin = uint32_t(j & 4) << 29;
    const bool polyMask = (j & 2) == 0;

    // "Extended precision modular arithmetic": x = ((x - y*DP1) - y*DP2) - y*DP3.
    x = std::fma(y, kMinusDp1, x);
    x = std::fma(y, kMinusDp2, x);
    x = std::fma(y, kMinusDp3, x);

    const uint32_t signCos = uint32_t(~(j - 2) & 4) << 29;
    signSin ^= swapSignSin;

    const float z = x * x;
    float c = kCos[0];
    c = std::fma(c, z, kCos[1]);
    c = std::fma(c, z, kCos[2]);
    c = c * z;
    c = std::fma(c, z, -(z * 0.5f));
    c = c + 1.0f;

    float s = kSin[0];
    s = std::fma(s, z, kSin[1]);
    s = std::fma(s, z, kSin[2]);
    s = s * z;
    s = std::fma(s, x, x);

    const float sinFromSin = select(polyMask, s);
    const float sinFromCos = select(!polyMask, c);
    s = s - sinFromSin;
    c = c - sinFromCos;
    const float sinValue = sinFromCos + sinFromSin;
    const float cosValue = c + s;
    *sine = std::bit_cast<float>(std::bit_cast<uint32_t>(sinValue) ^ signSin);
    *cosine = std::bit_cast<float>(std::bit_cast<uint32_t>(cosValue) ^ signCos);
}

} // namespace atelier::diffusion::cephes

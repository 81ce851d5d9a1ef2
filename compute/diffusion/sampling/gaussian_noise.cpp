#include "diffusion/sampling/gaussian_noise.h"

#include "diffusion/sampling/cephes_float.h"

#include <cmath>
#include <numbers>

namespace atelier::diffusion {

GaussianNoise::GaussianNoise(uint64_t seed, NormalKernel kernel)
    : mSeed(seed), mKernel(kernel), mEngine(static_cast<uint32_t>(seed)) // at::mt19937 keeps the low 32 bits
{
}

uint64_t GaussianNoise::random64()
{
    const uint64_t hi = random32();
    const uint64_t lo = random32();
    return (hi << 32) | lo; // at::detail::make64BitsFrom32Bits(hi, lo)
}

double GaussianNoise::normalDouble()
{
    if (mNextNormal) {
        const double cached = *mNextNormal;
        mNextNormal.reset();
        return cached;
    }
    // uniform_real_distribution<double>: 53 random bits scaled into [0, 1).
    const double u1 = double(random64() & ((uint64_t(1) << 53) - 1)) * 0x1.0p-53;
    const double u2 = double(random64() & ((uint64_t(1) << 53) - 1)) * 0x1.0p-53;
    const double r = std::sqrt(-2.0 * std::log1p(-u2));
    const double theta = 2.0 * std::numbers::pi * u1;
    mNextNormal = r * std::sin(theta);
    return r * std::cos(theta);
}

// Box-Muller on one block of 16 uniforms, in place: element j (j < 8) pairs with j + 8.
void GaussianNoise::boxMuller16(float* block) const
{
    constexpr float kTwoPi = float(2.0 * std::numbers::pi); // _mm256_set1_ps(2.0f * c10::pi<double>)
    for (int j = 0; j < 8; ++j) {
        const float u1 = 1.0f - block[j]; // [0, 1) -> (0, 1] for the log
        const float u2 = block[j + 8];
        float radius, sine, cosine;
        if (mKernel == NormalKernel::Avx2) {
            const float logU1 = cephes::log(u1);
            radius = std::sqrt(-2.0f * logU1);
            const float theta = kTwoPi * u2;
            cephes::sincos(theta, &sine, &cosine);
        } else {
            radius = std::sqrt(-2.0f * std::log(u1));
            // torch writes 2.0f * c10::pi<double> * u2: the angle is formed in double, stored as float.
            const float theta = float(2.0 * std::numbers::pi * double(u2));
            sine = std::sin(theta);
            cosine = std::cos(theta);
        }
        // fma(n, std = 1, mean = 0) is n itself, except that -0 becomes +0.
        block[j] = radius * cosine + 0.0f;
        block[j + 8] = radius * sine + 0.0f;
    }
}

void GaussianNoise::fill(std::span<float> out)
{
    const size_t n = out.size();
    if (n < 16) {
        for (float& v : out)
            v = float(normalDouble());
        return;
    }
    for (float& v : out)
        v = uniform24();
    for (size_t i = 0; i + 16 <= n; i += 16)
        boxMuller16(out.data() + i);
    if (n % 16 != 0) {
        float* tail = out.data() + n - 16;
        for (int i = 0; i < 16; ++i)
            tail[i] = uniform24();
        boxMuller16(tail);
    }
}

std::vector<float> GaussianNoise::draw(size_t count)
{
    std::vector<float> values(count);
    fill(values);
    return values;
}

} // namespace atelier::diffusion

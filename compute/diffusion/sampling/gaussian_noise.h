#pragma once
// Seeded standard-normal float32 noise that reproduces PyTorch's CPU generator bit for bit:
// GaussianNoise(seed).draw(n) equals torch.randn(n, generator=torch.Generator().manual_seed(seed)),
// and successive draws continue the same stream as successive torch.randn calls on that generator.
// A1111's "CPU" RNG source uses exactly this, so seeds give the same picture on every GPU vendor.
//
// How torch does it (aten/src/ATen/native/cpu/DistributionTemplates.h, core/DistributionsHelper.h):
//  - mt19937 seeded with the low 32 bits of the seed;
//  - n >= 16: n uniforms (24-bit: (u32 & 0xFFFFFF) * 2^-24), then Box-Muller in place on each block
//    of 16, pairing element j with j + 8 (cos into j, sin into j + 8); when n % 16 != 0 the last 16
//    elements are drawn again from 16 fresh uniforms and transformed once more;
//  - n < 16: element by element in double (53-bit uniforms from two u32, u1 for the angle, u2 for the
//    radius, the sine half cached in the generator for the next element, also across calls).
// The block transform differs by CPU: x86-64 builds with AVX2 (nearly every desktop CPU, AVX-512 ones
// included) use the Cephes polynomials of avx_mathfun.h, others libm's logf/cosf/sinf. Both are here.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <span>
#include <vector>

namespace atelier::diffusion {

enum class NormalKernel {
    Avx2,    // torch on x86-64 with AVX2: avx_mathfun.h's log256_ps and sincos256_ps, emulated exactly
    Generic, // torch's portable path: libm logf/cosf/sinf (bit-exact where libm is glibc's)
};

class GaussianNoise {
public:
    explicit GaussianNoise(uint64_t seed, NormalKernel kernel = NormalKernel::Avx2);

    // Fills `out` as torch.randn(out.size()) on this generator would (a contiguous float32 tensor).
    void fill(std::span<float> out);
    std::vector<float> draw(size_t count);

    uint64_t seed() const { return mSeed; }
    NormalKernel kernel() const { return mKernel; }

private:
    uint32_t random32() { return static_cast<uint32_t>(mEngine()); }
    uint64_t random64();
    float uniform24() { return float(random32() & 0xFFFFFFu) * 0x1.0p-24f; }
    double normalDouble(); // at::normal_distribution<double>, with the cached second value
    void boxMuller16(float* block) const;

    uint64_t mSeed;
    NormalKernel mKernel;
    std::mt19937 mEngine;
    std::optional<double> mNextNormal;
};

} // namespace atelier::diffusion

#include "diffusion/sampling/gaussian_noise.h"
#include "diffusion/sampling/samplers.h"

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {
namespace {

struct AncestralStep {
    double down; // the level the deterministic step goes to
    double up;   // the standard deviation of the noise added after it
};

// k-diffusion get_ancestral_step.
AncestralStep ancestralStep(double from, double to, double eta)
{
    if (eta == 0.0)
        return {to, 0.0};
    const double up = std::min(to, eta * std::sqrt(to * to * (from * from - to * to) / (from * from)));
    return {std::sqrt(to * to - up * up), up};
}

} // namespace

Result<Latent> EulerAncestralSampler::run(Latent x, std::span<const double> sigmas, const Denoise& denoise)
{
    Latent noise(x.size());
    for (int i = 0; i + 1 < int(sigmas.size()); ++i) {
        ATELIER_ASSIGN(const Latent denoised, denoiseStep(x, sigmas, i, denoise));
        const double sigma = sigmas[size_t(i)];
        const double next = sigmas[size_t(i) + 1];
        const AncestralStep step = ancestralStep(sigma, next, mEta);
        const double dt = step.down - sigma;
        for (size_t k = 0; k < x.size(); ++k) {
            const double d = (double(x[k]) - double(denoised[k])) / sigma;
            x[k] = float(double(x[k]) + d * dt);
        }
        if (next > 0.0) {
            mNoise.fill(noise);
            for (size_t k = 0; k < x.size(); ++k)
                x[k] = float(double(x[k]) + double(noise[k]) * step.up);
        }
    }
    return x;
}

} // namespace atelier::diffusion

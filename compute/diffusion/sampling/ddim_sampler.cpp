#include "diffusion/sampling/samplers.h"

#include <cmath>

namespace atelier::diffusion {

double DdimSampler::initialNoiseScale(double sigma) const { return std::sqrt(sigma * sigma + 1.0); }

// diffusers computes x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps on x_vp = x / sqrt(sigma^2 + 1);
// with sigma = sqrt((1 - a) / a) that is x_prev = x0 + sigma_prev * eps in k-diffusion scaling, and
// eps = (x - x0) / sigma: an Euler step.
Result<Latent> DdimSampler::run(Latent x, std::span<const double> sigmas, const Denoise& denoise)
{
    for (int i = 0; i + 1 < int(sigmas.size()); ++i) {
        ATELIER_ASSIGN(const Latent denoised, denoiseStep(x, sigmas, i, denoise));
        const double sigma = sigmas[size_t(i)];
        const double next = sigmas[size_t(i) + 1];
        for (size_t k = 0; k < x.size(); ++k) {
            const double eps = (double(x[k]) - double(denoised[k])) / sigma;
            x[k] = float(double(denoised[k]) + next * eps);
        }
    }
    const double last = sigmas.back();
    if (last > 0.0) {
        const double toVariancePreserving = 1.0 / std::sqrt(last * last + 1.0);
        for (float& v : x)
            v = float(double(v) * toVariancePreserving);
    }
    return x;
}

} // namespace atelier::diffusion

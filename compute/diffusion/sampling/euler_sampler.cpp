#include "diffusion/sampling/samplers.h"

namespace atelier::diffusion {

Result<Latent> EulerSampler::run(Latent x, std::span<const double> sigmas, const Denoise& denoise)
{
    for (int i = 0; i + 1 < int(sigmas.size()); ++i) {
        ATELIER_ASSIGN(const Latent denoised, denoiseStep(x, sigmas, i, denoise));
        const double sigma = sigmas[size_t(i)];
        const double dt = sigmas[size_t(i) + 1] - sigma;
        for (size_t k = 0; k < x.size(); ++k) {
            const double d = (double(x[k]) - double(denoised[k])) / sigma;
            x[k] = float(double(x[k]) + d * dt);
        }
    }
    return x;
}

} // namespace atelier::diffusion

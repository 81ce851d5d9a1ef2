#include "diffusion/sampling/samplers.h"

#include <cmath>

namespace atelier::diffusion {

// In log-SNR time t = -log(sigma) with h = t_next - t, the first-order update is
// x_next = (sigma_next / sigma) x - expm1(-h) D; the second order replaces D by
// (1 + 1/(2r)) D - 1/(2r) D_prev with r = h_prev / h. The last step to 0 returns D.
Result<Latent> DpmPp2MSampler::run(Latent x, std::span<const double> sigmas, const Denoise& denoise)
{
    Latent previous;
    for (int i = 0; i + 1 < int(sigmas.size()); ++i) {
        ATELIER_ASSIGN(Latent denoised, denoiseStep(x, sigmas, i, denoise));
        const double sigma = sigmas[size_t(i)];
        const double next = sigmas[size_t(i) + 1];
        if (next == 0.0) {
            x = denoised;
            previous = std::move(denoised);
            continue;
        }
        const double t = -std::log(sigma);
        const double h = -std::log(next) - t;
        const double ratio = next / sigma;
        const double weight = -std::expm1(-h);
        if (previous.empty()) {
            for (size_t k = 0; k < x.size(); ++k)
                x[k] = float(ratio * double(x[k]) + weight * double(denoised[k]));
        } else {
            const double hLast = t + std::log(sigmas[size_t(i) - 1]);
            const double r = hLast / h;
            const double a = 1.0 + 1.0 / (2.0 * r);
            const double b = 1.0 / (2.0 * r);
            for (size_t k = 0; k < x.size(); ++k) {
                const double d = a * double(denoised[k]) - b * double(previous[k]);
                x[k] = float(ratio * double(x[k]) + weight * d);
            }
        }
        previous = std::move(denoised);
    }
    return x;
}

} // namespace atelier::diffusion

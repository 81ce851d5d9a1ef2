#include "diffusion/sampling/samplers.h"

#include <vector>

namespace atelier::diffusion {

Result<Latent> HeunSampler::run(Latent x, std::span<const double> sigmas, const Denoise& denoise)
{
    std::vector<double> slope(x.size());
    Latent predicted(x.size());
    for (int i = 0; i + 1 < int(sigmas.size()); ++i) {
        ATELIER_ASSIGN(const Latent denoised, denoiseStep(x, sigmas, i, denoise));
        const double sigma = sigmas[size_t(i)];
        const double next = sigmas[size_t(i) + 1];
        const double dt = next - sigma;
        for (size_t k = 0; k < x.size(); ++k) {
            const double d = (double(x[k]) - double(denoised[k])) / sigma;
            slope[k] = d;
            predicted[k] = float(double(x[k]) + d * dt);
        }
        if (next == 0.0) {
            x = predicted; // Euler for the last step to 0
            continue;
        }
        ATELIER_ASSIGN(const Latent denoised2, denoise(predicted, next));
        if (denoised2.size() != x.size())
            return makeError(ErrorCode::InvalidArgument, "the denoiser changed the latent's size");
        for (size_t k = 0; k < x.size(); ++k) {
            const double d2 = (double(predicted[k]) - double(denoised2[k])) / next;
            x[k] = float(double(x[k]) + (slope[k] + d2) / 2.0 * dt);
        }
    }
    return x;
}

} // namespace atelier::diffusion

#include "diffusion/sampling/gaussian_noise.h"
#include "diffusion/sampling/samplers.h"

#include <cmath>

namespace atelier::diffusion {

double LcmSampler::initialNoiseScale(double sigma) const { return std::sqrt(sigma * sigma + 1.0); }

Result<Latent> LcmSampler::run(Latent x, std::span<const double> sigmas, const Denoise& denoise)
{
    constexpr double kSigmaData = 0.5;
    constexpr double kTimestepScaling = 10.0;
    const int steps = int(sigmas.size()) - 1;
    Latent noise(x.size());
    for (int i = 0; i < steps; ++i) {
        ATELIER_ASSIGN(const Latent denoised, denoiseStep(x, sigmas, i, denoise));
        const double sigma = sigmas[size_t(i)];
        // LCMScheduler.get_scalings_for_boundary_condition_discrete at the step's timestep.
        const double scaled = mSchedule.timestepAt(sigma) * kTimestepScaling;
        const double cSkip = kSigmaData * kSigmaData / (scaled * scaled + kSigmaData * kSigmaData);
        const double cOut = scaled / std::sqrt(scaled * scaled + kSigmaData * kSigmaData);
        const double toVariancePreserving = 1.0 / std::sqrt(sigma * sigma + 1.0);
        for (size_t k = 0; k < x.size(); ++k)
            x[k] = float(cOut * double(denoised[k]) + cSkip * toVariancePreserving * double(x[k]));
        if (i + 1 == steps)
            break; // the last step returns the estimate itself
        // x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) z in diffusers is x0 + sigma_prev z here.
        const double next = sigmas[size_t(i) + 1];
        mNoise.fill(noise);
        for (size_t k = 0; k < x.size(); ++k)
            x[k] = float(double(x[k]) + next * double(noise[k]));
    }
    return x;
}

} // namespace atelier::diffusion

#include "diffusion/sampling/sampler.h"

#include "diffusion/sampling/samplers.h"

#include <string>

namespace atelier::diffusion {

Result<Latent> Sampler::sample(Latent x, std::span<const double> sigmas, const Denoise& denoise,
                               const StepCallback& onStep)
{
    if (sigmas.size() < 2)
        return makeError(ErrorCode::InvalidArgument, "a sampler needs at least two noise levels");
    if (x.empty())
        return makeError(ErrorCode::InvalidArgument, "empty latent");
    for (size_t i = 0; i + 1 < sigmas.size(); ++i) {
        if (!(sigmas[i] > sigmas[i + 1]) || sigmas[i + 1] < 0.0)
            return makeError(ErrorCode::InvalidArgument, "noise levels must decrease to a level >= 0 (level " +
                                                             std::to_string(i + 1) + ")");
    }
    mOnStep = onStep ? &onStep : nullptr;
    auto result = run(std::move(x), sigmas, denoise);
    mOnStep = nullptr;
    return result;
}

Result<Latent> Sampler::denoiseStep(const Latent& x, std::span<const double> sigmas, int step, const Denoise& denoise)
{
    ATELIER_ASSIGN(Latent denoised, denoise(x, sigmas[size_t(step)]));
    if (denoised.size() != x.size())
        return makeError(ErrorCode::InvalidArgument, "the denoiser returned " + std::to_string(denoised.size()) +
                                                         " values for a latent of " + std::to_string(x.size()));
    if (mOnStep) {
        const StepProgress progress{step, int(sigmas.size()) - 1, sigmas[size_t(step)], x, denoised};
        if (!(*mOnStep)(progress))
            return makeError(ErrorCode::Cancelled, "sampling stopped at step " + std::to_string(step + 1));
    }
    return denoised;
}

std::unique_ptr<Sampler> makeSampler(SamplerKind kind, const NoiseSchedule& schedule, GaussianNoise& noise)
{
    switch (kind) {
    case SamplerKind::Euler:
        return std::make_unique<EulerSampler>();
    case SamplerKind::EulerAncestral:
        return std::make_unique<EulerAncestralSampler>(noise);
    case SamplerKind::Heun:
        return std::make_unique<HeunSampler>();
    case SamplerKind::DpmPp2M:
        return std::make_unique<DpmPp2MSampler>();
    case SamplerKind::Ddim:
        return std::make_unique<DdimSampler>();
    case SamplerKind::Lcm:
        return std::make_unique<LcmSampler>(schedule, noise);
    }
    return nullptr;
}

Result<Latent> startingLatent(const Sampler& sampler, double startSigma, std::span<const float> noise,
                              std::span<const float> encoded)
{
    Latent x(noise.size());
    if (encoded.empty()) {
        const double scale = sampler.initialNoiseScale(startSigma);
        for (size_t i = 0; i < x.size(); ++i)
            x[i] = float(double(noise[i]) * scale);
        return x;
    }
    if (encoded.size() != noise.size())
        return makeError(ErrorCode::InvalidArgument, "img2img needs noise the size of the encoded latent (" +
                                                         std::to_string(encoded.size()) + "), got " +
                                                         std::to_string(noise.size()));
    for (size_t i = 0; i < x.size(); ++i)
        x[i] = float(double(encoded[i]) + double(noise[i]) * startSigma);
    return x;
}

} // namespace atelier::diffusion

#pragma once
// A sampler walks a latent down a list of noise levels, asking the denoiser for an x0 estimate at
// each. Latents are in k-diffusion's scaling (x = x0 + sigma * noise); the denoiser runs the UNet
// (model_denoiser.h), so samplers are plain host arithmetic on a few thousand floats.

#include "core/result.h"
#include "diffusion/sampling/latent.h"
#include "diffusion/sampling/sampler_kind.h"

#include <functional>
#include <memory>
#include <span>

namespace atelier::diffusion {

class GaussianNoise;
class NoiseSchedule;

// D(x, sigma): the denoised (x0) estimate. An error (Cancelled, DeviceLost, ...) ends the run with it.
using Denoise = std::function<Result<Latent>(const Latent& x, double sigma)>;

struct StepProgress {
    int step = 0;  // 0-based, of `steps`
    int steps = 0;
    double sigma = 0;
    const Latent& x;        // the latent this step started from
    const Latent& denoised; // the step's first x0 estimate (a preview)
};

// Called once per step, after the step's first denoiser call; returning false stops the run, which
// then fails with ErrorCode::Cancelled.
using StepCallback = std::function<bool(const StepProgress&)>;

class Sampler {
public:
    virtual ~Sampler() = default;

    virtual SamplerKind kind() const = 0;

    // How much unit noise a txt2img run starts with at sigma: sigma for the k-diffusion samplers
    // (A1111), sqrt(sigma^2 + 1) for the diffusers schedulers, whose init_noise_sigma is 1 in
    // variance-preserving scaling.
    virtual double initialNoiseScale(double sigma) const { return sigma; }

    // Runs sigmas.size() - 1 steps from x at sigmas[0]; sigmas must decrease. Returns the latent to
    // decode (for DDIM ending above 0, diffusers' variance-preserving sample).
    Result<Latent> sample(Latent x, std::span<const double> sigmas, const Denoise& denoise,
                          const StepCallback& onStep = {});

protected:
    virtual Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) = 0;

    // Denoises x at sigmas[step] and reports the step; the error is Cancelled when the callback said stop.
    Result<Latent> denoiseStep(const Latent& x, std::span<const double> sigmas, int step, const Denoise& denoise);

private:
    const StepCallback* mOnStep = nullptr;
};

// The sampler for a kind. Euler a and LCM draw their fresh noise from `noise` (A1111 continues the
// generator that made the initial noise); LCM reads its timesteps off `schedule`. Both must outlive it.
std::unique_ptr<Sampler> makeSampler(SamplerKind kind, const NoiseSchedule& schedule, GaussianNoise& noise);

// The latent a run starts from. txt2img (encoded empty): noise * initialNoiseScale(sigmas[0]).
// img2img: encoded + noise * sigmas[0], as A1111 and diffusers' add_noise (in k-diffusion scaling) do.
Result<Latent> startingLatent(const Sampler& sampler, double startSigma, std::span<const float> noise,
                              std::span<const float> encoded = {});

} // namespace atelier::diffusion

#pragma once
// The samplers. Each follows one reference line by line (named per class); tests/samplers compares
// them with it on a fake model.

#include "diffusion/sampling/noise_schedule.h"
#include "diffusion/sampling/sampler.h"

namespace atelier::diffusion {

// k-diffusion sample_euler (s_churn 0): x += (x - D) / sigma * (sigma_next - sigma).
class EulerSampler final : public Sampler {
public:
    SamplerKind kind() const override { return SamplerKind::Euler; }

protected:
    Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) override;
};

// k-diffusion sample_euler_ancestral: an Euler step down to sigma_down, then fresh noise * sigma_up.
class EulerAncestralSampler final : public Sampler {
public:
    explicit EulerAncestralSampler(GaussianNoise& noise, double eta = 1.0) : mNoise(noise), mEta(eta) {}
    SamplerKind kind() const override { return SamplerKind::EulerAncestral; }

protected:
    Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) override;

private:
    GaussianNoise& mNoise;
    double mEta;
};

// k-diffusion sample_heun (s_churn 0): the trapezoid of two Euler slopes; a last step to 0 is Euler.
class HeunSampler final : public Sampler {
public:
    SamplerKind kind() const override { return SamplerKind::Heun; }

protected:
    Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) override;
};

// k-diffusion sample_dpmpp_2m: DPM-Solver++(2M), second order from the previous step's x0 estimate.
class DpmPp2MSampler final : public Sampler {
public:
    SamplerKind kind() const override { return SamplerKind::DpmPp2M; }

protected:
    Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) override;
};

// diffusers DDIMScheduler with eta 0. In k-diffusion scaling a DDIM step is exactly an Euler step
// (x_next = D + sigma_next * eps); what makes it DDIM is the plan (leading timesteps, ending at
// alphas_cumprod[0]), the unit-variance start, and returning the variance-preserving sample.
class DdimSampler final : public Sampler {
public:
    SamplerKind kind() const override { return SamplerKind::Ddim; }
    double initialNoiseScale(double sigma) const override;

protected:
    Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) override;
};

// diffusers LCMScheduler: each step takes the consistency function's x0 (boundary scalings
// c_skip = 0.25 / ((10 t)^2 + 0.25), c_out = 10 t / sqrt((10 t)^2 + 0.25) applied to D and the
// variance-preserving sample) and, except after the last step, noises it afresh to the next level.
class LcmSampler final : public Sampler {
public:
    LcmSampler(const NoiseSchedule& schedule, GaussianNoise& noise) : mSchedule(schedule), mNoise(noise) {}
    SamplerKind kind() const override { return SamplerKind::Lcm; }
    double initialNoiseScale(double sigma) const override;

protected:
    Result<Latent> run(Latent x, std::span<const double> sigmas, const Denoise& denoise) override;

private:
    const NoiseSchedule& mSchedule;
    GaussianNoise& mNoise;
};

} // namespace atelier::diffusion

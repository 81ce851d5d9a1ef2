#pragma once
// The noise levels a sampling run steps through, for txt2img and img2img.
//
// A plan's sigmas run from the starting level down to the end level (sigmas.size() - 1 steps); the
// end is 0 except for DDIM, which stops at alphas_cumprod[0] like diffusers (set_alpha_to_one=False).
// img2img (strength < 1) skips the first steps:
//  - Uniform and Karras, as A1111: t_enc = int(min(strength, 0.999) * steps) and the run covers the
//    last t_enc + 1 steps of the full schedule (sigma_sched = sigmas[steps - t_enc - 1:]);
//  - Leading and Trailing, as diffusers' StableDiffusionImg2ImgPipeline.get_timesteps: the last
//    min(int(steps * strength), steps) steps;
//  - Lcm, as diffusers' LCMScheduler.set_timesteps(strength): `steps` steps picked from the first
//    int(50 * strength) distillation timesteps.

#include "core/result.h"
#include "diffusion/sampling/noise_schedule.h"
#include "diffusion/sampling/sampler_kind.h"

#include <vector>

namespace atelier::diffusion {

// k-diffusion DiscreteSchedule.get_sigmas(n): sigmaAt(linspace(999, 0, n)), then 0.
std::vector<double> uniformSigmas(const NoiseSchedule& schedule, int steps);
// k-diffusion get_sigmas_karras(n, sigmaMin, sigmaMax, rho), then 0.
std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int steps, double rho = 7.0);

// diffusers timesteps, largest first.
std::vector<int> leadingTimesteps(int steps, int trainSteps = 1000, int stepsOffset = 1);
std::vector<int> trailingTimesteps(int steps, int trainSteps = 1000);
std::vector<int> lcmTimesteps(int steps, double strength = 1.0, int trainSteps = 1000, int originalSteps = 50);

struct SamplingPlan {
    std::vector<double> sigmas; // start level first, end level last; steps = sigmas.size() - 1
    ScheduleKind schedule = ScheduleKind::Uniform; // resolved
    int skippedSteps = 0;       // img2img: steps of the full schedule not run
};

// The noise levels for `steps` steps (img2img when strength < 1). Fails on steps < 1, strength
// outside (0, 1], or an LCM schedule asked for more steps than int(50 * strength).
Result<SamplingPlan> planSampling(const NoiseSchedule& schedule, SamplerKind sampler, ScheduleKind kind, int steps,
                                  double strength = 1.0);

} // namespace atelier::diffusion

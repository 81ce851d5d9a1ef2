#pragma once
// The samplers and step schedules Atelier offers (names as A1111 writes them: sampler_names.h).

namespace atelier::diffusion {

enum class SamplerKind {
    Euler,          // k-diffusion sample_euler
    EulerAncestral, // k-diffusion sample_euler_ancestral, eta 1
    Heun,           // k-diffusion sample_heun
    DpmPp2M,        // k-diffusion sample_dpmpp_2m (DPM-Solver++(2M))
    Ddim,           // diffusers DDIMScheduler, eta 0
    Lcm,            // diffusers LCMScheduler
};

enum class ScheduleKind {
    Automatic, // the sampler's default (defaultSchedule)
    Uniform,   // A1111 "Uniform": k-diffusion discretisation, timesteps linspace(999, 0, n)
    Karras,    // Karras et al. (2022), rho 7, between the model's sigma_min and sigma_max
    Leading,   // diffusers "leading" spacing with steps_offset 1 (the SD default in diffusers)
    Trailing,  // diffusers "trailing" spacing
    Lcm,       // diffusers LCMScheduler: evenly picked from the 50 distillation timesteps
};

// What Automatic means for a sampler, as A1111 1.9+ resolves it for the k-samplers (DPM++ 2M: Karras,
// the others the model's own discretisation) and as diffusers' SD configs do for DDIM and LCM.
ScheduleKind defaultSchedule(SamplerKind sampler);

// Resolves Automatic; any other kind is returned as is.
ScheduleKind resolveSchedule(SamplerKind sampler, ScheduleKind schedule);

} // namespace atelier::diffusion

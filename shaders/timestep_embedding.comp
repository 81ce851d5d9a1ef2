#version 450
// Sinusoidal timestep embedding (ops/timestep_embedding.h, diffusers' get_timestep_embedding):
// out[b, i] = sin(t_b * f_k) and cos(t_b * f_k) halves, f_k = exp(-log(maxPeriod) * k / (half - shift)),
// [cos, sin] with flipSinToCos; an odd dim ends with a 0. The argument is computed in fp32 like
// torch's, then reduced to [-pi, pi] before sin and cos, whose precision Vulkan only bounds there.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { TimestepPush p; };

layout(std430, binding = 0) readonly buffer Timesteps { float timesteps[]; };
layout(std430, binding = 1) writeonly buffer Out { float outv[]; };

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    const uint b = i / p.dim, j = i % p.dim;
    if (j >= 2 * p.halfDim) {
        outv[i] = 0.0;
        return;
    }
    const uint k = j % p.halfDim;
    const float freq = exp(-p.logMaxPeriod * float(k) / (float(p.halfDim) - p.shift));
    const float arg = p.scale * (timesteps[b] * freq);
    // Cody-Waite: 2 pi = C1 + C2 with C1 exact in few bits, so arg - n * C1 is exact.
    const float n = round(arg * 0.15915494309189535);
    const float r = (arg - n * 6.28125) - n * 1.9353071795864769e-3;
    const bool sinFirst = p.flipSinToCos == 0;
    outv[i] = (j < p.halfDim) == sinFirst ? sin(r) : cos(r);
}

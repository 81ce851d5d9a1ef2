#version 450
// out[b, p, c] = (accumulate ? out[b, p, c] : 0) + mask[p] * x[b, p, c] over f32 [batch, pixels,
// channels]: one term of a per-pixel weighted sum (regional prompts blend each region's
// cross-attention output by its mask at every UNet resolution; ops/masked_sum.h).
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { MaskedSumPush p; };
layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Mask { float mask[]; };
layout(std430, binding = 2) buffer Out { float outv[]; };

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    const float term = mask[p.maskOffset + (i / p.channels) % p.pixels] * x[p.xOffset + i];
    outv[p.outOffset + i] = p.accumulate != 0 ? outv[p.outOffset + i] + term : term;
}

#version 450
// GroupNorm over NHWC activations, and LayerNorm as its special case of one group over one pixel
// per row (ops/group_norm.h). One workgroup per (image, group): the mean, then the variance about
// it (two passes: no cancellation), then out = (x - mean) / sqrt(var + eps) * gamma[c] + beta[c],
// optionally followed by SiLU. ACT_F16: f16 x and out; PARAM_F16: f16 gamma and beta. Sums are fp32.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "reduce.glsl"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif
#ifdef PARAM_F16
#define P_T float16_t
#else
#define P_T float
#endif

layout(push_constant) uniform Push { NormPush p; };

layout(std430, binding = 0) readonly buffer X { A_T x[]; };
layout(std430, binding = 1) readonly buffer Gamma { P_T gamma[]; };
layout(std430, binding = 2) readonly buffer Beta { P_T beta[]; };
layout(std430, binding = 3) writeonly buffer Out { A_T outv[]; };

void main()
{
    const uint group = gl_WorkGroupID.x;
    const uint image = gl_WorkGroupID.y;
    if (image >= p.images)
        return; // whole workgroup
    const uint t = gl_LocalInvocationID.x;
    const uint width = p.channels / p.groups; // channels per group
    const uint count = p.pixels * width;
    const uint base = image * p.pixels * p.channels + group * width;

    float sum = 0.0;
    for (uint e = t; e < count; e += WORKGROUP_SIZE)
        sum += float(x[p.xOffset + base + (e / width) * p.channels + e % width]);
    const float mean = workgroupSum(sum) / float(count);
    float ss = 0.0;
    for (uint e = t; e < count; e += WORKGROUP_SIZE) {
        const float d = float(x[p.xOffset + base + (e / width) * p.channels + e % width]) - mean;
        ss += d * d;
    }
    const float inv = inversesqrt(workgroupSum(ss) / float(count) + p.eps);
    for (uint e = t; e < count; e += WORKGROUP_SIZE) {
        const uint i = base + (e / width) * p.channels + e % width;
        const uint c = group * width + e % width;
        float y = (float(x[p.xOffset + i]) - mean) * inv * float(gamma[c]) + float(beta[c]);
        if (p.silu != 0)
            y = y / (1.0 + exp(-y));
        outv[p.outOffset + i] = A_T(y);
    }
}

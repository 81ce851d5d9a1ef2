#version 450
// out[r, i] = x[r, i] / sqrt(mean(x[r, :]^2) + eps) * weight[i], one workgroup per row. x and out
// are f32; the weight is f32 or f16 (WEIGHT_F16).
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "reduce.glsl"

#ifdef WEIGHT_F16
#define W float16_t
#else
#define W float
#endif

layout(push_constant) uniform Push { RmsNormPush p; };

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Weight { W w[]; };
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

void main()
{
    const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (row >= p.rows)
        return; // whole workgroup
    const uint t = gl_LocalInvocationID.x;
    const uint xBase = p.xOffset + row * p.n;
    const uint oBase = p.outOffset + row * p.n;

    float ss = 0.0;
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE) {
        const float v = x[xBase + i];
        ss += v * v;
    }
    const float inv = inversesqrt(workgroupSum(ss) / float(p.n) + p.eps);
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE)
        outv[oBase + i] = x[xBase + i] * inv * float(w[i]);
}

#version 450
// Row-wise softmax of x * scale over the last dimension, one workgroup per row. Each invocation
// keeps a running (max, sum of exp) over its elements, so x is read twice, and exp never sees a
// positive argument. x and out may be the same buffer.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "reduce.glsl"

layout(push_constant) uniform Push { SoftmaxPush p; };

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float outv[]; };

void main()
{
    const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (row >= p.rows)
        return; // whole workgroup
    const uint t = gl_LocalInvocationID.x;
    const uint xBase = p.xOffset + row * p.n;
    const uint oBase = p.outOffset + row * p.n;

    // -FLT_MAX rather than -inf, so a -inf input adds exp(-inf) = 0 instead of NaN.
    float m = -3.402823466e38;
    float s = 0.0;
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE) {
        const float v = x[xBase + i] * p.scale;
        if (v > m) {
            s = s * exp(m - v) + 1.0;
            m = v;
        } else {
            s += exp(v - m);
        }
    }
    const float rowMax = workgroupMax(m);
    const float inv = 1.0 / workgroupSum(s * exp(m - rowMax));
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE)
        outv[oBase + i] = exp(x[xBase + i] * p.scale - rowMax) * inv;
}

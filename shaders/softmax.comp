#version 450
// Row-wise softmax of x * scale over the last dimension, one workgroup per row. Each invocation
// keeps a running (max, sum of exp) over its elements, so x is read twice, and exp never sees a
// positive argument. x and out may be the same buffer.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#ifndef ROWS
#include "reduce.glsl"
#endif

layout(push_constant) uniform Push { SoftmaxPush p; };

#ifdef ROWS
// CPU devices: one invocation per row, 4 values a load, no shared memory and no barrier (lavapipe
// runs each barrier of the workgroup version as a coroutine switch, one set per row). Rows are
// n % 4 == 0 long and the offsets multiples of 4.
layout(std430, binding = 0) readonly buffer X { vec4 x4[]; };
layout(std430, binding = 1) writeonly buffer Out { vec4 out4[]; };

void main()
{
    const uint row = flatInvocation();
    if (row >= p.rows)
        return;
    const uint n4 = p.n / 4;
    const uint xBase = p.xOffset / 4 + row * n4;
    const uint oBase = p.outOffset / 4 + row * n4;
    // The maximum, then the sum of exps, then the outputs: two exps a value (the row stays in cache).
    vec4 m = vec4(-3.402823466e38); // -FLT_MAX: a -inf input adds exp(-inf) = 0, not NaN
    for (uint i = 0; i < n4; ++i)
        m = max(m, x4[xBase + i] * p.scale);
    const float rowMax = max(max(m.x, m.y), max(m.z, m.w));
    vec4 s = vec4(0.0);
    for (uint i = 0; i < n4; ++i)
        s += exp(x4[xBase + i] * p.scale - rowMax);
    const float inv = 1.0 / (s.x + s.y + s.z + s.w);
    for (uint i = 0; i < n4; ++i)
        out4[oBase + i] = exp(x4[xBase + i] * p.scale - rowMax) * inv;
}
#else
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
#endif

#version 450
// The seam between two blocks of a transformer, one workgroup per row:
//   x[r, :] += POST_NORM ? rmsnorm(y[r, :]) * post[:] : y[r, :]     (the residual add)
//   xn[r, :] = rmsnorm(x[r, :]) * next[:]                            (the next block's input)
// where a block would otherwise take three dispatches (post-norm, add, norm). All f32.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "reduce.glsl"

layout(push_constant) uniform Push { ResidualNormPush p; };

layout(std430, binding = 0) buffer X { float x[]; };
layout(std430, binding = 1) readonly buffer Y { float y[]; };
layout(std430, binding = 2) readonly buffer Post { float post[]; };
layout(std430, binding = 3) readonly buffer Next { float next[]; };
layout(std430, binding = 4) writeonly buffer Xn { float xn[]; };

void main()
{
    const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (row >= p.rows)
        return; // whole workgroup
    const uint t = gl_LocalInvocationID.x;
    const uint xBase = p.xOffset + row * p.n;
    const uint yBase = p.yOffset + row * p.n;
    const uint nBase = p.xnOffset + row * p.n;

    float postScale = 1.0;
#ifdef POST_NORM
    float ssy = 0.0;
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE)
        ssy += y[yBase + i] * y[yBase + i];
    postScale = inversesqrt(workgroupSum(ssy) / float(p.n) + p.eps);
#endif
    // Each invocation reads back only the elements of x it wrote itself: no barrier needed.
    float ss = 0.0;
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE) {
#ifdef POST_NORM
        const float v = x[xBase + i] + y[yBase + i] * postScale * post[i];
#else
        const float v = x[xBase + i] + y[yBase + i];
#endif
        x[xBase + i] = v;
        ss += v * v;
    }
    const float inv = inversesqrt(workgroupSum(ss) / float(p.n) + p.eps);
    for (uint i = t; i < p.n; i += WORKGROUP_SIZE)
        xn[nBase + i] = x[xBase + i] * inv * next[i];
}

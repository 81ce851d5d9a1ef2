#version 450
// Rotary position embedding of x[tokens, heads, headDim] (f32), in place or into out. One
// invocation per pair of elements: NEOX pairs (i, i + nRot / 2), otherwise (2i, 2i + 1). Elements
// past nRot are copied. The angle is the fp32 value llama.cpp and transformers compute; it is
// reduced to [-pi, pi] exactly before cos and sin, whose error would otherwise grow with it.
// NORM: one workgroup per row instead, which first RMS-normalises the row and scales it by the norm
// weight (Gemma 3's q and k norms), so that norm and rotation are one dispatch.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "rope.glsl"
#ifdef NORM
#include "reduce.glsl"
#endif

layout(push_constant) uniform Push { RopePush p; };

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Out { float outv[]; };
layout(std430, binding = 2) readonly buffer FreqFactors { float freqFactors[]; };
#ifdef NORM
layout(std430, binding = 3) readonly buffer NormWeight { float normWeight[]; };
#endif

void rotatePair(uint row, uint j, float scale);

void main()
{
#ifdef NORM
    const uint row = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (row >= p.pairs / (p.headDim / 2))
        return; // whole workgroup
    const uint base = p.xOffset + row * p.headDim;
    float ss = 0.0;
    for (uint i = gl_LocalInvocationID.x; i < p.headDim; i += WORKGROUP_SIZE)
        ss += x[base + i] * x[base + i];
    // Every invocation has read its elements before any is written (the barriers in workgroupSum),
    // and each writes only the pairs it reads below: in place is safe.
    const float scale = inversesqrt(workgroupSum(ss) / float(p.headDim) + p.normEps);
    for (uint j = gl_LocalInvocationID.x; j < p.headDim / 2; j += WORKGROUP_SIZE)
        rotatePair(row, j, scale);
#else
    const uint i = flatInvocation();
    if (i >= p.pairs)
        return;
    rotatePair(i / (p.headDim / 2), i % (p.headDim / 2), 1.0);
#endif
}

void rotatePair(uint row, uint j, float scale)
{
    const uint base = row * p.headDim;
    const uint rotPairs = p.nRot / 2;
    const uvec2 ab = ropePair(j, p.nRot);
    const uint a = ab.x, b = ab.y;
    float x0 = x[p.xOffset + base + a];
    float x1 = x[p.xOffset + base + b];
#ifdef NORM
    x0 *= scale * normWeight[a];
    x1 *= scale * normWeight[b];
#endif
    if (j >= rotPairs) {
        outv[p.outOffset + base + a] = x0;
        outv[p.outOffset + base + b] = x1;
        return;
    }
    const float position = float(p.startPosition + row / p.heads);
    float theta = position * exp2(float(j) * p.log2ThetaScale);
    if (p.hasFreqFactors != 0)
        theta /= freqFactors[j];
    const float angle = reduceAngle(p.freqScale * theta);
    const vec2 cs = vec2(cos(angle), sin(angle));
    outv[p.outOffset + base + a] = x0 * cs.x - x1 * cs.y;
    outv[p.outOffset + base + b] = x0 * cs.y + x1 * cs.x;
}

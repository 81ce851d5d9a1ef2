#version 450
// Activations to 8 bits for matvec_dot.comp (llama.cpp's Q8_1, with f32 scales): each block of 32
// consecutive values of a becomes x[j] ~ d * q[j] with d = max|x| / 127 and q[j] = round(x[j] / d)
// in -127..127, stored as 8 words (value 4w + i in byte i of word w) and vec2(d, d * sum(q)): the
// sum lets offset formats (q4_1, q5_1, q4_k, q5_k) add their minimum times the block's sum of a
// without another pass over it. Eight invocations share a block, 4 values and one word each, so
// neighbours read and write neighbouring bytes; its maximum and sum are reduced over the eight by
// subgroup shuffles (SUBGROUP_SHUFFLE, subgroups of at least 8) or through shared memory.
#extension GL_GOOGLE_include_directive : require
#ifdef SUBGROUP_SHUFFLE
#extension GL_KHR_shader_subgroup_shuffle : require
#endif

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { QuantizeQ8Push p; };

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) writeonly buffer Q { uint q[]; };
layout(std430, binding = 1) writeonly buffer DS { vec2 ds[]; };

#ifndef SUBGROUP_SHUFFLE
shared float sMax[WORKGROUP_SIZE];
shared int sSum[WORKGROUP_SIZE];
#endif

// The maximum and the sum over the eight invocations of a block (every invocation takes part).
float blockMax(float x)
{
#ifdef SUBGROUP_SHUFFLE
    for (uint o = 1; o < 8; o <<= 1)
        x = max(x, subgroupShuffleXor(x, o));
    return x;
#else
    const uint t = gl_LocalInvocationID.x;
    sMax[t] = x;
    barrier();
    for (uint k = 0; k < 8; ++k)
        x = max(x, sMax[(t & ~7u) + k]);
    barrier();
    return x;
#endif
}

int blockSum(int x)
{
#ifdef SUBGROUP_SHUFFLE
    for (uint o = 1; o < 8; o <<= 1)
        x += subgroupShuffleXor(x, o);
    return x;
#else
    const uint t = gl_LocalInvocationID.x;
    sSum[t] = x;
    barrier();
    int sum = 0;
    for (uint k = 0; k < 8; ++k)
        sum += sSum[(t & ~7u) + k];
    barrier();
    return sum;
#endif
}

void main()
{
    const uint i = flatInvocation();
    const uint block = i >> 3, part = i & 7;
    const bool live = block < p.blocks;
    vec4 x = vec4(0.0);
    if (live) {
        const uint base = p.aOffset + 32 * block + 4 * part;
        x = vec4(a[base], a[base + 1], a[base + 2], a[base + 3]);
    }
    const vec4 ax = abs(x);
    const float d = blockMax(max(max(ax.x, ax.y), max(ax.z, ax.w))) / 127.0;
    const float inv = d > 0.0 ? 1.0 / d : 0.0;
    const ivec4 v = clamp(ivec4(round(x * inv)), -127, 127);
    const int sum = blockSum(v.x + v.y + v.z + v.w);
    if (live) {
        const uvec4 b = uvec4(v) & 0xFFu;
        q[p.qOffset + 8 * block + part] = b.x | (b.y << 8) | (b.z << 16) | (b.w << 24);
        if (part == 0)
            ds[p.dsOffset + block] = vec2(d, d * float(sum));
    }
}

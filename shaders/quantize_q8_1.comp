#version 450
// Activations to 8 bits for matvec_dot.comp (llama.cpp's Q8_1, with f32 scales): each invocation
// takes one block of 32 consecutive values of a, x[j] ~ d * q[j] with d = max|x| / 127 and q[j] =
// round(x[j] / d) in -127..127, and stores the 32 q as 8 words (value 4w + i in byte i of word w)
// and vec2(d, d * sum(q)): the sum lets offset formats (q4_1, q5_1, q4_k, q5_k) add their minimum
// times the block's sum of a without another pass over it.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { QuantizeQ8Push p; };

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 1) writeonly buffer Q { uint q[]; };
layout(std430, binding = 1) writeonly buffer DS { vec2 ds[]; };

void main()
{
    const uint i = flatInvocation();
    if (i >= p.blocks)
        return;
    const uint base = p.aOffset + 32 * i;
    float amax = 0.0;
    for (uint j = 0; j < 32; ++j)
        amax = max(amax, abs(a[base + j]));
    const float d = amax / 127.0;
    const float inv = d > 0.0 ? 1.0 / d : 0.0;
    int sum = 0;
    for (uint w = 0; w < 8; ++w) {
        uint word = 0;
        for (uint b = 0; b < 4; ++b) {
            const int v = clamp(int(round(a[base + 4 * w + b] * inv)), -127, 127);
            sum += v;
            word |= (uint(v) & 0xFFu) << (8 * b);
        }
        q[p.qOffset + 8 * i + w] = word;
    }
    ds[p.dsOffset + i] = vec2(d, d * float(sum));
}

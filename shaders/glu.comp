#version 450
// Gated linear units: out = act(gate) * up, act = SiLU (ACT_SILU, SwiGLU) or the tanh
// approximation of GELU (ACT_GELU_TANH, GeGLU). gate and up are two tensors or the two halves of
// each row of one (then both bindings are the same range and the rows are 2n apart).
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { GluPush p; };

layout(std430, binding = 0) readonly buffer Gate { float gate[]; };
layout(std430, binding = 1) readonly buffer Up { float up[]; };
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

float activation(float x)
{
#if defined(ACT_SILU)
    return x / (1.0 + exp(-x));
#elif defined(ACT_GELU_TANH)
    // 0.5 x (1 + tanh(u)) = x / (1 + e^(-2u)); e^(-2u) overflows to inf for very negative x, giving -0.
    const float u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
    return x / (1.0 + exp(-2.0 * u));
#endif
}

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    const uint src = (i / p.n) * p.stride + i % p.n;
    outv[p.outOffset + i] = activation(gate[p.gateOffset + src]) * up[p.upOffset + src];
}

#version 450
// Gated linear units: out = act(gate) * up, act = SiLU (ACT_SILU, SwiGLU) or the tanh
// approximation of GELU (ACT_GELU_TANH, GeGLU). gate and up are two tensors or the two halves of
// each row of one (then both bindings are the same range and the rows are 2n apart).
#extension GL_GOOGLE_include_directive : require

#include "activation.glsl"
#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { GluPush p; };

layout(std430, binding = 0) readonly buffer Gate { float gate[]; };
layout(std430, binding = 1) readonly buffer Up { float up[]; };
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

#if defined(ACT_SILU)
const uint ACT = kActivationSilu;
#else
const uint ACT = kActivationGeluTanh;
#endif

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    const uint src = (i / p.n) * p.stride + i % p.n;
    outv[p.outOffset + i] = activation(gate[p.gateOffset + src], ACT) * up[p.upOffset + src];
}

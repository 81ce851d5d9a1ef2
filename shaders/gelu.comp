#version 450
// Activations: GELU, elementwise (out = gelu(x)) or gated (GATED: diffusers' GEGLU on rows of 2n,
// the hidden half first: out[r, c] = x[r, c] * gelu(x[r, n + c])), in its exact form (GELU_ERF,
// torch's default, SD's GEGLU) or the tanh approximation (GELU_TANH, approximate="tanh"); CLIP's
// quick GELU (GELU_QUICK: x sigmoid(1.702 x), not gated); and SiLU (SILU: out = x / (1 + e^-x)).
// ACT_F16: f16 x and out; the arithmetic is fp32.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "gelu.glsl"
#include "push_constants.h"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif

layout(push_constant) uniform Push { GeluPush p; };

layout(std430, binding = 0) readonly buffer X { A_T x[]; };
layout(std430, binding = 1) writeonly buffer Out { A_T outv[]; };

float activation(float v)
{
#if defined(GELU_ERF)
    return geluErf(v);
#elif defined(GELU_TANH)
    return geluTanh(v);
#elif defined(GELU_QUICK)
    return geluQuick(v);
#elif defined(SILU)
    return v / (1.0 + exp(-v));
#endif
}

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
#ifdef GATED
    const uint src = (i / p.n) * 2 * p.n + i % p.n;
    outv[p.outOffset + i] = A_T(float(x[p.xOffset + src]) * activation(float(x[p.xOffset + src + p.n])));
#else
    outv[p.outOffset + i] = A_T(activation(float(x[p.xOffset + i])));
#endif
}

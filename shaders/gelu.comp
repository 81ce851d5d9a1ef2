#version 450
// Activations: GELU, elementwise (out = gelu(x)) or gated (GATED: diffusers' GEGLU on rows of 2n,
// the hidden half first: out[r, c] = x[r, c] * gelu(x[r, n + c])), in its exact form (GELU_ERF,
// torch's default, SD's GEGLU) or the tanh approximation (GELU_TANH, approximate="tanh"); CLIP's
// quick GELU (GELU_QUICK: x sigmoid(1.702 x), not gated); and SiLU (SILU: out = x / (1 + e^-x)).
// ACT_F16: f16 x and out; the arithmetic is fp32.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif

layout(push_constant) uniform Push { GeluPush p; };

layout(std430, binding = 0) readonly buffer X { A_T x[]; };
layout(std430, binding = 1) writeonly buffer Out { A_T outv[]; };

// erfc(z) for z >= 0 within a relative 1.2e-7 (Numerical Recipes' erfcc); GLSL has no erf.
float erfcPositive(float z)
{
    const float t = 1.0 / (1.0 + 0.5 * z);
    return t * exp(-z * z - 1.26551223 +
                   t * (1.00002368 +
                        t * (0.37409196 +
                             t * (0.09678418 +
                                  t * (-0.18628806 +
                                       t * (0.27886807 +
                                            t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
}

float activation(float v)
{
#if defined(GELU_ERF)
    // 0.5 v (1 + erf(v / sqrt 2)) through erfc, so that negative v (1 + erf = erfc) keep their precision.
    const float e = erfcPositive(abs(v) * 0.7071067811865476);
    return v >= 0.0 ? v * (1.0 - 0.5 * e) : 0.5 * v * e;
#elif defined(GELU_TANH)
    // 0.5 v (1 + tanh(u)) = v / (1 + e^(-2u)); e^(-2u) overflows to inf for very negative v, giving -0.
    const float u = 0.7978845608028654 * (v + 0.044715 * v * v * v);
    return v / (1.0 + exp(-2.0 * u));
#elif defined(GELU_QUICK)
    // e^(-1.702 v) overflows to inf for very negative v, giving -0 as torch's x * sigmoid(1.702 x).
    return v / (1.0 + exp(-1.702 * v));
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

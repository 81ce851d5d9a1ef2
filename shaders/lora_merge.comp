#version 450
// Merges a LoRA into a weight in place (ops/lora_merge.h), one invocation per element of w:
//   w[o, c] += scale * sum_k up[o, k] * down[k, c]
// The sum is fp32 over the rank (a few to a few hundred), added to w once and rounded to w's type
// (W_F16: f16 weights).
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#ifdef W_F16
#define W_T float16_t
#else
#define W_T float
#endif

layout(push_constant) uniform Push { LoraMergePush p; };

layout(std430, binding = 0) buffer W { W_T w[]; };
layout(std430, binding = 1) readonly buffer Up { float up[]; };
layout(std430, binding = 2) readonly buffer Down { float down[]; };

void main()
{
    const uint i = flatInvocation();
    if (i >= p.rows * p.cols)
        return;
    const uint o = i / p.cols, c = i % p.cols;
    float sum = 0.0;
    for (uint k = 0; k < p.rank; ++k)
        sum += up[p.upOffset + o * p.rank + k] * down[k * p.cols + c];
    const uint at = p.wOffset + i;
    w[at] = W_T(float(w[at]) + p.scale * sum);
}

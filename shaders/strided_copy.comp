#version 450
// A 2-D strided copy with a type conversion (ops/layout_copy.h), one invocation per element:
// transposes, f32 <-> f16 conversions and copies into a padded image. IN_F16 / OUT_F16: the
// element types.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#ifdef IN_F16
#define IN_T float16_t
#else
#define IN_T float
#endif
#ifdef OUT_F16
#define OUT_T float16_t
#else
#define OUT_T float
#endif

layout(push_constant) uniform Push { StridedCopyPush p; };

layout(std430, binding = 0) readonly buffer In { IN_T inv[]; };
layout(std430, binding = 1) writeonly buffer Out { OUT_T outv[]; };

void main()
{
    const uint i = flatInvocation();
    if (i >= p.rows * p.cols)
        return;
    const uint r = i / p.cols, c = i % p.cols;
    outv[p.outOffset + r * p.outRowStride + c * p.outColStride] =
        OUT_T(float(inv[p.inOffset + r * p.inRowStride + c * p.inColStride]));
}

#version 450
// Elementwise ops on f32 or f16 tensors; the op and type come from -D defines (shaders.cmake).
//   OP_ADD / OP_MUL: out = a op b (b broadcast by modulo)   OP_SCALE: out = a * scale
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"


#ifdef TYPE_F16
#define T float16_t
#else
#define T float
#endif

layout(push_constant) uniform Push { ElementwisePush p; };

layout(std430, binding = 0) readonly buffer A { T a[]; };
#ifdef OP_SCALE
layout(std430, binding = 1) writeonly buffer Out { T outv[]; };
#else
layout(std430, binding = 1) readonly buffer B { T b[]; };
layout(std430, binding = 2) writeonly buffer Out { T outv[]; };
#endif

void main()
{
    const uint i = flatInvocation();
    if (i >= p.n)
        return;
    const float x = float(a[i]);
#if defined(OP_SCALE)
    outv[i] = T(x * p.scale);
#else
    const float y = float(b[(p.bOffset + i) % p.nb]);
#if defined(OP_ADD)
    outv[i] = T(x + y);
#elif defined(OP_MUL)
    outv[i] = T(x * y);
#endif
#endif
}

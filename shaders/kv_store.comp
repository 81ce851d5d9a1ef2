#version 450
// Appends rows to an f16 kv cache: cache[h, startPosition + t, :] = x[t, h, :] for the heads of
// this dispatch. One invocation per element.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { KvStorePush p; };

layout(std430, binding = 0) readonly buffer X { float x[]; };
layout(std430, binding = 1) writeonly buffer Cache { float16_t cache[]; };

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    const uint d = i % p.headDim;
    const uint h = (i / p.headDim) % p.heads;
    const uint t = i / (p.headDim * p.heads);
    const float value = x[p.xOffset + (t * p.xHeads + p.xHeadOffset + h) * p.headDim + d];
    cache[p.cacheOffset + h * p.headStride + t * p.headDim + d] = float16_t(value);
}

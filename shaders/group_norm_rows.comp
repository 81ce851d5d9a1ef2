#version 450
// GroupNorm for CPU devices (ops/group_norm.h), in three passes with no shared memory and no
// barrier (lavapipe loads shared memory lane by lane and turns barriers into coroutine switches;
// group_norm.comp ran one workgroup per group, 70 ms for the VAE's 256 x 256 x 128):
//   STATS  one invocation per (image, chunk of CHUNK pixels, group): Welford's count, mean and sum
//          of squared deviations of the chunk's values of the group, read as words through a texel
//          buffer (one f32, or two f16).
//   MERGE  one invocation per (image, group): the chunks merged (Chan et al.), then per channel
//          scale = gamma / sqrt(var + eps) and shift = beta - mean * scale.
//   APPLY  one invocation per 4 values: out = x * scale + shift, then SiLU if asked.
// Workspace (f32): stats [images][chunks][groups][3], then params [images][2][channels].
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "texels.glsl"
#include "push_constants.h"
#include "welford.glsl"

#ifdef ACT_F16
#define A_T4 f16vec4
#else
#define A_T4 vec4
#endif
#ifdef PARAM_F16
#define P_T float16_t
#else
#define P_T float
#endif

layout(constant_id = 1) const uint CHUNK_PIXELS = 64;

layout(push_constant) uniform Push { GroupNormRowsPush p; };

#if defined(STATS)
WORD_TEXEL_BUFFER(0, xWords); // one f32 or two f16 a word
layout(std430, binding = 1) writeonly buffer Work { float work[]; };

void main()
{
    const uint id = flatInvocation();
    if (id >= p.images * p.chunks * p.groups)
        return;
    const uint group = id % p.groups;
    const uint chunk = (id / p.groups) % p.chunks;
    const uint image = id / (p.groups * p.chunks);
    const uint width = p.channels / p.groups;
    const uint first = chunk * CHUNK_PIXELS;
    const uint last = min(first + CHUNK_PIXELS, p.pixels);
    Moments s = noMoments();
    for (uint px = first; px < last; ++px) {
        const uint base = p.xOffset + (image * p.pixels + px) * p.channels + group * width;
#ifdef ACT_F16
        for (uint c = 0; c < width; c += 2) {
            const vec2 v2 = unpackHalf2x16(fetchTexel(xWords, (base + c) / 2).x);
            addValue(s, v2.x);
            addValue(s, v2.y);
        }
#else
        for (uint c = 0; c < width; ++c)
            addValue(s, uintBitsToFloat(fetchTexel(xWords, base + c).x));
#endif
    }
    work[id * 3] = s.count;
    work[id * 3 + 1] = s.mean;
    work[id * 3 + 2] = s.m2;
}
#elif defined(MERGE)
layout(std430, binding = 0) readonly buffer Gamma { P_T gamma[]; };
layout(std430, binding = 1) readonly buffer Beta { P_T beta[]; };
layout(std430, binding = 2) buffer Work { float work[]; };

void main()
{
    const uint id = flatInvocation();
    if (id >= p.images * p.groups)
        return;
    const uint group = id % p.groups, image = id / p.groups;
    Moments all = noMoments();
    for (uint chunk = 0; chunk < p.chunks; ++chunk) {
        const uint at = ((image * p.chunks + chunk) * p.groups + group) * 3;
        mergeMoments(all, work[at], work[at + 1], work[at + 2]);
    }
    const float mean = all.mean;
    const float inv = inversesqrt(all.m2 / all.count + p.eps);
    const uint width = p.channels / p.groups;
    const uint params = p.paramsOffset + image * 2 * p.channels;
    for (uint c = group * width; c < (group + 1) * width; ++c) {
        const float scale = float(gamma[c]) * inv;
        work[params + c] = scale;
        work[params + p.channels + c] = float(beta[c]) - mean * scale;
    }
}
#else // APPLY
#ifdef ACT_F16
WORD_TEXEL_BUFFER(0, xTexels); // words of two f16
#else
TEXEL_BUFFER(0, xTexels); // 4 f32 a texel
#endif
TEXEL_BUFFER(1, paramTexels); // 4 f32 a texel
layout(std430, binding = 2) writeonly buffer Out { A_T4 out4[]; };

void main()
{
    const uint id = flatInvocation(); // values 4 id .. 4 id + 3 of all images
    const uint imageVec4s = p.pixels * p.channels / 4;
    if (id >= p.images * imageVec4s)
        return;
    const uint image = id / imageVec4s;
    const uint c4 = id % (p.channels / 4);
#ifdef ACT_F16
    const uint word = p.xOffset / 2 + 2 * id;
    const vec4 x = vec4(unpackHalf2x16(fetchTexel(xTexels, word).x), unpackHalf2x16(fetchTexel(xTexels, word + 1).x));
#else
    const vec4 x = uintBitsToFloat(fetchTexel(xTexels, p.xOffset / 4 + id));
#endif
    const uint params = (p.paramsOffset + image * 2 * p.channels) / 4 + c4;
    const vec4 scale = uintBitsToFloat(fetchTexel(paramTexels, params));
    const vec4 shift = uintBitsToFloat(fetchTexel(paramTexels, params + p.channels / 4));
    vec4 y = x * scale + shift;
    if (p.silu != 0)
        y = y / (1.0 + exp(-y));
    out4[p.outOffset / 4 + id] = A_T4(y);
}
#endif

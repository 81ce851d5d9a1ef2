#version 450
// GroupNorm over NHWC activations, and LayerNorm as its special case of one group over one pixel
// per row (ops/group_norm.h). One workgroup per (image, group): one pass for the mean and the
// variance (Welford), one for out = (x - mean) / sqrt(var + eps) *
// gamma[c] + beta[c], optionally followed by SiLU. ACT_F16: f16 x and out; PARAM_F16: f16 gamma and beta. Sums are fp32.
// An image larger than a binding goes in bands of pixels: BAND_STATS stores each band's statistics
// per group, BAND_APPLY merges them (Chan et al.) and normalises one band.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "reduce.glsl"
#include "welford.glsl"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif
#ifdef PARAM_F16
#define P_T float16_t
#else
#define P_T float
#endif

#if defined(BAND_STATS) || defined(BAND_APPLY)
layout(push_constant) uniform Push { NormBandPush p; };
#else
layout(push_constant) uniform Push { NormPush p; };
#endif

layout(std430, binding = 0) readonly buffer X { A_T x[]; };
#ifdef BAND_STATS
layout(std430, binding = 1) writeonly buffer Stats { float stats[]; }; // [band][group][count, mean, m2]
#else
layout(std430, binding = 1) readonly buffer Gamma { P_T gamma[]; };
layout(std430, binding = 2) readonly buffer Beta { P_T beta[]; };
layout(std430, binding = 3) writeonly buffer Out { A_T outv[]; };
#endif
#ifdef BAND_APPLY
layout(std430, binding = 4) readonly buffer Stats { float stats[]; };
#endif

// Element e of a group is channel e % width of pixel e / width. An invocation visits e = t,
// t + WORKGROUP_SIZE, ..., and advances its channel and index without dividing (integer division
// is a per-lane loop on CPU devices).
struct Cursor {
    uint c;     // channel within the group
    uint index; // into x and out, before their offsets
};

Cursor first(uint t, uint base, uint width)
{
    return Cursor(t % width, base + (t / width) * p.channels + t % width);
}

void advance(inout Cursor at, uint width)
{
    at.c += WORKGROUP_SIZE % width;
    at.index += (WORKGROUP_SIZE / width) * p.channels + WORKGROUP_SIZE % width;
    if (at.c >= width) {
        at.c -= width;
        at.index += p.channels - width;
    }
}

void main()
{
    const uint group = gl_WorkGroupID.x;
    const uint image = gl_WorkGroupID.y;
    if (image >= p.images)
        return; // whole workgroup
    const uint t = gl_LocalInvocationID.x;
    const uint width = p.channels / p.groups; // channels per group
    const uint count = p.pixels * width;
    const uint base = image * p.pixels * p.channels + group * width;

    // Welford's running mean and sum of squared deviations per invocation, merged exactly (Chan et
    // al.): one pass, without the cancellation of E[x^2] - E[x]^2.
    Cursor at;
#ifndef BAND_APPLY
    Moments own = noMoments();
    at = first(t, base, width);
    for (uint e = t; e < count; e += WORKGROUP_SIZE, advance(at, width))
        addValue(own, float(x[p.xOffset + at.index]));
    const float n = own.count, m = own.mean, m2 = own.m2;
#endif
#ifdef BAND_APPLY
    // Every band's statistics merged in band order (uniform across the workgroup).
    Moments all = noMoments();
    for (uint b = 0; b < p.bands; ++b) {
        const uint at3 = p.statsOffset + (b * p.groups + group) * 3;
        mergeMoments(all, stats[at3], stats[at3 + 1], stats[at3 + 2]);
    }
    const float mean = all.mean, variance = all.m2 / all.count;
#else
    const float mean = workgroupSum(n * m) / float(count);
    const float sumSquares = workgroupSum(m2 + n * (m - mean) * (m - mean));
    const float variance = sumSquares / float(count);
#endif
#ifdef BAND_STATS
    if (t == 0) {
        const uint at3 = p.statsOffset + group * 3;
        stats[at3] = float(count);
        stats[at3 + 1] = mean;
        stats[at3 + 2] = sumSquares;
    }
#else
    const float inv = inversesqrt(variance + p.eps);
    at = first(t, base, width);
    for (uint e = t; e < count; e += WORKGROUP_SIZE, advance(at, width)) {
        const uint c = group * width + at.c;
        float y = (float(x[p.xOffset + at.index]) - mean) * inv * float(gamma[c]) + float(beta[c]);
        if (p.silu != 0)
            y = y / (1.0 + exp(-y));
        outv[p.outOffset + at.index] = A_T(y);
    }
#endif
}

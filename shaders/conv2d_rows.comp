#version 450
// conv2d.comp's implicit GEMM shaped for CPU devices (lavapipe), as matvec_rows.comp is for
// matmul: each invocation owns NP output pixels x NC output channels in registers and walks
// K = (ky, kx, ci) alone, so there is no shared memory and no barrier (lavapipe loads shared memory
// lane by lane and turns barriers into coroutine switches). Input and weights are uniform texel
// buffers of uvec4, which lavapipe fetches with vector code: 8 f16 weights a fetch, and 4 f32
// (8 f16 with ACT_F16) activations. Needs f16 weights and inC % 8 == 0. Consecutive invocations
// take consecutive channel groups of the same pixels, so a subgroup's activation fetches hit the
// same cache lines. Bias and residual are added in the epilogue, as in conv2d.comp.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "texels.glsl"
#include "push_constants.h"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif

layout(constant_id = 1) const uint NP = 4; // output pixels per invocation
layout(constant_id = 2) const uint NC = 4; // output channels per invocation
layout(constant_id = 3) const uint KH = 3;
layout(constant_id = 4) const uint KW = 3;
// Consecutive invocations take consecutive pixel groups of the same channels (the weights' rows
// stay in cache; for large weights) instead of consecutive channel groups of the same pixels.
layout(constant_id = 5) const bool PIXELS_FASTEST = false;

layout(push_constant) uniform Push { Conv2dPush p; };

TEXEL_BUFFER(0, inTexels);
TEXEL_BUFFER(1, weightTexels); // f16, 8 a texel; p.weightOffset % 8 == 0
layout(std430, binding = 2) readonly buffer Bias { float16_t bias[]; };
layout(std430, binding = 3) readonly buffer Residual { A_T res[]; };
layout(std430, binding = 4) writeonly buffer Out { A_T outv[]; };

vec4 low(uvec4 t) { return vec4(unpackHalf2x16(t.x), unpackHalf2x16(t.y)); }
vec4 high(uvec4 t) { return vec4(unpackHalf2x16(t.z), unpackHalf2x16(t.w)); }

// Channels c .. c + 7 of the input from element `at` (a multiple of 8).
void activations(uint at, out vec4 a0, out vec4 a1)
{
#ifdef ACT_F16
    const uvec4 t = fetchTexel(inTexels, at / 8);
    a0 = low(t);
    a1 = high(t);
#else
    a0 = uintBitsToFloat(fetchTexel(inTexels, at / 4));
    a1 = uintBitsToFloat(fetchTexel(inTexels, at / 4 + 1));
#endif
}

void main()
{
    const uint id = flatInvocation();
    const uint channelGroups = (p.outC + NC - 1) / NC;
    const uint imagePixels = p.outRows * p.outW;
    const uint M = p.images * imagePixels;
    const uint pixelGroups = (M + NP - 1) / NP;
    const uint n0 = (PIXELS_FASTEST ? id / pixelGroups : id % channelGroups) * NC;
    const uint m0 = (PIXELS_FASTEST ? id % pixelGroups : id / channelGroups) * NP;
    if (n0 >= p.outC)
        return;
    if (m0 >= M)
        return;
    const uint K = KH * KW * p.inC;
    const uint up = p.upsample;
    const int height = int(p.inH << up), width = int(p.inW << up); // of the (upsampled) image read

    // Each pixel's input position under tap (0, 0) and its image's first element; pixels past M
    // repeat the last one (their sums are dropped), as do channels past outC.
    int py[NP], px[NP];
    uint imageBase[NP];
    for (uint i = 0; i < NP; ++i) {
        const uint m = min(m0 + i, M - 1);
        const uint img = m / imagePixels, rem = m % imagePixels;
        py[i] = int((p.outRowFirst + rem / p.outW) * p.stride) - int(p.pad);
        px[i] = int((rem % p.outW) * p.stride) - int(p.pad);
        imageBase[i] = p.inOffset + img * p.inH * p.inW * p.inC;
    }
    uint weightRow[NC];
    for (uint j = 0; j < NC; ++j)
        weightRow[j] = (p.weightOffset + min(n0 + j, p.outC - 1) * K) / 8;

    float acc[NP * NC];
    for (uint i = 0; i < NP * NC; ++i)
        acc[i] = 0.0;

    for (uint tap = 0; tap < KH * KW; ++tap) {
        const int ky = int(tap / KW), kx = int(tap % KW);
        uint at[NP];
        bool inside[NP];
        for (uint i = 0; i < NP; ++i) {
            const int y = py[i] + ky, x = px[i] + kx;
            inside[i] = y >= 0 && y < height && x >= 0 && x < width;
            at[i] = inside[i] ? imageBase[i] + (((uint(y) >> up) - p.inRowFirst) * p.inW + (uint(x) >> up)) * p.inC : 0u;
        }
        const uint tapTexel = tap * p.inC / 8;
        for (uint c = 0; c < p.inC; c += 8) {
            vec4 w0[NC], w1[NC];
            for (uint j = 0; j < NC; ++j) {
                const uvec4 t = fetchTexel(weightTexels, weightRow[j] + tapTexel + c / 8);
                w0[j] = low(t);
                w1[j] = high(t);
            }
            for (uint i = 0; i < NP; ++i) {
                vec4 a0, a1;
                activations(at[i] + c, a0, a1);
                if (!inside[i]) {
                    a0 = vec4(0.0);
                    a1 = vec4(0.0);
                }
                for (uint j = 0; j < NC; ++j)
                    acc[i * NC + j] += dot(w0[j], a0) + dot(w1[j], a1); // fma(): no faster here (bench ops, 0.97-1.14x)
            }
        }
    }

    for (uint i = 0; i < NP; ++i) {
        const uint m = m0 + i;
        if (m >= M)
            break;
        for (uint j = 0; j < NC; ++j) {
            const uint n = n0 + j;
            if (n >= p.outC)
                break;
            float v = acc[i * NC + j];
            if (p.hasBias != 0)
                v += float(bias[p.biasOffset + n]);
            if (p.hasResidual != 0)
                v += float(res[p.residualOffset + m * p.outC + n]);
            outv[p.outOffset + m * p.outC + n] = A_T(v);
        }
    }
}

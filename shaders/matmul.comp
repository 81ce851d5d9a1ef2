#version 450
// out[m, n] = dot(a[m, :], b[n, :]): a is [M, K] f32, b is [N, K] of any type of dequant.glsl, out
// is [M, N] f32 with row stride p.outStride. A workgroup computes a BM x BN block of out, staging
// BK-wide slices of a and b through shared memory (block-quantized b is dequantized there, 4 values
// at a time, to fp32); each invocation accumulates a TM x TN micro-tile in registers (fp32), with
// rows ty * TM + i and columns tx + j * (BN / TN) so that stores to out are coalesced across tx.
#extension GL_GOOGLE_include_directive : require

#define WEIGHTS_BINDING 1
#include "common.glsl"
#include "dequant.glsl"
#include "push_constants.h"

layout(constant_id = 1) const uint BM = 64;
layout(constant_id = 2) const uint BN = 64;
layout(constant_id = 3) const uint BK = 16; // divides BLOCK_K
layout(constant_id = 4) const uint TM = 4;
layout(constant_id = 5) const uint TN = 4;

layout(push_constant) uniform Push { MatmulPush p; };

layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

// k-major slices; the +1 pad keeps the transposing stores free of bank conflicts.
const uint LDA = BM + 1;
const uint LDB = BN + 1;
shared float sA[BK * LDA];
shared float sB[BK * LDB];

void main()
{
    const uint t = gl_LocalInvocationID.x;
    const uint tx = t % (BN / TN);
    const uint ty = t / (BN / TN);
    const uint m0 = gl_WorkGroupID.y * BM;
    const uint n0 = gl_WorkGroupID.x * BN;

    float acc[TM][TN];
    for (uint i = 0; i < TM; ++i)
        for (uint j = 0; j < TN; ++j)
            acc[i][j] = 0.0;

    for (uint k0 = 0; k0 < p.K; k0 += BK) {
        // Consecutive invocations load consecutive k of one row: coalesced reads.
        for (uint e = t; e < BM * BK; e += WORKGROUP_SIZE) {
            const uint r = e / BK, c = e % BK;
            const uint m = m0 + r, k = k0 + c;
            sA[c * LDA + r] = (m < p.M && k < p.K) ? a[p.aOffset + m * p.K + k] : 0.0;
        }
#ifdef WEIGHTS_BLOCKS
        // K is whole blocks, so k < K; p.bOffset is in bytes.
        for (uint e = t; e < BN * (BK / 4); e += WORKGROUP_SIZE) {
            const uint r = e / (BK / 4), c = e % (BK / 4) * 4;
            const uint n = n0 + r, k = k0 + c;
            const vec4 v = n < p.N ? dequant4(p.bOffset + (n * (p.K / BLOCK_K) + k / BLOCK_K) * BLOCK_BYTES, k % BLOCK_K)
                                   : vec4(0.0);
            for (uint i = 0; i < 4; ++i)
                sB[(c + i) * LDB + r] = v[i];
        }
#else
        for (uint e = t; e < BN * BK; e += WORKGROUP_SIZE) {
            const uint r = e / BK, c = e % BK;
            const uint n = n0 + r, k = k0 + c;
            sB[c * LDB + r] = (n < p.N && k < p.K) ? weight(p.bOffset + n * p.K + k) : 0.0;
        }
#endif
        barrier();
        for (uint k = 0; k < BK; ++k) {
            float av[TM], bv[TN];
            for (uint i = 0; i < TM; ++i)
                av[i] = sA[k * LDA + ty * TM + i];
            for (uint j = 0; j < TN; ++j)
                bv[j] = sB[k * LDB + tx + j * (BN / TN)];
            for (uint i = 0; i < TM; ++i)
                for (uint j = 0; j < TN; ++j)
                    acc[i][j] += av[i] * bv[j];
        }
        barrier();
    }

    for (uint i = 0; i < TM; ++i) {
        const uint m = m0 + ty * TM + i;
        for (uint j = 0; j < TN; ++j) {
            const uint n = n0 + tx + j * (BN / TN);
            if (m < p.M && n < p.N)
                outv[p.outOffset + m * p.outStride + n] = acc[i][j];
        }
    }
}

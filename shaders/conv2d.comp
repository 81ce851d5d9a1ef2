#version 450
// 2-D convolution of NHWC activations as an implicit GEMM (ops/conv2d.h): out[M, N] = A[M, K] w[N, K]^T
// with M the output pixels, N = outC, K = (ky, kx, ci) and A the im2col view of the input, which
// is never stored: each BK-channel slice of one tap (ky, kx) is gathered from the input straight
// into shared memory (zeros outside the image), as matmul.comp stages its tiles. A workgroup
// computes a BM x BN block of out; each invocation a TM x TN micro-tile in fp32 registers, rows
// ty * TM + i and columns tx + j * (BN / TN) so that stores are coalesced across tx. The slices
// are read as vec4s (B's columns stored permuted so that an invocation's TN are contiguous): on
// lavapipe every load whose address differs between invocations is a loop over the SIMD lanes, and
// a vec4 costs one such loop instead of four. Bias and
// residual are added in the epilogue. ACT_F16: f16 activations (in, residual, out); WEIGHT_F16:
// f16 weights and bias; accumulation is fp32 either way.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif
#ifdef WEIGHT_F16
#define W_T float16_t
#else
#define W_T float
#endif

layout(constant_id = 1) const uint BM = 128;
layout(constant_id = 2) const uint BN = 128;
layout(constant_id = 3) const uint BK = 16; // divides WORKGROUP_SIZE, which divides BM * BK and BN * BK
layout(constant_id = 4) const uint TM = 8;  // multiples of 4
layout(constant_id = 5) const uint TN = 8;
layout(constant_id = 6) const uint KH = 3;
layout(constant_id = 7) const uint KW = 3;

layout(push_constant) uniform Push { Conv2dPush p; };

layout(std430, binding = 0) readonly buffer In { A_T inv[]; };
layout(std430, binding = 1) readonly buffer Weight { W_T w[]; };
layout(std430, binding = 2) readonly buffer Bias { W_T bias[]; };
layout(std430, binding = 3) readonly buffer Residual { A_T res[]; };
layout(std430, binding = 4) writeonly buffer Out { A_T outv[]; };

// k-major slices of vec4s, padded by one against bank conflicts. sA[k][r] holds row r;
// sB[k][tx * TN + j] holds column tx + j * (BN / TN).
const uint LDA4 = BM / 4 + 1;
const uint LDB4 = BN / 4 + 1;
shared vec4 sA[BK * LDA4];
shared vec4 sB[BK * LDB4];

// Each invocation loads channel t % BK of the rows t / BK + i * ROW_STEP of both tiles.
const uint ROW_STEP = WORKGROUP_SIZE / BK;
const uint AROWS = BM / ROW_STEP;
const uint BROWS = BN / ROW_STEP;

void main()
{
    const uint t = gl_LocalInvocationID.x;
    const uint tx = t % (BN / TN);
    const uint ty = t / (BN / TN);
    const uint m0 = gl_WorkGroupID.y * BM;
    const uint n0 = gl_WorkGroupID.x * BN;
    const uint imagePixels = p.outRows * p.outW;
    const uint M = p.images * imagePixels;
    const uint K = KH * KW * p.inC;
    const uint up = p.upsample;
    const int height = int(p.inH << up), width = int(p.inW << up); // of the (upsampled) image read
    const uint lane = t % BK, row0 = t / BK;

    // Where the A rows this invocation gathers start: the input pixel under tap (0, 0) of each.
    int rowY[AROWS], rowX[AROWS];
    uint rowBase[AROWS];
    for (uint i = 0; i < AROWS; ++i) {
        const uint m = m0 + row0 + i * ROW_STEP;
        const uint img = m / imagePixels, rem = m % imagePixels;
        rowY[i] = m < M ? int((p.outRowFirst + rem / p.outW) * p.stride) - int(p.pad) : -(1 << 30);
        rowX[i] = int((rem % p.outW) * p.stride) - int(p.pad);
        rowBase[i] = p.inOffset + img * p.inH * p.inW * p.inC + lane;
    }

    float acc[TM][TN];
    for (uint i = 0; i < TM; ++i)
        for (uint j = 0; j < TN; ++j)
            acc[i][j] = 0.0;

    for (uint tap = 0; tap < KH * KW; ++tap) {
        const int ky = int(tap / KW), kx = int(tap % KW);
        for (uint c0 = 0; c0 < p.inC; c0 += BK) {
            const bool channel = c0 + lane < p.inC;
            for (uint i = 0; i < AROWS; ++i) {
                const int y = rowY[i] + ky, x = rowX[i] + kx;
                float v = 0.0;
                if (channel && y >= 0 && y < height && x >= 0 && x < width) {
                    const uint sy = (uint(y) >> up) - p.inRowFirst, sx = uint(x) >> up;
                    v = float(inv[rowBase[i] + (sy * p.inW + sx) * p.inC + c0]);
                }
                const uint r = row0 + i * ROW_STEP;
                sA[lane * LDA4 + r / 4][r % 4] = v;
            }
            for (uint i = 0; i < BROWS; ++i) {
                const uint c = row0 + i * ROW_STEP, n = n0 + c;
                const uint slot = (c % (BN / TN)) * TN + c / (BN / TN);
                sB[lane * LDB4 + slot / 4][slot % 4] =
                    channel && n < p.outC ? float(w[p.weightOffset + n * K + tap * p.inC + c0 + lane]) : 0.0;
            }
            barrier();
            for (uint k = 0; k < BK; ++k) {
                vec4 av[TM / 4], bv[TN / 4];
                for (uint i = 0; i < TM / 4; ++i)
                    av[i] = sA[k * LDA4 + ty * (TM / 4) + i];
                for (uint j = 0; j < TN / 4; ++j)
                    bv[j] = sB[k * LDB4 + tx * (TN / 4) + j];
                for (uint i = 0; i < TM; ++i)
                    for (uint j = 0; j < TN; ++j)
                        acc[i][j] += av[i / 4][i % 4] * bv[j / 4][j % 4];
            }
            barrier();
        }
    }

    // The output window starts at this dispatch's first pixel, so pixel m is row m of it.
    for (uint i = 0; i < TM; ++i) {
        const uint m = m0 + ty * TM + i;
        if (m >= M)
            break;
        for (uint j = 0; j < TN; ++j) {
            const uint n = n0 + tx + j * (BN / TN);
            if (n >= p.outC)
                continue;
            float v = acc[i][j];
            if (p.hasBias != 0)
                v += float(bias[p.biasOffset + n]);
            if (p.hasResidual != 0)
                v += float(res[p.residualOffset + m * p.outC + n]);
            outv[p.outOffset + m * p.outC + n] = A_T(v);
        }
    }
}

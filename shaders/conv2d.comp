#version 450
// 2-D convolution of NHWC activations as an implicit GEMM (ops/conv2d.h): out[M, N] = A[M, K] w[N, K]^T
// with M the output pixels, N = outC, K = (ky, kx, ci) and A the im2col view of the input, which
// is never stored: each BK-channel slice of one tap (ky, kx) is gathered from the input straight
// into shared memory (zeros outside the image), as matmul.comp stages its tiles. A workgroup
// computes a BM x BN block of out; each invocation a TM x TN micro-tile in fp32 registers, rows
// ty * TM + i and columns tx + j * (BN / TN) so that stores are coalesced across tx. Bias and
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
layout(constant_id = 4) const uint TM = 8;
layout(constant_id = 5) const uint TN = 8;
layout(constant_id = 6) const uint KH = 3;
layout(constant_id = 7) const uint KW = 3;

layout(push_constant) uniform Push { Conv2dPush p; };

layout(std430, binding = 0) readonly buffer In { A_T inv[]; };
layout(std430, binding = 1) readonly buffer Weight { W_T w[]; };
layout(std430, binding = 2) readonly buffer Bias { W_T bias[]; };
layout(std430, binding = 3) readonly buffer Residual { A_T res[]; };
layout(std430, binding = 4) writeonly buffer Out { A_T outv[]; };

// k-major slices; the +1 pad keeps the transposing stores free of bank conflicts.
const uint LDA = BM + 1;
const uint LDB = BN + 1;
shared float sA[BK * LDA];
shared float sB[BK * LDB];

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
                sA[lane * LDA + row0 + i * ROW_STEP] = v;
            }
            for (uint i = 0; i < BROWS; ++i) {
                const uint n = n0 + row0 + i * ROW_STEP;
                sB[lane * LDB + row0 + i * ROW_STEP] =
                    channel && n < p.outC ? float(w[p.weightOffset + n * K + tap * p.inC + c0 + lane]) : 0.0;
            }
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

#version 450
// 2-D convolution of NHWC activations as an implicit GEMM (ops/conv2d.h): out[M, N] = A[M, K] w[N, K]^T
// with M the output pixels, N = outC, K = (ky, kx, ci) and A the im2col view of the input, which
// is never stored: each BK-channel slice of one tap (ky, kx) is gathered from the input straight
// into shared memory (zeros outside the image), as matmul.comp stages its tiles. A workgroup
// computes a BM x BN block of out; each invocation a TM x TN micro-tile in fp32 registers, rows
// ty * TM + i and columns tx + j * (BN / TN) so that stores are coalesced across tx. Slices are
// row-major in k (vec4s of 4 k) and read as vec4s: on lavapipe every load or store whose address
// differs between invocations is a loop over the SIMD lanes, and a vec4 costs one loop instead of
// four. With VEC4_LOADS (inC a multiple of 4) the slices are also gathered 4 channels at a time.
// Bias and residual are added in the epilogue. ACT_F16: f16 activations (in, residual, out);
// WEIGHT_F16: f16 weights and bias; accumulation is fp32 either way.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#ifdef ACT_F16
#define A_T float16_t
#define A_T4 f16vec4
#else
#define A_T float
#define A_T4 vec4
#endif
#ifdef WEIGHT_F16
#define W_T float16_t
#define W_T4 f16vec4
#else
#define W_T float
#define W_T4 vec4
#endif

layout(constant_id = 1) const uint BM = 128;
layout(constant_id = 2) const uint BN = 128;
layout(constant_id = 3) const uint BK = 16; // divides WORKGROUP_SIZE, which divides BM * BK and BN * BK
layout(constant_id = 4) const uint TM = 8;  // multiples of 4
layout(constant_id = 5) const uint TN = 8;
layout(constant_id = 6) const uint KH = 3;
layout(constant_id = 7) const uint KW = 3;
layout(constant_id = 8) const bool VEC4_LOADS = false; // inC % 4 == 0, inOffset % 4 == 0

layout(push_constant) uniform Push { Conv2dPush p; };

layout(std430, binding = 0) readonly buffer In { A_T inv[]; };
layout(std430, binding = 0) readonly buffer In4 { A_T4 inv4[]; };
layout(std430, binding = 1) readonly buffer Weight { W_T w[]; };
layout(std430, binding = 1) readonly buffer Weight4 { W_T4 w4[]; };
layout(std430, binding = 2) readonly buffer Bias { W_T bias[]; };
layout(std430, binding = 3) readonly buffer Residual { A_T res[]; };
layout(std430, binding = 4) writeonly buffer Out { A_T outv[]; };

// Slices of BK values of k per row, as vec4s, rows padded by one vec4 against bank conflicts:
// sA[r * LDK4 + k4] holds k = 4 k4 .. 4 k4 + 3 of row r of A, sB the same of column r of B.
const uint K4 = BK / 4;
const uint LDK4 = K4 + 1;
shared vec4 sA[BM * LDK4];
shared vec4 sB[BN * LDK4];

// Gathers: each invocation loads `LANES`-th part `lane` of the rows row0 + i * ROW_STEP: one
// channel of BK, or 4 channels (VEC4_LOADS).
const uint LANES = VEC4_LOADS ? K4 : BK;
const uint ROW_STEP = WORKGROUP_SIZE / LANES;
const uint MAX_ROWS = BM * BK / WORKGROUP_SIZE; // rows per invocation without VEC4_LOADS
const uint AROWS = BM / ROW_STEP;
const uint BROWS = (BN + ROW_STEP - 1) / ROW_STEP; // narrow tiles: BN may be below ROW_STEP

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
    const uint lane = t % LANES, row0 = t / LANES;
    const uint laneC = VEC4_LOADS ? 4 * lane : lane; // its first channel within a slice

    // Where the A rows this invocation gathers start: the input pixel under tap (0, 0) of each.
    int rowY[MAX_ROWS], rowX[MAX_ROWS];
    uint rowBase[MAX_ROWS];
    for (uint i = 0; i < AROWS; ++i) {
        const uint m = m0 + row0 + i * ROW_STEP;
        const uint img = m / imagePixels, rem = m % imagePixels;
        rowY[i] = m < M ? int((p.outRowFirst + rem / p.outW) * p.stride) - int(p.pad) : -(1 << 30);
        rowX[i] = int((rem % p.outW) * p.stride) - int(p.pad);
        rowBase[i] = p.inOffset + img * p.inH * p.inW * p.inC + laneC;
    }

    float acc[TM][TN];
    for (uint i = 0; i < TM; ++i)
        for (uint j = 0; j < TN; ++j)
            acc[i][j] = 0.0;

    for (uint tap = 0; tap < KH * KW; ++tap) {
        const int ky = int(tap / KW), kx = int(tap % KW);
        for (uint c0 = 0; c0 < p.inC; c0 += BK) {
            // With VEC4_LOADS the 4 channels from c0 + laneC exist together (inC % 4 == 0).
            const bool channel = c0 + laneC < p.inC;
            for (uint i = 0; i < AROWS; ++i) {
                const int y = rowY[i] + ky, x = rowX[i] + kx;
                const bool inside = channel && y >= 0 && y < height && x >= 0 && x < width;
                const uint at = rowBase[i] + (((uint(y) >> up) - p.inRowFirst) * p.inW + (uint(x) >> up)) * p.inC + c0;
                const uint r = row0 + i * ROW_STEP;
                if (VEC4_LOADS) {
                    vec4 v = vec4(0.0);
                    if (inside)
                        v = vec4(inv4[at / 4]);
                    sA[r * LDK4 + lane] = v;
                } else {
                    float v = 0.0;
                    if (inside)
                        v = float(inv[at]);
                    sA[r * LDK4 + lane / 4][lane % 4] = v;
                }
            }
            for (uint i = 0; i < BROWS; ++i) {
                const uint r = row0 + i * ROW_STEP, n = n0 + r;
                if (r >= BN)
                    break;
                const bool valid = channel && n < p.outC;
                const uint at = p.weightOffset + n * K + tap * p.inC + c0 + laneC;
                if (VEC4_LOADS) {
                    vec4 v = vec4(0.0);
                    if (valid)
                        v = vec4(w4[at / 4]);
                    sB[r * LDK4 + lane] = v;
                } else {
                    float v = 0.0;
                    if (valid)
                        v = float(w[at]);
                    sB[r * LDK4 + lane / 4][lane % 4] = v;
                }
            }
            barrier();
            for (uint k4 = 0; k4 < K4; ++k4) {
                vec4 av[TM], bv[TN];
                for (uint i = 0; i < TM; ++i)
                    av[i] = sA[(ty * TM + i) * LDK4 + k4];
                for (uint j = 0; j < TN; ++j)
                    bv[j] = sB[(tx + j * (BN / TN)) * LDK4 + k4];
                for (uint i = 0; i < TM; ++i)
                    for (uint j = 0; j < TN; ++j)
                        acc[i][j] += dot(av[i], bv[j]);
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

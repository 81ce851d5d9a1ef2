#version 450
// out[m, n] = dot(a[m, :], b[n, :]) for the few rows of a (MROWS) of decoding, shaped for CPU
// devices (lavapipe): each invocation owns R whole rows of b and walks K alone, so there is no
// reduction, no shared memory and no barrier. a and b are texel buffers of uvec4 (texels.glsl): lavapipe
// loads texels with straight vector code but loads storage buffers lane by lane in a loop, which
// made the storage-buffer kernel (matvec.comp) 4-8x slower there. GPUs keep matvec.comp, whose
// coalesced loads this layout (lanes reading different rows) would lose.
// Several passes over MROWS rows of a each go in one dispatch, one pass per gl_WorkGroupID.z.
// EXPERTS: gl_WorkGroupID.z is instead one (token, expert) pair of a mixture of experts.
// Several rows of a (prompts, A_FETCHED_AS_USED): each value of a is fetched where it is used
// instead of a block's worth being held for the R rows; 8 rows of 8 vec4s held spilled 5x slower.
// Block types: each block of each row is copied from the texels that cover it into blockWords,
// shifted to start at word 0 (blocks of q4_0, q5_0, q8_0 and q6_k start at any even byte), and
// decoded by dequant.glsl's dequantGroup with constant offsets. Plain types: rows start on 16 bytes.
#extension GL_GOOGLE_include_directive : require
#extension GL_EXT_samplerless_texture_functions : enable // SAMPLED_TEXELS (texels.glsl)

#define WEIGHTS_REGISTERS
#include "common.glsl"
#include "texels.glsl"
#include "dequant.glsl"
#include "push_constants.h"

layout(constant_id = 1) const uint MROWS = 1; // rows of a, = p.M
layout(constant_id = 2) const uint R = 2;     // rows of b per invocation

#ifdef GLU
// The gated feed-forward's gate and up projections at once: R = 2 * PAIRS, rows r < PAIRS of gate
// and rows r - PAIRS of up (binding 3), so each invocation writes PAIRS of act(gate row) * (up row)
// and a is fetched once for all of them.
#include "activation.glsl"
layout(constant_id = 3) const uint ACTIVATION = kActivationSilu;
const uint PAIRS = R / 2;
TEXEL_BUFFER(3, upTexels);
#endif
#ifdef EXPERTS
// A mixture of experts (MatmulExpertsPush): workgroup z is one (token, expert) pair, MROWS = 1.
layout(push_constant) uniform Push { MatmulExpertsPush p; };
#ifdef GLU
layout(std430, binding = 4) readonly buffer Routes { float routes[]; };
#else
layout(std430, binding = 3) readonly buffer Routes { float routes[]; };
#endif
#elif defined(GLU)
layout(push_constant) uniform Push { MatmulGluPush p; };
#elif defined(EPILOGUE)
// The Linear layer's epilogue (MatmulEpiloguePush): + bias, an activation, + the residual in out.
#include "gelu.glsl"
layout(push_constant) uniform Push { MatmulEpiloguePush p; };
layout(constant_id = 3) const uint ACT = 0;      // 0 none, 1 erf GELU, 2 tanh GELU, 3 quick GELU
layout(constant_id = 4) const bool HAS_BIAS = false;
layout(constant_id = 5) const bool RESIDUAL = false;
layout(std430, binding = 3) readonly buffer Bias { float bias[]; };
#elif defined(RESIDUAL_NORM)
// The seam after a block's output projection, decoding (MatmulResidualNormPush, MROWS = 1): once
// every invocation has stored its products, the last subgroup to finish adds them (post-normed where
// p.postNorm) to the residual x and writes the next block's input xn = rmsnorm(x) * next, as
// residual_norm.comp does in a dispatch of its own. It knows it is last from the finish counter,
// which it leaves at 0 for the next pass.
layout(push_constant) uniform Push { MatmulResidualNormPush p; };
layout(std430, binding = 3) restrict buffer X { float x[]; };
layout(std430, binding = 4) restrict readonly buffer Post { float post[]; };
layout(std430, binding = 5) restrict readonly buffer Next { float next[]; };
layout(std430, binding = 6) restrict writeonly buffer Xn { float xn[]; };
layout(std430, binding = 7) coherent restrict buffer Finished { uint finished; };
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_ballot : require
#else
layout(push_constant) uniform Push { MatmulPush p; };
#endif

TEXEL_BUFFER(0, aTexels); // f32 bits, 4 per texel; p.aOffset % 4 == 0
TEXEL_BUFFER(1, bTexels);
#ifdef EPILOGUE
layout(std430, binding = 2) buffer Out { float outv[]; }; // read too: the residual
#elif defined(RESIDUAL_NORM)
layout(std430, binding = 2) coherent buffer Out { float outv[]; }; // read by the last invocation
#else
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };
#endif

// Over several rows of a (A_FETCHED_AS_USED) fused multiply-adds sent q5_0 and q5_1 at 8 x 4 into
// a cliff (M = 64 3.5 -> 23 ms on a Sapphire Rapids host), so those keep dot().
#ifdef A_FETCHED_AS_USED
float accumulate(vec4 v, vec4 x, float acc) { return acc + dot(v, x); }
#else
float accumulate(vec4 v, vec4 x, float acc) { return fmaDot(v, x, acc); }
#endif

vec4 a4(uint texel) { return uintBitsToFloat(fetchTexel(aTexels, texel)); }

// The last texel of b is clamped: a block's covering texels may reach past the bound range.
// r: the row of the invocation (constant once loops unroll); with GLU rows PAIRS.. are up's.
uvec4 bTexel(uint texel, uint r)
{
#ifdef GLU
    if (r >= PAIRS)
        return fetchTexel(upTexels, min(int(texel), texelCount(upTexels) - 1));
#endif
    return fetchTexel(bTexels, min(int(texel), texelCount(bTexels) - 1));
}

#ifdef WEIGHTS_BLOCKS
const uint ALIGN = min(16u, BLOCK_BYTES & (~BLOCK_BYTES + 1u)); // bytes every block start is a multiple of
const uint TEXELS = (BLOCK_BYTES + (16u - ALIGN) + 15u) / 16u;  // texels covering a block at any such start
const uint WORDS = (BLOCK_BYTES + 3u) / 4u;

// blockWords = the BLOCK_BYTES bytes from byte `b` of the binding (b % ALIGN == 0).
void loadBlock(uint b, uint r)
{
    uint w[TEXELS * 4 + 3];
    for (uint t = 0; t < TEXELS; ++t) {
        const uvec4 x = bTexel(b / 16 + t, r);
        for (uint i = 0; i < 4; ++i)
            w[4 * t + i] = x[i];
    }
    for (uint i = TEXELS * 4; i < TEXELS * 4 + 3; ++i)
        w[i] = 0;
    // Shift the window left by b % 16 bytes: whole words, then half words.
    const uint s = b & 15u;
    if (ALIGN < 16) {
        const bool by8 = (s & 8u) != 0;
        for (uint i = 0; i < TEXELS * 4 + 1; ++i)
            w[i] = by8 ? w[i + 2] : w[i];
    }
    if (ALIGN < 8) {
        const bool by4 = (s & 4u) != 0;
        for (uint i = 0; i < TEXELS * 4 + 1; ++i)
            w[i] = by4 ? w[i + 1] : w[i];
    }
    if (ALIGN < 4) {
        const bool by2 = (s & 2u) != 0;
        for (uint i = 0; i < WORDS; ++i)
            w[i] = by2 ? (w[i] >> 16) | (w[i + 1] << 16) : w[i];
    }
    for (uint i = 0; i < WORDS; ++i)
        blockWords[i] = w[i];
}
#endif

#ifdef RESIDUAL_NORM
// The seam, by one subgroup, striding over the row as residual_norm.comp does over a workgroup.
void residualNorm()
{
    const uint lane = gl_SubgroupInvocationID;
    float postScale = 1.0;
    if (p.postNorm != 0) {
        float ss = 0.0;
        for (uint i = lane; i < p.N; i += gl_SubgroupSize)
            ss += outv[p.outOffset + i] * outv[p.outOffset + i];
        postScale = inversesqrt(subgroupAdd(ss) / float(p.N) + p.eps);
    }
    // Each lane reads back only the elements of x it wrote itself.
    float ss = 0.0;
    for (uint i = lane; i < p.N; i += gl_SubgroupSize) {
        const float y = outv[p.outOffset + i];
        const float v = p.postNorm != 0 ? x[p.xOffset + i] + y * postScale * post[i] : x[p.xOffset + i] + y;
        x[p.xOffset + i] = v;
        ss += v * v;
    }
    const float inv = inversesqrt(subgroupAdd(ss) / float(p.N) + p.eps);
    for (uint i = lane; i < p.N; i += gl_SubgroupSize)
        xn[p.xnOffset + i] = x[p.xOffset + i] * inv * next[i];
}
#endif

void main()
{
#ifdef GLU
    const uint n0 = flatInvocation() * PAIRS;
#else
    const uint n0 = flatInvocation() * R;
#endif
#ifndef RESIDUAL_NORM // there every invocation reaches the count at the end (rows past N are dropped)
    if (n0 >= p.N)
        return;
#endif
#ifdef EXPERTS
    // Pair z: its token's row of a, its expert's matrix of b (bShift into the bound experts), its
    // own row of out; a pair routed to an expert outside the binding is another dispatch's.
    const uint pair = p.firstPair + gl_WorkGroupID.z;
    const uint expert = uint(routes[p.routeOffset + 2 * pair]);
    if (expert < p.firstExpert || expert >= p.firstExpert + p.experts)
        return;
    const uint bShift = (expert - p.firstExpert) * p.expertStride;
    const uint aBase = p.aOffset + pair / p.aRowEvery * p.K;
    const uint oBase = p.outOffset + pair * p.outStride;
#else
    // Pass gl_WorkGroupID.z takes rows z * MROWS .. of a and out: one dispatch for all the passes.
    const uint bShift = 0;
    const uint aBase = p.aOffset + gl_WorkGroupID.z * MROWS * p.K;
    const uint oBase = p.outOffset + gl_WorkGroupID.z * MROWS * p.outStride;
#endif
    float acc[R * MROWS];
    for (uint i = 0; i < R * MROWS; ++i)
        acc[i] = 0.0;

#ifdef WEIGHTS_BLOCKS
    const uint rowBytes = p.K / BLOCK_K * BLOCK_BYTES;
    uint row[R]; // rows past N repeat the last one; their sums are dropped
    for (uint r = 0; r < R; ++r)
        row[r] = p.bOffset + bShift + min(n0 + r, p.N - 1) * rowBytes;
#ifdef GLU
    for (uint r = 0; r < PAIRS; ++r) {
        row[r] = p.bOffset + bShift + min(n0 + r, p.N - 1) * rowBytes;
        row[PAIRS + r] = p.upOffset + bShift + min(n0 + r, p.N - 1) * rowBytes;
    }
#endif
    for (uint j = 0; j < p.K / BLOCK_K; ++j) {
#if BLOCK_K == 32 && !defined(A_FETCHED_AS_USED)
        // a's 32 values serve all R rows.
        vec4 av[MROWS * 8];
        for (uint m = 0; m < MROWS; ++m)
            for (uint i = 0; i < 8; ++i)
                av[m * 8 + i] = a4((aBase + m * p.K + j * 32) / 4 + i);
#ifdef GROUP_AFFINE
        // Each group's values are so.x * q + so.y (dequant.glsl): sum q * a with fused multiply-adds
        // and apply the scale once; the offset multiplies the group's sum of a, shared by all R rows.
        float aSum[MROWS * 2];
        for (uint m = 0; m < MROWS; ++m)
            for (uint g = 0; g < 2; ++g) {
                aSum[m * 2 + g] = 0.0;
                if (GROUP_OFFSET)
                    for (uint i = 0; i < 4; ++i)
                        aSum[m * 2 + g] = fmaDot(av[m * 8 + groupRun(g, i) / 4], vec4(1.0), aSum[m * 2 + g]);
            }
#endif
#endif
        for (uint r = 0; r < R; ++r) {
            loadBlock(row[r] + j * BLOCK_BYTES, r);
            for (uint g = 0; g < BLOCK_K / 16; ++g) {
#if BLOCK_K == 32 && !defined(A_FETCHED_AS_USED) && defined(GROUP_AFFINE)
                vec4 q[4];
                vec2 so;
                dequantGroupAffine(0, g, q, so);
                for (uint m = 0; m < MROWS; ++m) {
                    float s = 0.0;
                    for (uint i = 0; i < 4; ++i)
                        s = fmaDot(q[i], av[m * 8 + groupRun(g, i) / 4], s);
                    acc[r * MROWS + m] = fma(so.x, s, acc[r * MROWS + m]);
                    if (GROUP_OFFSET)
                        acc[r * MROWS + m] = fma(so.y, aSum[m * 2 + g], acc[r * MROWS + m]);
                }
#else
                vec4 v[4];
                dequantGroup(0, g, v);
                for (uint i = 0; i < 4; ++i) {
                    const uint e = groupRun(g, i);
                    for (uint m = 0; m < MROWS; ++m) {
#if BLOCK_K == 32 && !defined(A_FETCHED_AS_USED)
                        const vec4 x = av[m * 8 + e / 4];
#else
                        // 256-value blocks (R is 1 for them): not held in 64 vec4s either.
                        const vec4 x = a4((aBase + m * p.K + j * BLOCK_K + e) / 4);
#endif
                        acc[r * MROWS + m] = accumulate(v[i], x, acc[r * MROWS + m]);
                    }
                }
#endif
            }
        }
    }
#else
    // 16 bytes of b per step: 4 f32 or 8 f16 / bf16 values.
    const uint PER_TEXEL = TEXEL_VEC4S * 4;
    uint row[R];
    for (uint r = 0; r < R; ++r)
        row[r] = (p.bOffset + bShift + min(n0 + r, p.N - 1) * p.K) / PER_TEXEL;
#ifdef GLU
    for (uint r = 0; r < PAIRS; ++r) {
        row[r] = (p.bOffset + bShift + min(n0 + r, p.N - 1) * p.K) / PER_TEXEL;
        row[PAIRS + r] = (p.upOffset + bShift + min(n0 + r, p.N - 1) * p.K) / PER_TEXEL;
    }
#endif
    for (uint t = 0; t < p.K / PER_TEXEL; ++t) {
        vec4 av[MROWS * TEXEL_VEC4S];
        for (uint m = 0; m < MROWS; ++m)
            for (uint i = 0; i < TEXEL_VEC4S; ++i)
                av[m * TEXEL_VEC4S + i] = a4((aBase + m * p.K) / 4 + t * TEXEL_VEC4S + i);
        for (uint r = 0; r < R; ++r) {
            vec4 v[TEXEL_VEC4S];
            unpackTexel(bTexel(row[r] + t, r), v);
            for (uint i = 0; i < TEXEL_VEC4S; ++i)
                for (uint m = 0; m < MROWS; ++m)
                    acc[r * MROWS + m] = accumulate(v[i], av[m * TEXEL_VEC4S + i], acc[r * MROWS + m]);
        }
    }
#endif

#ifdef GLU
    for (uint r = 0; r < PAIRS; ++r)
        for (uint m = 0; m < MROWS; ++m)
            if (n0 + r < p.N)
                outv[oBase + m * p.outStride + n0 + r] = activation(acc[r * MROWS + m], ACTIVATION) * acc[(PAIRS + r) * MROWS + m];
#elif defined(EPILOGUE)
    for (uint r = 0; r < R; ++r) {
        if (n0 + r >= p.N)
            continue;
        const uint n = p.nFirst + n0 + r;
        const uint column = oBase + (n / p.partColumns) * p.partStride + n % p.partColumns;
        const float b = HAS_BIAS ? bias[p.biasOffset + n] : 0.0;
        for (uint m = 0; m < MROWS; ++m) {
            float v = HAS_BIAS ? acc[r * MROWS + m] + b : acc[r * MROWS + m];
            if (ACT == 1)
                v = geluErf(v);
            else if (ACT == 2)
                v = geluTanh(v);
            else if (ACT == 3)
                v = geluQuick(v);
            const uint i = column + m * p.outStride;
            outv[i] = RESIDUAL ? outv[i] + v : v;
        }
    }
#else
    for (uint r = 0; r < R; ++r)
        for (uint m = 0; m < MROWS; ++m)
            if (n0 + r < p.N)
                outv[oBase + m * p.outStride + n0 + r] = acc[r * MROWS + m];
#endif
#ifdef RESIDUAL_NORM
    // Each subgroup counts once all its lanes have stored; the last of all does the seam, with no
    // workgroup barrier (lavapipe would run the whole kernel as coroutines for one; a subgroup
    // barrier costs it nothing measurable).
    memoryBarrierBuffer();
    subgroupBarrier();
    uint counted = 0;
    if (subgroupElect())
        counted = atomicAdd(finished, 1u);
    if (subgroupBroadcastFirst(counted) + 1u == p.subgroups) {
        memoryBarrierBuffer(); // the other subgroups' products, stored before their counts
        residualNorm();
        if (subgroupElect())
            finished = 0u;
    }
#endif
}

#version 450
// Flash attention over an f16 kv cache: softmax(scale * q k^T, causal / sliding-window mask) v,
// with an online softmax so the scores never leave shared memory. A workgroup owns BR query rows
// of one kv head (the query heads of a group share every k and v row it loads) and streams that
// head's visible kv rows in tiles of BC: k through shared memory, where each invocation computes
// an SR x SC block of scores (each load serves several dot products), and v straight from the
// buffer, four columns per invocation, each v element read once per workgroup. With SPLIT the kv
// range is cut into p.splits parts (gl_WorkGroupID.z) whose unnormalised outputs, maxima and sums
// go to a workspace that the COMBINE variant merges (flash-decoding). Accumulation is fp32.
// The diffusion models' whole-sequence attention (ops/sequence_attention.h) uses the same kernel on
// token-major k and v ([tokens, heads, headDim]: KV_ROW_STRIDE = heads * headDim, headStride =
// headDim) with all-f32 (KV_F32) or all-f16 (QO_F16) tensors.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "soft_cap.glsl"

#ifdef COMBINE
#include "attention_combine.glsl"
#else

layout(constant_id = 1) const uint HEAD_DIM = 128; // a multiple of 4, at most 4 * WORKGROUP_SIZE
layout(constant_id = 2) const uint BR = 16;        // query rows per workgroup
layout(constant_id = 3) const uint BC = 32;        // kv rows per tile
layout(constant_id = 4) const uint SR = 1;         // scores per invocation: SR rows x SC columns
layout(constant_id = 5) const uint SC = 1;
layout(constant_id = 6) const uint KV_ROW_STRIDE = 0; // elements between kv rows; 0: HEAD_DIM (head-major cache)
// The output: an invocation owns PV_COLS vec4 columns of QC rows, the workgroup PV_GROUPS row groups
// (0: as many as the invocations allow). CPU devices take few invocations with many columns and
// rows each, which needs fewer loads per multiply-add; the others stay idle in that phase.
layout(constant_id = 7) const uint PV_COLS = 1;    // divides HEAD_DIM / 4
layout(constant_id = 8) const uint PV_GROUPS = 0;

const uint D4 = HEAD_DIM / 4;
const uint CG = BC / SC;              // column groups of the score tile
// With SC a multiple of 4 an invocation's score columns are contiguous and go to sS as vec4s: on
// lavapipe every shared-memory access whose address differs between invocations is a loop over the
// SIMD lanes, whatever its width. Otherwise columns are CG apart.
const bool VEC_SCORES = SC % 4 == 0;
const uint CGV = D4 / PV_COLS;        // column groups of the output
const uint RS = PV_GROUPS != 0 ? PV_GROUPS : WORKGROUP_SIZE / CGV; // row groups of the output
const uint QC = (BR + RS - 1) / RS;   // output rows per invocation
const uint KV_ROW4 = (KV_ROW_STRIDE == 0 ? HEAD_DIM : KV_ROW_STRIDE) / 4;

layout(push_constant) uniform Push { AttentionPush p; };

#ifdef QO_F16
layout(std430, binding = 0) readonly buffer Q { f16vec4 q4[]; };
layout(std430, binding = 3) writeonly buffer Out { f16vec4 out4[]; };
#else
layout(std430, binding = 0) readonly buffer Q { vec4 q4[]; };
layout(std430, binding = 3) writeonly buffer Out { vec4 out4[]; };
layout(std430, binding = 3) writeonly buffer OutScalar { float outv[]; };
#endif
#ifdef KV_F32
layout(std430, binding = 1) readonly buffer K { vec4 k4[]; };
layout(std430, binding = 2) readonly buffer V { vec4 v4[]; };
#define K_T vec4
#define K_ZERO vec4(0.0)
#define K_VEC4(k) (k)
#else
layout(std430, binding = 1) readonly buffer K { uvec2 k4[]; }; // 4 halves per element
layout(std430, binding = 2) readonly buffer V { f16vec4 v4[]; };
#define K_T uvec2
#define K_ZERO uvec2(0)
#define K_VEC4(k) vec4(unpackHalf2x16((k).x), unpackHalf2x16((k).y))
#endif

shared vec4 sQ[BR * (D4 + 1)];  // scaled queries; rows padded against bank conflicts
shared K_T sK[BC * (D4 + 1)];
const uint SROW = BC / 4 + 1;   // vec4s per row of sS
shared vec4 sS[BR * SROW];      // scores, then probabilities (0 past the tile's columns)
shared float sM[BR];            // running maximum per row
shared float sL[BR];            // running sum of exp(score - max) per row
shared float sAlpha[BR];        // rescale of the accumulators for this tile

#define NEG_INF uintBitsToFloat(0xff800000u)
const float LOWEST = -3.402823466e38;

void main()
{
    const uint t = gl_LocalInvocationID.x;
    const uint kvHead = gl_WorkGroupID.y;
    const uint row0 = gl_WorkGroupID.x * BR;
    const uint nRows = min(BR, p.tokens * p.group - row0);
    const uint posFirst = p.startPosition + row0 / p.group;
    const uint posLast = p.startPosition + (row0 + nRows - 1) / p.group;

    // The kv rows some query of this block sees, then this workgroup's split of them.
    uint lo = 0, hi = p.kvLength;
    if (p.causal != 0)
        hi = min(hi, posLast + 1);
    if (p.window != 0 && posFirst + 1 > p.window)
        lo = posFirst + 1 - p.window;
    if (p.splits > 1) {
        const uint chunk = ((hi - lo + p.splits - 1) / p.splits + BC - 1) / BC * BC;
        lo = min(hi, lo + gl_WorkGroupID.z * chunk);
        hi = min(hi, lo + chunk);
    }

    for (uint i = t; i < BR * D4; i += WORKGROUP_SIZE) {
        const uint r = i / D4, c4 = i % D4;
        vec4 value = vec4(0.0);
        if (r < nRows) {
            const uint row = row0 + r;
            const uint head = (p.firstKvHead + kvHead) * p.group + row % p.group;
            value = vec4(q4[(p.qOffset + ((row / p.group) * p.heads + head) * HEAD_DIM) / 4 + c4]) * p.scale;
        }
        sQ[r * (D4 + 1) + c4] = value;
    }
    if (t < BR) {
        sM[t] = LOWEST;
        sL[t] = 0.0;
    }
    // Scores: rows sr0 + i, columns column(j). Output: vec4 columns d4 + cc, rows rg + qi * RS.
    const uint sc0 = t % CG, sr0 = (t / CG) * SR;
#define column(j) (VEC_SCORES ? sc0 * SC + (j) : sc0 + (j) * CG)
    const uint d4 = (t % CGV) * PV_COLS, rg = t / CGV;
    vec4 acc[QC * PV_COLS];
    for (uint i = 0; i < QC * PV_COLS; ++i)
        acc[i] = vec4(0.0);
    const uint kBase = (p.kOffset + kvHead * p.headStride) / 4;
    const uint vBase = (p.vOffset + kvHead * p.headStride) / 4 + d4;
    barrier();

    for (uint j0 = lo; j0 < hi; j0 += BC) {
        const uint cols = min(BC, hi - j0);
        for (uint i = t; i < BC * D4; i += WORKGROUP_SIZE) {
            const uint c = i / D4, c4 = i % D4;
            sK[c * (D4 + 1) + c4] = c < cols ? k4[kBase + (j0 + c) * KV_ROW4 + c4] : K_ZERO;
        }
        barrier();

        if (sr0 < BR) {
            float sum[SR * SC];
            for (uint i = 0; i < SR * SC; ++i)
                sum[i] = 0.0;
            for (uint c4 = 0; c4 < D4; ++c4) {
                vec4 qv[SR];
                for (uint i = 0; i < SR; ++i)
                    qv[i] = sQ[(sr0 + i) * (D4 + 1) + c4];
                for (uint j = 0; j < SC; ++j) {
                    const vec4 kv = K_VEC4(sK[column(j) * (D4 + 1) + c4]);
                    for (uint i = 0; i < SR; ++i)
                        sum[i * SC + j] += dot(qv[i], kv);
                }
            }
            for (uint i = 0; i < SR; ++i) {
                const uint r = sr0 + i;
                const uint pos = p.startPosition + (row0 + r) / p.group;
                vec4 quad;
                for (uint j = 0; j < SC; ++j) {
                    const uint c = column(j);
                    const uint kvPos = j0 + c;
                    bool visible = r < nRows && c < cols;
                    if (p.causal != 0)
                        visible = visible && kvPos <= pos;
                    if (p.window != 0) // both ways without the causal mask (Gemma 3's pictures)
                        visible = visible && kvPos + p.window > pos;
                    const float score = visible ? softCap(sum[i * SC + j], p.softCap) : NEG_INF;
                    if (VEC_SCORES) {
                        quad[j % 4] = score;
                        if (j % 4 == 3)
                            sS[r * SROW + c / 4] = quad;
                    } else {
                        sS[r * SROW + c / 4][c % 4] = score;
                    }
                }
            }
        }
        barrier();

        // Masked scores (columns past the tile included) are -inf and their exponentials 0.
        if (t < BR) {
            const float mOld = sM[t];
            float m = mOld;
            for (uint c4 = 0; c4 < BC / 4; ++c4) {
                const vec4 s = sS[t * SROW + c4];
                m = max(m, max(max(s.x, s.y), max(s.z, s.w)));
            }
            float sum = 0.0;
            for (uint c4 = 0; c4 < BC / 4; ++c4) {
                const vec4 e = exp(sS[t * SROW + c4] - m);
                sS[t * SROW + c4] = e;
                sum += (e.x + e.y) + (e.z + e.w);
            }
            const float alpha = exp(mOld - m);
            sAlpha[t] = alpha;
            sL[t] = sL[t] * alpha + sum;
            sM[t] = m;
        }
        barrier();

        if (rg < RS) {
            for (uint qi = 0; qi < QC; ++qi) {
                const float alpha = rg + qi * RS < BR ? sAlpha[rg + qi * RS] : 1.0;
                for (uint cc = 0; cc < PV_COLS; ++cc)
                    acc[qi * PV_COLS + cc] *= alpha;
            }
            // Four kv rows per step; rows past the tile repeat its last one with probability 0.
            for (uint c = 0; c < cols; c += 4) {
                const uint last = j0 + cols - 1;
                vec4 v[4][PV_COLS];
                for (uint i = 0; i < 4; ++i)
                    for (uint cc = 0; cc < PV_COLS; ++cc)
                        v[i][cc] = vec4(v4[vBase + cc + min(j0 + c + i, last) * KV_ROW4]);
                for (uint qi = 0; qi < QC; ++qi) {
                    const uint r = rg + qi * RS;
                    const vec4 pr = r < BR ? sS[r * SROW + c / 4] : vec4(0.0);
                    for (uint cc = 0; cc < PV_COLS; ++cc)
                        acc[qi * PV_COLS + cc] += pr.x * v[0][cc] + pr.y * v[1][cc] + pr.z * v[2][cc] + pr.w * v[3][cc];
                }
            }
        }
        barrier();
    }

    if (rg >= RS)
        return;
    for (uint qi = 0; qi < QC; ++qi) {
        const uint r = rg + qi * RS;
        if (r >= nRows)
            break;
        const uint row = row0 + r;
        const uint head = (p.firstKvHead + kvHead) * p.group + row % p.group;
        const uint qRow = (row / p.group) * p.heads + head;
#ifdef SPLIT
        // Partial of split z at [z, token, head, :]: HEAD_DIM sums, the maximum, the sum, 2 unused.
        const uint base = p.outOffset + (gl_WorkGroupID.z * p.tokens * p.heads + qRow) * (HEAD_DIM + 4);
        for (uint cc = 0; cc < PV_COLS; ++cc)
            out4[base / 4 + d4 + cc] = acc[qi * PV_COLS + cc];
        if (d4 == 0) {
            outv[base + HEAD_DIM] = sM[r];
            outv[base + HEAD_DIM + 1] = sL[r];
        }
#else
#ifdef QO_F16
        for (uint cc = 0; cc < PV_COLS; ++cc)
            out4[(p.outOffset + qRow * HEAD_DIM) / 4 + d4 + cc] = f16vec4(acc[qi * PV_COLS + cc] / sL[r]);
#else
        for (uint cc = 0; cc < PV_COLS; ++cc)
            out4[(p.outOffset + qRow * HEAD_DIM) / 4 + d4 + cc] = acc[qi * PV_COLS + cc] / sL[r];
#endif
#endif
    }
}

#endif

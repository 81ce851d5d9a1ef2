#version 450
// Attention on CPU devices (decoding, and prompts whose scores fit the workspace), in two passes with
// no shared memory and no barrier: lavapipe runs every shared-memory access whose address differs
// between lanes as a loop over the SIMD lanes, and each barrier as a coroutine switch, which made
// the tiled kernel (attention.comp) take about 0.5 ms a layer for one Gemma 3 token. q, k and v are
// read through texel buffers (vector gathers there).
//   SCORES: one invocation per (row, SCORE_ROWS kv rows j):
//           scores[row, j] = softCap(scale * q[row] . k[lo + j]).
//   VALUES: one invocation per (row, 8 output columns): the row's visible kv rows (causal, sliding
//           window) weighted by exp(score - max) / sum, accumulated in fp32.
// k and v are f16 [kvHeads, capacity, headDim] as in attention.comp; q and out f32 [tokens, heads, headDim].
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "texels.glsl"
#include "push_constants.h"
#include "soft_cap.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 128; // a multiple of 8
layout(constant_id = 2) const uint SCORE_ROWS = 4;  // SCORES: kv rows per invocation

layout(push_constant) uniform Push { AttentionRowsPush p; };

// The kv head and first kv-cache texel (8 halves) of query row `row`'s kv rows.
uint kvTexelBase(uint row)
{
    const uint head = row % p.heads;
    return (p.kvOffset + (head / p.group) * p.headStride) / 8;
}

#ifdef SCORES
TEXEL_BUFFER(0, qTexels); // f32 bits, 4 per texel
TEXEL_BUFFER(1, kTexels); // 8 halves per texel
layout(std430, binding = 2) writeonly buffer Scores { float scores[]; };

void main()
{
    // SCORE_ROWS kv rows per invocation, so that each fetch of q serves that many dot products.
    const uint row = gl_WorkGroupID.y;
    const uint j0 = (gl_WorkGroupID.x * WORKGROUP_SIZE + gl_LocalInvocationID.x) * SCORE_ROWS;
    if (j0 >= p.span)
        return;
    const uint qBase = (p.qOffset + row * HEAD_DIM) / 4; // rows of q are token * heads + head
    uint kBase[SCORE_ROWS]; // rows past the span repeat the last one; their scores are dropped
    for (uint i = 0; i < SCORE_ROWS; ++i)
        kBase[i] = kvTexelBase(row) + (p.lo + min(j0 + i, p.span - 1)) * (HEAD_DIM / 8);
    float dotQK[SCORE_ROWS];
    for (uint i = 0; i < SCORE_ROWS; ++i)
        dotQK[i] = 0.0;
    for (uint d8 = 0; d8 < HEAD_DIM / 8; ++d8) {
        const vec4 q0 = uintBitsToFloat(fetchTexel(qTexels, qBase + 2 * d8));
        const vec4 q1 = uintBitsToFloat(fetchTexel(qTexels, qBase + 2 * d8 + 1));
        for (uint i = 0; i < SCORE_ROWS; ++i) {
            const uvec4 k = fetchTexel(kTexels, kBase[i] + d8);
            dotQK[i] = fmaDot(q1, halves4(k.zw), fmaDot(q0, halves4(k.xy), dotQK[i]));
        }
    }
    for (uint i = 0; i < SCORE_ROWS; ++i)
        if (j0 + i < p.span)
            scores[row * p.span + j0 + i] = softCap(dotQK[i] * p.scale, p.softCap);
}

#else // VALUES
WORD_TEXEL_BUFFER(0, scoreTexels); // f32 bits, one per (R32_UINT) texel
TEXEL_BUFFER(1, vTexels);     // 8 halves per texel
layout(std430, binding = 2) writeonly buffer Out { vec4 out4[]; };

float score(uint row, uint j)
{
    return uintBitsToFloat(fetchTexel(scoreTexels, row * p.span + j).x);
}

void main()
{
    const uint row = gl_WorkGroupID.y;
    const uint c = gl_LocalInvocationID.x; // 8 output columns
    if (c >= HEAD_DIM / 8)
        return;
    // The kv rows this query sees: positions (pos - window, pos], within the scored ones.
    const uint pos = p.startPosition + row / p.heads;
    const uint first = p.window != 0 && pos + 1 > p.window ? pos + 1 - p.window : 0;
    const uint jLo = max(first, p.lo) - p.lo;
    const uint jHi = min(pos + 1 - p.lo, p.span);

    float m = -3.402823466e38;
    for (uint j = jLo; j < jHi; ++j)
        m = max(m, score(row, j));
    float sum = 0.0;
    vec4 acc0 = vec4(0.0), acc1 = vec4(0.0);
    const uint vBase = kvTexelBase(row) + c;
    for (uint j = jLo; j < jHi; ++j) {
        const float e = exp(score(row, j) - m);
        const uvec4 v = fetchTexel(vTexels, (vBase + (p.lo + j) * (HEAD_DIM / 8)));
        sum += e;
        acc0 = fma(vec4(e), halves4(v.xy), acc0);
        acc1 = fma(vec4(e), halves4(v.zw), acc1);
    }
    const float inv = sum > 0.0 ? 1.0 / sum : 0.0;
    const uint o = (p.outOffset + row * HEAD_DIM) / 4 + 2 * c;
    out4[o] = acc0 * inv;
    out4[o + 1] = acc1 * inv;
}
#endif

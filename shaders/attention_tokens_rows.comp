#version 450
// Attention over whole sequences on CPU devices (ops/sequence_attention.h), in passes with no
// shared memory and no barrier, as attention_rows.comp does for the LLM's cache and
// matvec_rows.comp for matmul: each invocation keeps a block of dot products in registers and
// reads q, k, v and the scores through texel buffers (lavapipe fetches those with vector code but
// loads shared memory and storage buffers lane by lane). Between the passes the caller runs the
// row softmax over the scores (with the scale).
//   SCORES: scores[i, h, j] = q[i, h] . k[j, h] for NQ queries i x NK keys j of head h per
//           invocation; keys past nk, and with the causal mask keys after the query, get -inf
//           (the softmax makes them 0). Rows are nkPad = nk rounded up to 4 long.
//   VALUES: out[i, h, :] = sum_j scores[i, h, j] v[j, h, :] for NQ queries x DV vec4 columns.
// q, k, v, out: f32 [tokens, heads, HEAD_DIM], token-major (a token's heads side by side).
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "texels.glsl"
#include "push_constants.h"

layout(constant_id = 1) const uint HEAD_DIM = 40; // a multiple of 8
layout(constant_id = 2) const uint NQ = 4;        // queries per invocation
layout(constant_id = 3) const uint NK = 8;        // SCORES: keys per invocation; VALUES: vec4 columns

layout(push_constant) uniform Push { TokenAttentionRowsPush p; };

const float kNegativeInfinity = -1.0 / 0.0;

#ifdef SCORES
TEXEL_BUFFER(0, qTexels); // 4 floats a texel
TEXEL_BUFFER(1, kTexels);
layout(std430, binding = 2) writeonly buffer Scores { float scores[]; };

void main()
{
    // x: key groups; y: query groups x heads.
    const uint j0 = (gl_WorkGroupID.x * WORKGROUP_SIZE + gl_LocalInvocationID.x) * NK;
    const uint h = gl_WorkGroupID.y % p.heads;
    const uint i0 = (gl_WorkGroupID.y / p.heads) * NQ;
    if (j0 >= p.nkPad)
        return;
    uint qBase[NQ], kBase[NK]; // rows past the end repeat the last one; their results are dropped
    for (uint a = 0; a < NQ; ++a)
        qBase[a] = (p.qOffset + min(i0 + a, p.queries - 1) * p.rowElements + h * HEAD_DIM) / 4;
    for (uint b = 0; b < NK; ++b)
        kBase[b] = (p.kOffset + min(j0 + b, p.nk - 1) * p.rowElements + h * HEAD_DIM) / 4;
    float acc[NQ * NK];
    for (uint n = 0; n < NQ * NK; ++n)
        acc[n] = 0.0;
    for (uint d4 = 0; d4 < HEAD_DIM / 4; ++d4) {
        vec4 q[NQ];
        for (uint a = 0; a < NQ; ++a)
            q[a] = uintBitsToFloat(fetchTexel(qTexels, qBase[a] + d4));
        for (uint b = 0; b < NK; ++b) {
            const vec4 k = uintBitsToFloat(fetchTexel(kTexels, kBase[b] + d4));
            for (uint a = 0; a < NQ; ++a)
                acc[a * NK + b] = fmaDot(q[a], k, acc[a * NK + b]);
        }
    }
    for (uint a = 0; a < NQ; ++a) {
        const uint i = i0 + a;
        if (i >= p.queries)
            break;
        const uint row = (i * p.heads + h) * p.nkPad;
        for (uint b = 0; b < NK; ++b) {
            const uint j = j0 + b;
            if (j >= p.nkPad)
                break;
            const bool masked = j >= p.nk || (p.causal != 0 && j > p.firstQuery + i);
            scores[row + j] = masked ? kNegativeInfinity : acc[a * NK + b];
        }
    }
}
#else // VALUES
TEXEL_BUFFER(0, probabilityTexels); // 4 floats a texel: rows start on 16 bytes
TEXEL_BUFFER(1, vTexels);
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

void main()
{
    // x: column groups of all heads; y: query groups.
    const uint groupsPerHead = HEAD_DIM / 4 / NK;
    const uint column = gl_WorkGroupID.x * WORKGROUP_SIZE + gl_LocalInvocationID.x;
    if (column >= p.heads * groupsPerHead)
        return;
    const uint h = column / groupsPerHead;
    const uint c4 = (column % groupsPerHead) * NK; // first vec4 column within the head
    const uint i0 = gl_WorkGroupID.y * NQ;
    uint pBase[NQ];
    for (uint a = 0; a < NQ; ++a)
        pBase[a] = (min(i0 + a, p.queries - 1) * p.heads + h) * p.nkPad / 4;
    const uint vBase = (p.vOffset + h * HEAD_DIM) / 4 + c4;
    vec4 acc[NQ * NK];
    for (uint n = 0; n < NQ * NK; ++n)
        acc[n] = vec4(0.0);
    for (uint j4 = 0; j4 < p.nkPad / 4; ++j4) {
        vec4 prob[NQ];
        for (uint a = 0; a < NQ; ++a)
            prob[a] = uintBitsToFloat(fetchTexel(probabilityTexels, pBase[a] + j4));
        for (uint t = 0; t < 4; ++t) {
            // Keys past nk have probability 0; read the last one in their place.
            const uint j = min(4 * j4 + t, p.nk - 1);
            for (uint b = 0; b < NK; ++b) {
                const vec4 v = uintBitsToFloat(fetchTexel(vTexels, vBase + j * p.rowElements / 4 + b));
                for (uint a = 0; a < NQ; ++a)
                    acc[a * NK + b] = fma(vec4(prob[a][t]), v, acc[a * NK + b]);
            }
        }
    }
    for (uint a = 0; a < NQ; ++a) {
        const uint i = i0 + a;
        if (i >= p.queries)
            break;
        const uint base = p.outOffset + i * p.rowElements + h * HEAD_DIM + 4 * c4;
        for (uint b = 0; b < NK; ++b)
            for (uint e = 0; e < 4; ++e)
                outv[base + 4 * b + e] = acc[a * NK + b][e];
    }
}
#endif

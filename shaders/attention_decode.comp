#version 450
// One decoded token's attention on CPU devices, all of it in one dispatch (ops/decode_attention.h):
// what attention_inputs.comp and attention_rows.comp's two passes do for a single token, which on
// lavapipe cost about as much in waking its threads as in arithmetic (three dispatches a layer).
// One workgroup per query head, one subgroup each (no barrier, no shared memory: lavapipe runs a
// workgroup with a barrier as coroutines). Lane l owns the 8-value chunks l, l + WORKGROUP_SIZE, ...
// of a head row (HEAD_DIM / (8 * WORKGROUP_SIZE) of them), so that the normal layout's pairs
// (2j, 2j + 1), and NEOX's (d, d + HEAD_DIM / 2) but for one chunk a lane, are within a lane, and
// sums over a row are subgroupAdd.
//   1. q and this token's k: RMS-normalised by their weights where normFlags says so, then roped
//      (every dimension turns: the host takes this only where nRot == HEAD_DIM); k rounded to f16.
//      The first query head of each kv head writes k and v (f16) into the caches at `position`;
//      every workgroup keeps its own copy of them and never reads that cache row, so no workgroup
//      waits for another.
//   2. scores of the visible rows (sliding window, causal), soft-capped, each lane keeping its own
//      copy in the workspace (it reads back only what it wrote: no barrier needed);
//   3. softmax-weighted sum of v in fp32, in attention_rows.comp's order (rows ascending).
// k and v caches are f16 [kvHeads, capacity, headDim], read through texel views (vector gathers);
// q, k, v and out are f32.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_EXT_shader_explicit_arithmetic_types_float16 : require
#extension GL_KHR_shader_subgroup_arithmetic : require
#extension GL_KHR_shader_subgroup_shuffle : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "texels.glsl"
#include "push_constants.h"
#include "soft_cap.glsl"
#include "rope.glsl"

layout(constant_id = 1) const uint HEAD_DIM = 256; // a multiple of 8 * WORKGROUP_SIZE
const uint CHUNKS = HEAD_DIM / 8;                  // 8-value chunks of a head row (one cache texel each)
const uint OWNED = CHUNKS / WORKGROUP_SIZE;        // chunks per lane

layout(push_constant) uniform Push { AttentionDecodePush p; };

layout(std430, binding = 0) restrict readonly buffer Q { vec4 q4[]; };
layout(std430, binding = 1) restrict readonly buffer K { vec4 k4[]; };
layout(std430, binding = 2) restrict readonly buffer V { vec4 v4[]; };
TEXEL_BUFFER(3, kTexels); // the caches, 8 halves a texel
TEXEL_BUFFER(4, vTexels);
layout(std430, binding = 5) restrict writeonly buffer KCache { f16vec4 kCache4[]; };
layout(std430, binding = 6) restrict writeonly buffer VCache { f16vec4 vCache4[]; };
layout(std430, binding = 7) restrict buffer Scores { float scores[]; };
layout(std430, binding = 8) restrict writeonly buffer Out { vec4 out4[]; };
layout(std430, binding = 9) restrict readonly buffer FreqFactors { float freqFactors[]; };
layout(std430, binding = 10) restrict readonly buffer QNorm { vec4 qNorm4[]; };
layout(std430, binding = 11) restrict readonly buffer KNorm { vec4 kNorm4[]; };

const uint VECS = 2 * OWNED; // vec4s a lane holds of a row: chunk c's halves at 2i and 2i + 1

uint chunkOf(uint i) { return gl_LocalInvocationID.x + (i / 2) * WORKGROUP_SIZE; }
// Element index within the row of component 0 of the lane's vec4 i.
uint elementOf(uint i) { return 8 * chunkOf(i) + 4 * (i & 1); }

// x *= rmsScale * weight, as attention_inputs.comp (one subgroup sums the squares).
void normalise(inout vec4 x[VECS], bool query)
{
    float ss = 0.0;
    for (uint i = 0; i < VECS; ++i)
        ss += dot(x[i], x[i]);
    const float scale = inversesqrt(subgroupAdd(ss) / float(HEAD_DIM) + p.normEps);
    for (uint i = 0; i < VECS; ++i) {
        const vec4 w = query ? qNorm4[elementOf(i) / 4] : kNorm4[elementOf(i) / 4];
        x[i] *= scale * w;
    }
}

// cos and sin of pair j's angle at p.position, as attention_inputs.comp's turn().
vec2 angleOf(uint j)
{
    float theta = float(p.position) * exp2(float(j) * p.log2ThetaScale);
    if (p.hasFreqFactors != 0)
        theta /= freqFactors[j];
    const float angle = reduceAngle(p.freqScale * theta);
    return vec2(cos(angle), sin(angle));
}

vec2 turn(vec2 x, vec2 cs) { return vec2(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x); }

// RoPE of the query and key rows together (one angle per pair serves both).
void ropeBoth(inout vec4 qx[VECS], inout vec4 kx[VECS])
{
#ifdef NEOX
    // Pairs (d, d + HEAD_DIM / 2). With an even number of chunks a lane, chunk c's partner
    // c + CHUNKS / 2 is the lane's own vec4 i + OWNED; with one chunk a lane (head dim 64 on 8 lanes)
    // it is in lane ^ WORKGROUP_SIZE / 2, the upper half of the lanes holding the pairs' second values.
    if (OWNED % 2 == 1) {
        const bool second = gl_LocalInvocationID.x >= WORKGROUP_SIZE / 2;
        for (uint i = 0; i < VECS; ++i)
            for (uint e = 0; e < 4; ++e) {
                const vec2 cs = angleOf((elementOf(i) + e) % (HEAD_DIM / 2));
                const float qp = subgroupShuffleXor(qx[i][e], WORKGROUP_SIZE / 2);
                const float kp = subgroupShuffleXor(kx[i][e], WORKGROUP_SIZE / 2);
                qx[i][e] = second ? qp * cs.y + qx[i][e] * cs.x : qx[i][e] * cs.x - qp * cs.y;
                kx[i][e] = second ? kp * cs.y + kx[i][e] * cs.x : kx[i][e] * cs.x - kp * cs.y;
            }
        return;
    }
    for (uint i = 0; i < OWNED; ++i)
        for (uint e = 0; e < 4; ++e) {
            const vec2 cs = angleOf(elementOf(i) + e);
            vec2 a = turn(vec2(qx[i][e], qx[i + OWNED][e]), cs);
            vec2 b = turn(vec2(kx[i][e], kx[i + OWNED][e]), cs);
            qx[i][e] = a.x;
            qx[i + OWNED][e] = a.y;
            kx[i][e] = b.x;
            kx[i + OWNED][e] = b.y;
        }
#else
    // Pairs (2j, 2j + 1): components (0, 1) and (2, 3) of each vec4.
    for (uint i = 0; i < VECS; ++i)
        for (uint e = 0; e < 4; e += 2) {
            const vec2 cs = angleOf((elementOf(i) + e) / 2);
            const vec2 a = turn(vec2(qx[i][e], qx[i][e + 1]), cs);
            const vec2 b = turn(vec2(kx[i][e], kx[i][e + 1]), cs);
            qx[i][e] = a.x;
            qx[i][e + 1] = a.y;
            kx[i][e] = b.x;
            kx[i][e + 1] = b.y;
        }
#endif
}

void main()
{
    const uint head = gl_WorkGroupID.x;
    const uint kvHead = head / p.group;
    const bool writer = head % p.group == 0; // writes its kv head's new cache row
    const uint lane = gl_LocalInvocationID.x;
    const uint cacheRow = p.kvOffset + kvHead * p.headStride; // element of the kv head's row 0
    const uint newRow = cacheRow + p.position * HEAD_DIM;
    const uint span = p.position - p.lo; // cached rows scored before this token's own
    const uint scoreBase = head * span * WORKGROUP_SIZE + lane;

    // 1. This token's q and k, normalised and roped; k rounded as the cache holds it.
    vec4 qx[VECS], kx[VECS];
    for (uint i = 0; i < VECS; ++i) {
        qx[i] = q4[(p.qOffset + head * HEAD_DIM + elementOf(i)) / 4];
        kx[i] = k4[(p.kOffset + kvHead * HEAD_DIM + elementOf(i)) / 4];
    }
    if ((p.normFlags & 1u) != 0)
        normalise(qx, true);
    if ((p.normFlags & 2u) != 0)
        normalise(kx, false);
    ropeBoth(qx, kx);
    float own = 0.0;
    for (uint i = 0; i < VECS; ++i) {
        const f16vec4 h = f16vec4(kx[i]);
        if (writer)
            kCache4[(newRow + elementOf(i)) / 4] = h;
        own = fmaDot(qx[i], vec4(h), own);
    }
    const float ownScore = softCap(subgroupAdd(own) * p.scale, p.softCap);

    // 2. Scores of the cached rows lo .. position - 1, then this token's.
    float m = ownScore;
    const uint kBase = cacheRow / 8 + lane;
    for (uint j = 0; j < span; ++j) {
        const uint t = kBase + (p.lo + j) * CHUNKS;
        float part = 0.0;
        for (uint i = 0; i < OWNED; ++i) {
            const uvec4 k = fetchTexel(kTexels, t + i * WORKGROUP_SIZE);
            part = fmaDot(qx[2 * i + 1], halves4(k.zw), fmaDot(qx[2 * i], halves4(k.xy), part));
        }
        const float s = softCap(subgroupAdd(part) * p.scale, p.softCap);
        scores[scoreBase + j * WORKGROUP_SIZE] = s;
        m = max(m, s);
    }

    // 3. The softmax-weighted sum of v over the same rows, this token's last.
    vec4 acc[VECS];
    for (uint i = 0; i < VECS; ++i)
        acc[i] = vec4(0.0);
    float sum = 0.0;
    const uint vBase = cacheRow / 8 + lane;
    for (uint j = 0; j < span; ++j) {
        const float e = exp(scores[scoreBase + j * WORKGROUP_SIZE] - m);
        const uint t = vBase + (p.lo + j) * CHUNKS;
        sum += e;
        for (uint i = 0; i < OWNED; ++i) {
            const uvec4 v = fetchTexel(vTexels, t + i * WORKGROUP_SIZE);
            acc[2 * i] = fma(vec4(e), halves4(v.xy), acc[2 * i]);
            acc[2 * i + 1] = fma(vec4(e), halves4(v.zw), acc[2 * i + 1]);
        }
    }
    const float e = exp(ownScore - m);
    sum += e;
    for (uint i = 0; i < VECS; ++i) {
        const f16vec4 h = f16vec4(v4[(p.vOffset + kvHead * HEAD_DIM + elementOf(i)) / 4]);
        if (writer)
            vCache4[(newRow + elementOf(i)) / 4] = h;
        acc[i] = fma(vec4(e), vec4(h), acc[i]);
    }
    const float inv = sum > 0.0 ? 1.0 / sum : 0.0;
    for (uint i = 0; i < VECS; ++i)
        out4[(p.outOffset + head * HEAD_DIM + elementOf(i)) / 4] = acc[i] * inv;
}

#version 450
// What a transformer layer does between its q/k/v projections and attention, in one dispatch: per
// token, RoPE of the query rows in place and of the key rows straight into the f16 k cache, and the
// value rows copied into the f16 v cache (cache[h, startPosition + t, :]). One workgroup per row.
// NORM: a query or key row is first RMS-normalised and scaled by its weight (Gemma 3's and Qwen3's
// per-head q and k norms) where normFlags says so; with SUBGROUP_ONLY (CPU devices) the workgroup is
// one subgroup, which sums the squares without a barrier. The arithmetic is rope.comp's and
// kv_store.comp's, so the results are theirs bit for bit, but for SUBGROUP_ONLY's order of the sums.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "rope.glsl"
#ifdef SUBGROUP_ONLY
#extension GL_KHR_shader_subgroup_arithmetic : require
#elif defined(NORM)
#include "reduce.glsl"
#endif

layout(push_constant) uniform Push { AttentionInputsPush p; };

layout(std430, binding = 0) restrict buffer Q { float q[]; };
layout(std430, binding = 1) restrict readonly buffer K { float k[]; };
layout(std430, binding = 2) restrict readonly buffer V { float v[]; };
layout(std430, binding = 3) restrict writeonly buffer KCache { float16_t kCache[]; };
layout(std430, binding = 4) restrict writeonly buffer VCache { float16_t vCache[]; };
layout(std430, binding = 5) restrict readonly buffer FreqFactors { float freqFactors[]; };
#ifdef NORM
layout(std430, binding = 6) restrict readonly buffer QNorm { float qNorm[]; };
layout(std430, binding = 7) restrict readonly buffer KNorm { float kNorm[]; };
#endif

// RMS-normalising scale of a row from its lanes' partial sums of squares.
float rmsScale(float sumOfSquares)
{
#ifdef SUBGROUP_ONLY
    // The workgroup is one subgroup: no barrier, no shared memory (lavapipe runs a workgroup with a
    // barrier as coroutines, one per subgroup, and switches between them at each barrier). The
    // subgroup operation comes after every lane's reads of the row, before any lane's writes.
    return inversesqrt(subgroupAdd(sumOfSquares) / float(p.headDim) + p.normEps);
#elif defined(NORM)
    // Every invocation has read its elements before any is written (the barriers in workgroupSum),
    // and each writes only the pairs it reads after: in place is safe.
    return inversesqrt(workgroupSum(sumOfSquares) / float(p.headDim) + p.normEps);
#else
    return 1.0;
#endif
}

// Pair j of a row at `position`, turned; pairs past nRot as they are.
vec2 turn(vec2 x, uint j, float position)
{
    if (j >= p.nRot / 2)
        return x;
    float theta = position * exp2(float(j) * p.log2ThetaScale);
    if (p.hasFreqFactors != 0)
        theta /= freqFactors[j];
    const float angle = reduceAngle(p.freqScale * theta);
    const vec2 cs = vec2(cos(angle), sin(angle));
    return vec2(x.x * cs.x - x.y * cs.y, x.x * cs.y + x.y * cs.x);
}

// Query and key rows take separate paths, each with its own buffers: a load that chose between two
// buffers per element made lavapipe load from both.
void queryRow(uint row, float position)
{
    const uint base = p.qOffset + row * p.headDim;
    const uint lane = gl_LocalInvocationID.x;
    const bool normed = (p.normFlags & 1u) != 0;
    float scale = 1.0;
    if (normed) {
        float ss = 0.0;
        for (uint i = lane; i < p.headDim; i += WORKGROUP_SIZE)
            ss += q[base + i] * q[base + i];
        scale = rmsScale(ss);
    }
    for (uint j = lane; j < p.headDim / 2; j += WORKGROUP_SIZE) {
        const uvec2 ab = base + ropePair(j, p.nRot);
        vec2 x = vec2(q[ab.x], q[ab.y]);
#ifdef NORM
        if (normed)
            x *= scale * vec2(qNorm[ab.x - base], qNorm[ab.y - base]);
#endif
        x = turn(x, j, position);
        q[ab.x] = x.x;
        q[ab.y] = x.y;
    }
}

void keyRow(uint from, uint to, float position)
{
    const uint lane = gl_LocalInvocationID.x;
    const bool normed = (p.normFlags & 2u) != 0;
    float scale = 1.0;
    if (normed) {
        float ss = 0.0;
        for (uint i = lane; i < p.headDim; i += WORKGROUP_SIZE)
            ss += k[from + i] * k[from + i];
        scale = rmsScale(ss);
    }
    for (uint j = lane; j < p.headDim / 2; j += WORKGROUP_SIZE) {
        const uvec2 ab = ropePair(j, p.nRot);
        vec2 x = vec2(k[from + ab.x], k[from + ab.y]);
#ifdef NORM
        if (normed)
            x *= scale * vec2(kNorm[ab.x], kNorm[ab.y]);
#endif
        x = turn(x, j, position);
        kCache[to + ab.x] = float16_t(x.x);
        kCache[to + ab.y] = float16_t(x.y);
    }
}

void main()
{
    const uint rowsPerToken = p.qHeads + 2 * p.kvHeads;
    const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (group >= p.tokens * rowsPerToken)
        return; // whole workgroup
    const uint t = group / rowsPerToken;
    const uint r = group % rowsPerToken;
    const float position = float(p.startPosition + t);
    // The row kind is the same for the whole workgroup: the reductions are in uniform control flow.
    if (r < p.qHeads) {
        queryRow(t * p.qHeads + r, position);
        return;
    }
    const uint h = r < p.qHeads + p.kvHeads ? r - p.qHeads : r - p.qHeads - p.kvHeads;
    const uint from = (t * p.kvHeadsInRow + p.kvHeadOffset + h) * p.headDim;
    const uint to = h * p.headStride + t * p.headDim;
    if (r < p.qHeads + p.kvHeads) {
        keyRow(p.kOffset + from, p.kCacheOffset + to, position);
        return;
    }
    for (uint i = gl_LocalInvocationID.x; i < p.headDim; i += WORKGROUP_SIZE) // a value row, as it is
        vCache[p.vCacheOffset + to + i] = float16_t(v[p.vOffset + from + i]);
}

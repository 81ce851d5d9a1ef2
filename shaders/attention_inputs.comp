#version 450
// What a transformer layer does between its q/k/v projections and attention, in one dispatch: per
// token, RoPE of the query rows in place and of the key rows straight into the f16 k cache, and the
// value rows copied into the f16 v cache (cache[h, startPosition + t, :]). One workgroup per row.
// NORM: a query or key row is first RMS-normalised and scaled by its weight (Gemma 3's and Qwen3's
// per-head q and k norms) where normFlags says so. The arithmetic is rope.comp's and kv_store.comp's,
// so the results are theirs.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#include "rope.glsl"
#ifdef NORM
#include "reduce.glsl"
#endif

layout(push_constant) uniform Push { AttentionInputsPush p; };

layout(std430, binding = 0) buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { float k[]; };
layout(std430, binding = 2) readonly buffer V { float v[]; };
layout(std430, binding = 3) writeonly buffer KCache { float16_t kCache[]; };
layout(std430, binding = 4) writeonly buffer VCache { float16_t vCache[]; };
layout(std430, binding = 5) readonly buffer FreqFactors { float freqFactors[]; };
#ifdef NORM
layout(std430, binding = 6) readonly buffer QNorm { float qNorm[]; };
layout(std430, binding = 7) readonly buffer KNorm { float kNorm[]; };
#endif

// A query row reads and writes q at `from`; a key row reads k at `from` and writes the k cache at `to`.
float load(bool query, uint from) { return query ? q[from] : k[from]; }

void store(bool query, uint to, float value)
{
    if (query)
        q[to] = value;
    else
        kCache[to] = float16_t(value);
}

float normWeight(bool query, uint i)
{
#ifdef NORM
    return query ? qNorm[i] : kNorm[i];
#else
    return 1.0;
#endif
}

void rotatePair(bool query, uint from, uint to, uint j, float position, bool normed, float scale)
{
    const uvec2 ab = ropePair(j, p.nRot);
    float x0 = load(query, from + ab.x);
    float x1 = load(query, from + ab.y);
    if (normed) {
        x0 *= scale * normWeight(query, ab.x);
        x1 *= scale * normWeight(query, ab.y);
    }
    if (j >= p.nRot / 2) {
        store(query, to + ab.x, x0);
        store(query, to + ab.y, x1);
        return;
    }
    float theta = position * exp2(float(j) * p.log2ThetaScale);
    if (p.hasFreqFactors != 0)
        theta /= freqFactors[j];
    const float angle = reduceAngle(p.freqScale * theta);
    const vec2 cs = vec2(cos(angle), sin(angle));
    store(query, to + ab.x, x0 * cs.x - x1 * cs.y);
    store(query, to + ab.y, x0 * cs.y + x1 * cs.x);
}

void main()
{
    const uint rowsPerToken = p.qHeads + 2 * p.kvHeads;
    const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (group >= p.tokens * rowsPerToken)
        return; // whole workgroup
    const uint t = group / rowsPerToken;
    const uint r = group % rowsPerToken;
    const uint lane = gl_LocalInvocationID.x;

    if (r >= p.qHeads + p.kvHeads) { // a value row, as it is
        const uint h = r - p.qHeads - p.kvHeads;
        const uint from = p.vOffset + (t * p.kvHeadsInRow + p.kvHeadOffset + h) * p.headDim;
        const uint to = p.vCacheOffset + h * p.headStride + t * p.headDim;
        for (uint i = lane; i < p.headDim; i += WORKGROUP_SIZE)
            vCache[to + i] = float16_t(v[from + i]);
        return;
    }

    // The row kind is the same for the whole workgroup, so the reduction below is in uniform control flow.
    const bool query = r < p.qHeads;
    const uint h = query ? r : r - p.qHeads;
    const uint from = query ? p.qOffset + (t * p.qHeads + h) * p.headDim
                            : p.kOffset + (t * p.kvHeadsInRow + p.kvHeadOffset + h) * p.headDim;
    const uint to = query ? from : p.kCacheOffset + h * p.headStride + t * p.headDim;
    const bool normed = (p.normFlags & (query ? 1u : 2u)) != 0;
    float scale = 1.0;
#ifdef NORM
    if (normed) {
        float ss = 0.0;
        for (uint i = lane; i < p.headDim; i += WORKGROUP_SIZE)
            ss += load(query, from + i) * load(query, from + i);
        // Every invocation has read its elements before any is written (the barriers in workgroupSum),
        // and each writes only the pairs it reads below: in place is safe.
        scale = inversesqrt(workgroupSum(ss) / float(p.headDim) + p.normEps);
    }
#endif
    const float position = float(p.startPosition + t);
    for (uint j = lane; j < p.headDim / 2; j += WORKGROUP_SIZE)
        rotatePair(query, from, to, j, position, normed, scale);
}

#version 450
// The largest logits of one row, found without sorting it, so a sampler reads back a few hundred
// bytes instead of the whole vocabulary (ops/top_logits.h). Three passes:
//   MAXIMA     maxima[g] = the largest logit of group g (groupSize logits each; NaN counts as -inf)
//   THRESHOLD  one workgroup: threshold = the (rank+1)-th largest group maximum (ties by group
//              index), and the candidate count and NaN count start at 0
//   SELECT     every logit >= threshold joins the candidates (an atomic counter; those past
//              `capacity` are only counted), every NaN is counted
// The rank+1 largest group maxima are distinct logits >= threshold, so at least rank+1 logits
// are selected, and the rank+1 largest logits are among them.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"
#ifdef MAXIMA
#include "reduce.glsl"
#endif

layout(push_constant) uniform Push { TopLogitsPush p; };

layout(std430, binding = 0) readonly buffer Logits { float logits[]; };
layout(std430, binding = 1) buffer Maxima { float maxima[]; };
layout(std430, binding = 2) buffer Selected {
    uint count;      // logits >= threshold (may exceed capacity)
    uint nans;
    float threshold;
    uint unused;
    uvec2 candidates[]; // (token id, float bits of the logit), in no particular order
};

#define kNegativeInfinity uintBitsToFloat(0xff800000u)

void main()
{
#if defined(MAXIMA)
    const uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    if (group >= p.groups)
        return; // whole workgroup
    const uint begin = group * p.groupSize;
    const uint end = min(begin + p.groupSize, p.n);
    float m = kNegativeInfinity;
    for (uint i = begin + gl_LocalInvocationID.x; i < end; i += WORKGROUP_SIZE) {
        const float v = logits[p.logitsOffset + i];
        m = isnan(v) ? m : max(m, v);
    }
    m = workgroupMax(m);
    if (gl_LocalInvocationID.x == 0)
        maxima[group] = m;
#elif defined(THRESHOLD)
    if (gl_LocalInvocationID.x == 0) {
        count = 0u;
        nans = 0u;
    }
    for (uint i = gl_LocalInvocationID.x; i < p.groups; i += WORKGROUP_SIZE) {
        const float mi = maxima[i];
        uint rank = 0u;
        for (uint j = 0u; j < p.groups; ++j) {
            const float mj = maxima[j];
            rank += (mj > mi || (mj == mi && j < i)) ? 1u : 0u;
        }
        if (rank == p.rank)
            threshold = mi; // exactly one group has each rank
    }
#else // SELECT
    const uint i = flatInvocation();
    if (i >= p.n)
        return;
    const float v = logits[p.logitsOffset + i];
    if (isnan(v)) {
        atomicAdd(nans, 1u);
    } else if (v >= threshold) {
        const uint slot = atomicAdd(count, 1u);
        if (slot < p.capacity)
            candidates[slot] = uvec2(i, floatBitsToUint(v));
    }
#endif
}

// Workgroup-wide sum and max: every invocation passes a value and gets the reduction back.
// Call from uniform control flow. SUBGROUP_REDUCE reduces within subgroups first (subgroupAdd),
// otherwise a shared-memory tree does it all (WORKGROUP_SIZE must then be a power of two).
#ifndef ATELIER_REDUCE_GLSL
#define ATELIER_REDUCE_GLSL

#include "common.glsl"

#ifdef SUBGROUP_REDUCE
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

shared float sReduce[WORKGROUP_SIZE];

float combine(float a, float b, bool useMax) { return useMax ? max(a, b) : a + b; }

float workgroupReduce(float v, bool useMax)
{
#ifdef SUBGROUP_REDUCE
    v = useMax ? subgroupMax(v) : subgroupAdd(v);
    if (subgroupElect())
        sReduce[gl_SubgroupID] = v;
    barrier();
    v = sReduce[0];
    for (uint i = 1; i < gl_NumSubgroups; ++i)
        v = combine(v, sReduce[i], useMax);
#else
    const uint t = gl_LocalInvocationID.x;
    sReduce[t] = v;
    barrier();
    for (uint s = WORKGROUP_SIZE / 2; s > 0; s >>= 1) {
        if (t < s)
            sReduce[t] = combine(sReduce[t], sReduce[t + s], useMax);
        barrier();
    }
    v = sReduce[0];
#endif
    barrier(); // sReduce is free again for the next call
    return v;
}

float workgroupSum(float v) { return workgroupReduce(v, false); }
float workgroupMax(float v) { return workgroupReduce(v, true); }

#endif

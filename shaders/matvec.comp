#version 450
// out[m, n] = dot(a[m, :], b[n, :]) for the few rows of a (MROWS, up to 8) of decoding: the weights b
// are read once, so this is bound by memory bandwidth. A workgroup owns ROWS rows of b; its
// invocations stride over K together (coalesced) and then reduce the partial dot products, with
// subgroupAdd (SUBGROUP_REDUCE) or a shared-memory tree. b is any type of dequant.glsl: plain
// types are read as scalars or vec4s; block types a 16-value group of whole quant bytes at a
// time, dequantized in registers (p.bOffset is then in bytes). EXPERTS: workgroup z is one
// (token, expert) pair of a mixture of experts, its expert's matrix read from b.
#extension GL_GOOGLE_include_directive : require
#ifdef SUBGROUP_REDUCE
#extension GL_KHR_shader_subgroup_arithmetic : require
#endif

#define WEIGHTS_BINDING 1
#include "common.glsl"
#include "dequant.glsl"
#include "push_constants.h"

layout(constant_id = 1) const uint ROWS = 4;  // rows of b per workgroup
layout(constant_id = 2) const uint MROWS = 1; // rows of a, = p.M
layout(constant_id = 3) const bool VEC4 = false; // K, aOffset and bOffset are multiples of 4
layout(constant_id = 4) const uint UNROLL = 4;    // steps over K per iteration of the vectorised loop

#ifdef EXPERTS
// A mixture of experts (MatmulExpertsPush): workgroup z is one (token, expert) pair, MROWS = 1.
layout(push_constant) uniform Push { MatmulExpertsPush p; };
layout(std430, binding = 3) readonly buffer Routes { float routes[]; };
#else
layout(push_constant) uniform Push { MatmulPush p; };
#endif

// Scalar and vec4 views of a: 16-byte loads where K allows them.
layout(std430, binding = 0) readonly buffer A { float a[]; };
layout(std430, binding = 0) readonly buffer A4 { vec4 a4[]; };
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

const uint SUMS = ROWS * MROWS; // partial dot products per invocation, index r * MROWS + m
shared float sPartial[SUMS * WORKGROUP_SIZE];

void main()
{
    const uint t = gl_LocalInvocationID.x;
    const uint n0 = (gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x) * ROWS;
    if (n0 >= p.N)
        return; // whole workgroup
#ifdef EXPERTS
    // Pair z: its token's row of a, its expert's matrix of b, its own row of out.
    const uint pair = p.firstPair + gl_WorkGroupID.z;
    const uint expert = uint(routes[p.routeOffset + 2 * pair]);
    if (expert < p.firstExpert || expert >= p.firstExpert + p.experts)
        return; // whole workgroup: another dispatch binds that expert
    const uint bShift = (expert - p.firstExpert) * p.expertStride;
    const uint aBase = p.aOffset + pair / p.aRowEvery * p.K;
    const uint oBase = p.outOffset + pair * p.outStride;
#else
    const uint bShift = 0;
    const uint aBase = p.aOffset;
    const uint oBase = p.outOffset;
#endif

    float acc[SUMS];
    for (uint i = 0; i < SUMS; ++i)
        acc[i] = 0.0;

    // Rows past N repeat the last one (reads stay in bounds, no branch in the loop); their sums
    // are dropped at the end. UNROLL steps per iteration put UNROLL * ROWS loads of b in flight
    // before any is used; steps past the end are clamped and contribute zero.
#ifdef WEIGHTS_BLOCKS
    const uint G = BLOCK_K / 16;
    const uint units = p.K / 16; // groups per row
    uint bRow[ROWS];
    for (uint r = 0; r < ROWS; ++r)
        bRow[r] = p.bOffset + bShift + min(n0 + r, p.N - 1) * (p.K / BLOCK_K) * BLOCK_BYTES;
    for (uint u0 = t; u0 < units; u0 += UNROLL * WORKGROUP_SIZE) {
        vec4 bv[UNROLL * ROWS * 4];
        for (uint s = 0; s < UNROLL; ++s) {
            const uint u = min(u0 + s * WORKGROUP_SIZE, units - 1);
            const bool live = u0 + s * WORKGROUP_SIZE < units;
            for (uint r = 0; r < ROWS; ++r) {
                vec4 v[4];
                dequantGroup(bRow[r] + (u / G) * BLOCK_BYTES, u % G, v);
                for (uint i = 0; i < 4; ++i)
                    bv[(s * ROWS + r) * 4 + i] = live ? v[i] : vec4(0.0);
            }
        }
        for (uint s = 0; s < UNROLL; ++s) {
            const uint u = min(u0 + s * WORKGROUP_SIZE, units - 1);
            for (uint i = 0; i < 4; ++i) {
                const uint k4 = ((u / G) * BLOCK_K + groupRun(u % G, i)) / 4;
                for (uint m = 0; m < MROWS; ++m) {
                    const vec4 av = a4[(aBase + m * p.K) / 4 + k4];
                    for (uint r = 0; r < ROWS; ++r)
                        acc[r * MROWS + m] += dot(av, bv[(s * ROWS + r) * 4 + i]);
                }
            }
        }
    }
#else
    uint bRow[ROWS];
    for (uint r = 0; r < ROWS; ++r)
        bRow[r] = p.bOffset + bShift + min(n0 + r, p.N - 1) * p.K;
    if (VEC4) {
        const uint K4 = p.K / 4;
        for (uint k4 = t; k4 < K4; k4 += UNROLL * WORKGROUP_SIZE) {
            vec4 bv[UNROLL * ROWS];
            for (uint u = 0; u < UNROLL; ++u) {
                const uint k = min(k4 + u * WORKGROUP_SIZE, K4 - 1);
                const bool live = k4 + u * WORKGROUP_SIZE < K4;
                for (uint r = 0; r < ROWS; ++r)
                    bv[u * ROWS + r] = live ? weight4(bRow[r] / 4 + k) : vec4(0.0);
            }
            for (uint u = 0; u < UNROLL; ++u) {
                const uint k = min(k4 + u * WORKGROUP_SIZE, K4 - 1);
                for (uint m = 0; m < MROWS; ++m) {
                    const vec4 av = a4[(aBase + m * p.K) / 4 + k];
                    for (uint r = 0; r < ROWS; ++r)
                        acc[r * MROWS + m] += dot(av, bv[u * ROWS + r]);
                }
            }
        }
    } else {
        for (uint k = t; k < p.K; k += WORKGROUP_SIZE) {
            float av[MROWS];
            for (uint m = 0; m < MROWS; ++m)
                av[m] = a[aBase + m * p.K + k];
            for (uint r = 0; r < ROWS; ++r) {
                const float bv = weight(bRow[r] + k);
                for (uint m = 0; m < MROWS; ++m)
                    acc[r * MROWS + m] += av[m] * bv;
            }
        }
    }
#endif

#ifdef SUBGROUP_REDUCE
    for (uint i = 0; i < SUMS; ++i)
        acc[i] = subgroupAdd(acc[i]);
    if (subgroupElect()) {
        for (uint i = 0; i < SUMS; ++i)
            sPartial[i * WORKGROUP_SIZE + gl_SubgroupID] = acc[i];
    }
    barrier();
    const uint parts = gl_NumSubgroups;
#else
    for (uint i = 0; i < SUMS; ++i)
        sPartial[i * WORKGROUP_SIZE + t] = acc[i];
    barrier();
    for (uint s = WORKGROUP_SIZE / 2; s > 0; s >>= 1) {
        if (t < s) {
            for (uint i = 0; i < SUMS; ++i)
                sPartial[i * WORKGROUP_SIZE + t] += sPartial[i * WORKGROUP_SIZE + t + s];
        }
        barrier();
    }
    const uint parts = 1;
#endif
    if (t < SUMS) {
        float sum = 0.0;
        for (uint s = 0; s < parts; ++s)
            sum += sPartial[t * WORKGROUP_SIZE + s];
        const uint n = n0 + t / MROWS;
        const uint m = t % MROWS;
        if (n < p.N)
            outv[oBase + m * p.outStride + n] = sum;
    }
}

#version 450
// Embedding lookup: workgroup (x, y) writes elements [x * WORKGROUP_SIZE * PER, ...) of row y of
// out from the table row named by id y, dequantizing rows of any type of dequant.glsl; PER is 4
// (one dequant4 run) for block types and 1 for plain ones. Ids outside the bound window of the
// table are left to the dispatch whose window holds them (the host has checked they exist).
#extension GL_GOOGLE_include_directive : require

#define WEIGHTS_BINDING 0
#include "common.glsl"
#include "dequant.glsl"
#include "push_constants.h"

layout(push_constant) uniform Push { GetRowsPush p; };

layout(std430, binding = 1) readonly buffer Ids { int ids[]; };
layout(std430, binding = 2) writeonly buffer Out { float outv[]; };

void main()
{
    const int id = ids[p.idOffset + gl_WorkGroupID.y];
    if (id < int(p.rowFirst) || id - int(p.rowFirst) >= int(p.rows))
        return;
    const uint row = uint(id) - p.rowFirst;
    const uint outRow = p.outOffset + gl_WorkGroupID.y * p.dim;
    const uint i = gl_WorkGroupID.x * WORKGROUP_SIZE + gl_LocalInvocationID.x;
#ifdef WEIGHTS_BLOCKS
    const uint e = i * 4;
    if (e >= p.dim)
        return;
    const uint block = p.tableOffset + (row * (p.dim / BLOCK_K) + e / BLOCK_K) * BLOCK_BYTES;
    const vec4 v = dequant4(block, e % BLOCK_K) * p.scale;
    for (uint j = 0; j < 4; ++j)
        outv[outRow + e + j] = v[j];
#else
    if (i < p.dim)
        outv[outRow + i] = weight(p.tableOffset + row * p.dim + i) * p.scale;
#endif
}

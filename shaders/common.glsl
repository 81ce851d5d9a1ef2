// Helpers shared by compute shaders.
#ifndef ATELIER_COMMON_GLSL
#define ATELIER_COMMON_GLSL

// The workgroup's x size is specialization constant 0 (PipelineDesc::specConstants[0]). Shaders
// read it as WORKGROUP_SIZE, never as gl_WorkGroupSize: lavapipe in Mesa 22.3 sizes the workgroup
// from the constant but leaves gl_WorkGroupSize.x at its default of 1 when read as a value.
layout(local_size_x_id = 0) in;
layout(constant_id = 0) const uint WORKGROUP_SIZE = 64;

// 1-D work spread over a 2-D grid of workgroups (x is capped at 65535 on many devices).
uint flatInvocation()
{
    uint group = gl_WorkGroupID.y * gl_NumWorkGroups.x + gl_WorkGroupID.x;
    return group * WORKGROUP_SIZE + gl_LocalInvocationID.x;
}

// acc + dot(v, x) as a chain of fused multiply-adds. lavapipe (Mesa 22.3) compiles dot() and
// a * b + c to separate multiplies and adds (it never contracts), but fma() to one vfmadd.
float fmaDot(vec4 v, vec4 x, float acc) { return fma(v.w, x.w, fma(v.z, x.z, fma(v.y, x.y, fma(v.x, x.x, acc)))); }

#endif

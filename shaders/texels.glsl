// Read-only texel buffers for the CPU-device kernels (the *_rows shaders). By default they are
// storage texel buffers read with imageLoad: lavapipe (Mesa 22.3) builds an image load inline, as a
// vector gather, but turns a texelFetch of any format other than RGBA8 into a call to a separate
// function (lp_build_sample_soa's USE_TEX_FUNC_CALL) around which every live vector register is
// spilled; half of the Gemma LM head's loop was calls and spills. SAMPLED_TEXELS keeps uniform
// texel buffers and texelFetch: the rows kernel over several rows of a (A_FETCHED_AS_USED) relies
// on each fetch being opaque, and inline loads there were CSE'd across rows of b into spills (q5_0
// at M = 64 6x slower). The host binds them to match (vk::PipelineDesc::sampledTexels); a shader
// that includes this with SAMPLED_TEXELS enables GL_EXT_samplerless_texture_functions itself.
#ifndef ATELIER_TEXELS_GLSL
#define ATELIER_TEXELS_GLSL

// TEXEL_BUFFER: uvec4 texels (R32G32B32A32_UINT views); WORD_TEXEL_BUFFER: uint ones (R32_UINT
// views, PipelineDesc::wordTexels), read as the .x of a uvec4.
#ifdef SAMPLED_TEXELS
#define TEXEL_BUFFER(b, name) layout(binding = b) uniform utextureBuffer name
#define WORD_TEXEL_BUFFER(b, name) layout(binding = b) uniform utextureBuffer name
#define fetchTexel(name, i) texelFetch(name, int(i))
#define texelCount(name) textureSize(name)
#else
#define TEXEL_BUFFER(b, name) layout(binding = b, rgba32ui) uniform restrict readonly uimageBuffer name
#define WORD_TEXEL_BUFFER(b, name) layout(binding = b, r32ui) uniform restrict readonly uimageBuffer name
#define fetchTexel(name, i) imageLoad(name, int(i))
#define texelCount(name) imageSize(name)
#endif

#endif

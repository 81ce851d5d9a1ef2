#version 450
// Per-pixel channel work on NHWC activations (ops/channels.h), one invocation per output element:
// UPSAMPLE (nearest 2x), CONCAT (of two tensors' channels, for skip connections) and ADD_BIAS (a
// per-channel bias, one for all images or one per image, as a timestep embedding). ACT_F16: f16
// activations; BIAS_F16: f16 bias.
#extension GL_EXT_shader_16bit_storage : require
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#ifdef ACT_F16
#define A_T float16_t
#else
#define A_T float
#endif
#ifdef BIAS_F16
#define B_T float16_t
#else
#define B_T float
#endif

layout(push_constant) uniform Push { ChannelsPush p; };

layout(std430, binding = 0) readonly buffer A { A_T a[]; };
#ifdef UPSAMPLE
layout(std430, binding = 1) writeonly buffer Out { A_T outv[]; };
#else
#ifdef ADD_BIAS
layout(std430, binding = 1) readonly buffer B { B_T b[]; };
#else
layout(std430, binding = 1) readonly buffer B { A_T b[]; };
#endif
layout(std430, binding = 2) writeonly buffer Out { A_T outv[]; };
#endif

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    const uint c = i % p.channels;
    const uint pixel = i / p.channels;
#if defined(UPSAMPLE)
    // Output row r of the window (rows of 2 * width pixels) reads input row r / 2: windows start on
    // even rows, image boundaries included.
    const uint x = pixel % (2 * p.width), row = pixel / (2 * p.width);
    outv[p.outOffset + i] = a[p.aOffset + ((row / 2) * p.width + x / 2) * p.channels + c];
#elif defined(CONCAT)
    const uint ca = p.width, cb = p.channels - p.width;
    outv[p.outOffset + i] = c < ca ? a[p.aOffset + pixel * ca + c] : b[p.bOffset + pixel * cb + c - ca];
#elif defined(ADD_BIAS)
    const uint image = (p.first + i) / p.width, channel = (p.first + i) % p.channels;
    const float bias = float(b[p.bOffset + p.biasPerImage * image * p.channels + channel]);
    outv[p.outOffset + i] = A_T((float(a[p.aOffset + i]) + bias) * p.scale);
#endif
}

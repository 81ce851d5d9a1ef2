#version 450
// The steps of an FFT convolution around VkFFT's transforms (compute/ops/fft_blur.cpp), one
// pipeline per MODE (specialization constant 1):
//   MODE_PAD:      padded[b, y, x] = image[b, clampy, clampx]: the image, continued by its border
//                  pixels to the right/bottom half of the padding and by its left/top ones to the
//                  other half, which the circular transform sees as lying before the image.
//   MODE_MULTIPLY: spectrum[b, k, l] *= factors[k] * factors[paddedHeight + l], a separable real
//                  spectrum (a symmetric kernel's).
//   MODE_CROP:     image[b, y, x] = padded[b, y, x] for the image's own rows and columns.
#extension GL_GOOGLE_include_directive : require

#include "common.glsl"
#include "push_constants.h"

#define MODE_PAD 0
#define MODE_MULTIPLY 1
#define MODE_CROP 2
layout(constant_id = 1) const uint MODE = MODE_PAD;

layout(push_constant) uniform Push { FftConvolvePush p; };

// PAD: a = image, b = padded. MULTIPLY: a = spectrum (complex as pairs), b = factors. CROP: a =
// padded, b = image.
layout(std430, binding = 0) buffer A { float a[]; };
layout(std430, binding = 1) buffer B { float b[]; };

uint clampedSource(uint i, uint size, uint padded)
{
    if (i < size)
        return i;
    return (i - size < (padded - size) / 2) ? size - 1 : 0;
}

void main()
{
    const uint i = flatInvocation();
    if (i >= p.count)
        return;
    if (MODE == MODE_PAD) {
        const uint x = i % p.paddedWidth;
        const uint row = i / p.paddedWidth;
        const uint y = row % p.paddedHeight;
        const uint image = row / p.paddedHeight;
        const uint sy = clampedSource(y, p.height, p.paddedHeight);
        const uint sx = clampedSource(x, p.width, p.paddedWidth);
        b[i] = a[(image * p.height + sy) * p.width + sx];
    } else if (MODE == MODE_MULTIPLY) {
        const uint halfWidth = p.paddedWidth / 2 + 1;
        const uint l = i % halfWidth;
        const uint k = (i / halfWidth) % p.paddedHeight;
        const float f = b[k] * b[p.paddedHeight + l];
        a[2 * i] *= f;
        a[2 * i + 1] *= f;
    } else {
        const uint x = i % p.width;
        const uint row = i / p.width;
        const uint y = row % p.height;
        const uint image = row / p.height;
        b[i] = a[(image * p.paddedHeight + y) * p.paddedWidth + x];
    }
}

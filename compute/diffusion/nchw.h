#pragma once
// Host-side layout changes between torch's NCHW (latents from the samplers, reference outputs) and
// the NHWC activations the kernels use (ops/conv2d.h).

#include <cstddef>
#include <span>
#include <vector>

namespace atelier::diffusion {

// [batch, channels, height, width] -> [batch, height, width, channels].
inline std::vector<float> nchwToNhwc(std::span<const float> x, int batch, int channels, int height, int width)
{
    std::vector<float> out(x.size());
    const size_t plane = size_t(height) * size_t(width);
    for (size_t n = 0; n < size_t(batch); ++n)
        for (size_t c = 0; c < size_t(channels); ++c)
            for (size_t p = 0; p < plane; ++p)
                out[(n * plane + p) * size_t(channels) + c] = x[(n * size_t(channels) + c) * plane + p];
    return out;
}

// [batch, height, width, channels] -> [batch, channels, height, width].
inline std::vector<float> nhwcToNchw(std::span<const float> x, int batch, int channels, int height, int width)
{
    std::vector<float> out(x.size());
    const size_t plane = size_t(height) * size_t(width);
    for (size_t n = 0; n < size_t(batch); ++n)
        for (size_t c = 0; c < size_t(channels); ++c)
            for (size_t p = 0; p < plane; ++p)
                out[(n * size_t(channels) + c) * plane + p] = x[(n * plane + p) * size_t(channels) + c];
    return out;
}

} // namespace atelier::diffusion

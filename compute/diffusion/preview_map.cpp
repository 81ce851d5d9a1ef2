#include "diffusion/preview_map.h"

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {

namespace {

uint8_t toByte(float v) { return uint8_t(std::lround(255.0f * std::clamp((v + 1.0f) / 2.0f, 0.0f, 1.0f))); }

// Solves the symmetric positive definite system a x = b in place (Cholesky); false when singular.
bool solveSpd(std::vector<double>& a, std::vector<double>& b, int n)
{
    for (int j = 0; j < n; ++j) {
        double d = a[size_t(j * n + j)];
        for (int k = 0; k < j; ++k)
            d -= a[size_t(j * n + k)] * a[size_t(j * n + k)];
        if (!(d > 1e-12))
            return false;
        a[size_t(j * n + j)] = std::sqrt(d);
        for (int i = j + 1; i < n; ++i) {
            double s = a[size_t(i * n + j)];
            for (int k = 0; k < j; ++k)
                s -= a[size_t(i * n + k)] * a[size_t(j * n + k)];
            a[size_t(i * n + j)] = s / a[size_t(j * n + j)];
        }
    }
    for (int i = 0; i < n; ++i) { // L y = b
        double s = b[size_t(i)];
        for (int k = 0; k < i; ++k)
            s -= a[size_t(i * n + k)] * b[size_t(k)];
        b[size_t(i)] = s / a[size_t(i * n + i)];
    }
    for (int i = n - 1; i >= 0; --i) { // L^T x = y
        double s = b[size_t(i)];
        for (int k = i + 1; k < n; ++k)
            s -= a[size_t(k * n + i)] * b[size_t(k)];
        b[size_t(i)] = s / a[size_t(i * n + i)];
    }
    return true;
}

} // namespace

LatentRgbMap LatentRgbMap::published()
{
    LatentRgbMap map;
    map.weights = {0.298f, 0.207f, 0.208f,  0.187f, 0.286f,  0.173f,
                   -0.158f, 0.189f, 0.264f, -0.184f, -0.271f, -0.473f};
    map.source = "published";
    return map;
}

std::array<float, 3> LatentRgbMap::colour(std::span<const float> in) const
{
    std::array<float, 3> rgb = bias;
    for (size_t i = 0; i < in.size(); ++i)
        for (size_t c = 0; c < 3; ++c)
            rgb[c] += in[i] * weights[i * 3 + c];
    return rgb;
}

void neighbourhood(std::span<const float> latent, int channels, int width, int height, int x, int y, int radius,
                   float* out)
{
    const size_t plane = size_t(width) * size_t(height);
    for (int dy = -radius; dy <= radius; ++dy)
        for (int dx = -radius; dx <= radius; ++dx) {
            const size_t p = size_t(std::clamp(y + dy, 0, height - 1)) * size_t(width) +
                             size_t(std::clamp(x + dx, 0, width - 1));
            for (int l = 0; l < channels; ++l)
                *out++ = latent[size_t(l) * plane + p];
        }
}

std::vector<uint8_t> LatentRgbMap::apply(const Latent& latent, int width, int height) const
{
    const size_t plane = size_t(width) * size_t(height);
    std::vector<uint8_t> rgb(plane * 3);
    if (plane == 0 || latent.size() < plane * size_t(channels) || !valid())
        return rgb;
    std::vector<float> in(static_cast<size_t>(inputs()));
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            neighbourhood(latent, channels, width, height, x, y, radius, in.data());
            const std::array<float, 3> c = colour(in);
            for (size_t k = 0; k < 3; ++k)
                rgb[(size_t(y) * size_t(width) + size_t(x)) * 3 + k] = toByte(c[k]);
        }
    return rgb;
}

std::vector<float> averageBlocks(std::span<const float> picture, int width, int height, int scale)
{
    std::vector<float> out(size_t(width) * size_t(height) * 3, 0.0f);
    const size_t rowPixels = size_t(width) * size_t(scale);
    if (picture.size() < rowPixels * size_t(height) * size_t(scale) * 3)
        return out;
    const float share = 1.0f / float(scale * scale);
    for (size_t y = 0; y < size_t(height) * size_t(scale); ++y)
        for (size_t x = 0; x < rowPixels; ++x)
            for (size_t c = 0; c < 3; ++c)
                out[((y / size_t(scale)) * size_t(width) + x / size_t(scale)) * 3 + c] +=
                    share * picture[(y * rowPixels + x) * 3 + c];
    return out;
}

void LatentRgbFit::add(std::span<const float> latent, std::span<const float> target, int width, int height)
{
    const size_t plane = size_t(width) * size_t(height);
    if (plane == 0 || latent.size() < plane * size_t(mChannels) || target.size() < plane * 3)
        return;
    const size_t first = mLatents.size();
    mLatents.resize(first + plane * size_t(stride()));
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            neighbourhood(latent, mChannels, width, height, x, y, kRadius,
                          mLatents.data() + first + (size_t(y) * size_t(width) + size_t(x)) * size_t(stride()));
    mTargets.insert(mTargets.end(), target.begin(), target.begin() + std::ptrdiff_t(plane * 3));
}

void LatentRgbFit::trim(size_t most, size_t keep)
{
    const size_t count = samples();
    if (count <= most || keep >= most)
        return;
    const size_t drop = count - most;
    const size_t row = size_t(stride());
    mLatents.erase(mLatents.begin() + std::ptrdiff_t(keep * row), mLatents.begin() + std::ptrdiff_t((keep + drop) * row));
    mTargets.erase(mTargets.begin() + std::ptrdiff_t(keep * 3), mTargets.begin() + std::ptrdiff_t((keep + drop) * 3));
}

std::span<const float> LatentRgbFit::inputs(size_t sample, int radius) const
{
    // The centre's channels sit in the middle of the stored neighbourhood, radius 1 is all of it.
    const size_t side = size_t(2 * radius + 1), stored = size_t(2 * kRadius + 1);
    const size_t centre = (stored * stored - side * side) / 2 * size_t(mChannels);
    return std::span<const float>(mLatents).subspan(sample * size_t(stride()) + centre, side * side * size_t(mChannels));
}

size_t LatentRgbFit::end(size_t first, size_t count) const
{
    return count == 0 ? samples() : std::min(samples(), first + count);
}

LatentRgbMap LatentRgbFit::solve(int radius, size_t first, size_t count) const
{
    LatentRgbMap map;
    map.channels = mChannels;
    map.radius = std::clamp(radius, 0, kRadius);
    map.source = map.radius == 0 ? "fitted" : "fitted 3x3";
    const int m = map.inputs();
    const int n = m + 1; // the inputs, then 1 for the bias
    const size_t last = end(first, count);
    if (first >= last || last - first < size_t(n))
        return map;
    std::vector<double> gram(size_t(n * n), 0.0), cross(size_t(n) * 3, 0.0);
    std::vector<double> row(size_t(n), 1.0);
    for (size_t s = first; s < last; ++s) {
        const std::span<const float> in = inputs(s, map.radius);
        for (int i = 0; i < m; ++i)
            row[size_t(i)] = in[size_t(i)];
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j <= i; ++j)
                gram[size_t(i * n + j)] += row[size_t(i)] * row[size_t(j)];
            for (size_t c = 0; c < 3; ++c)
                cross[size_t(i) * 3 + c] += row[size_t(i)] * mTargets[s * 3 + c];
        }
    }
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            gram[size_t(i * n + j)] = gram[size_t(j * n + i)];
    // A ridge of 1e-3 of the mean input energy keeps colours the pairs never showed bounded; its
    // floor keeps all-zero latents solvable (the weights then stay 0, the bias their mean colour).
    double energy = 0;
    for (int i = 0; i < m; ++i)
        energy += gram[size_t(i * n + i)];
    const double ridge = std::max(1e-3 * energy / double(m), 1e-6 * double(last - first));
    for (int i = 0; i < m; ++i)
        gram[size_t(i * n + i)] += ridge;
    map.weights.assign(size_t(m) * 3, 0.0f);
    for (size_t c = 0; c < 3; ++c) {
        std::vector<double> a = gram;
        std::vector<double> b(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i)
            b[size_t(i)] = cross[size_t(i) * 3 + c];
        if (!solveSpd(a, b, n)) {
            map.weights.clear();
            return map;
        }
        for (int i = 0; i < m; ++i)
            map.weights[size_t(i) * 3 + c] = float(b[size_t(i)]);
        map.bias[c] = float(b[size_t(m)]);
    }
    return map;
}

double LatentRgbFit::meanAbsError(const LatentRgbMap& map, size_t first, size_t count) const
{
    const size_t last = end(first, count);
    if (first >= last || map.channels != mChannels || map.radius > kRadius || !map.valid())
        return 255.0;
    double sum = 0;
    for (size_t s = first; s < last; ++s) {
        const std::array<float, 3> rgb = map.colour(inputs(s, map.radius));
        for (size_t c = 0; c < 3; ++c)
            sum += std::abs(double(toByte(rgb[c])) - double(toByte(mTargets[s * 3 + c])));
    }
    return sum / double(3 * (last - first));
}

} // namespace atelier::diffusion

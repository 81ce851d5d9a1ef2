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

std::vector<uint8_t> LatentRgbMap::apply(const Latent& latent, int width, int height) const
{
    const size_t plane = size_t(width) * size_t(height);
    std::vector<uint8_t> rgb(plane * 3);
    if (latent.size() < plane * size_t(channels) || weights.size() != size_t(channels) * 3)
        return rgb;
    for (size_t p = 0; p < plane; ++p)
        for (int c = 0; c < 3; ++c) {
            float v = bias[size_t(c)];
            for (int l = 0; l < channels; ++l)
                v += latent[size_t(l) * plane + p] * weights[size_t(l * 3 + c)];
            rgb[p * 3 + size_t(c)] = toByte(v);
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
    if (latent.size() < plane * size_t(mChannels) || target.size() < plane * 3)
        return;
    for (size_t p = 0; p < plane; ++p) {
        for (int l = 0; l < mChannels; ++l)
            mLatents.push_back(latent[size_t(l) * plane + p]);
        for (size_t c = 0; c < 3; ++c)
            mTargets.push_back(target[p * 3 + c]);
    }
}

void LatentRgbFit::trim(size_t most, size_t keep)
{
    const size_t count = samples();
    if (count <= most || keep >= most)
        return;
    const size_t drop = count - most;
    mLatents.erase(mLatents.begin() + std::ptrdiff_t(keep * size_t(mChannels)),
                   mLatents.begin() + std::ptrdiff_t((keep + drop) * size_t(mChannels)));
    mTargets.erase(mTargets.begin() + std::ptrdiff_t(keep * 3), mTargets.begin() + std::ptrdiff_t((keep + drop) * 3));
}

LatentRgbMap LatentRgbFit::solve() const
{
    LatentRgbMap map;
    map.channels = mChannels;
    map.source = "fitted";
    const int n = mChannels + 1; // the channels, then 1 for the bias
    const size_t count = samples();
    if (count < size_t(n))
        return map;
    std::vector<double> gram(size_t(n * n), 0.0), cross(size_t(n) * 3, 0.0);
    std::vector<double> row(size_t(n), 1.0);
    for (size_t s = 0; s < count; ++s) {
        for (int l = 0; l < mChannels; ++l)
            row[size_t(l)] = mLatents[s * size_t(mChannels) + size_t(l)];
        for (int i = 0; i < n; ++i) {
            for (int j = 0; j < n; ++j)
                gram[size_t(i * n + j)] += row[size_t(i)] * row[size_t(j)];
            for (size_t c = 0; c < 3; ++c)
                cross[size_t(i) * 3 + c] += row[size_t(i)] * mTargets[s * 3 + c];
        }
    }
    // A ridge of 1e-3 of the mean channel energy keeps colours the pairs never showed bounded.
    double energy = 0;
    for (int l = 0; l < mChannels; ++l)
        energy += gram[size_t(l * n + l)];
    const double ridge = 1e-3 * energy / double(mChannels);
    for (int l = 0; l < mChannels; ++l)
        gram[size_t(l * n + l)] += ridge;
    map.weights.assign(size_t(mChannels) * 3, 0.0f);
    for (size_t c = 0; c < 3; ++c) {
        std::vector<double> a = gram;
        std::vector<double> b(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i)
            b[size_t(i)] = cross[size_t(i) * 3 + c];
        if (!solveSpd(a, b, n)) {
            map.weights.clear();
            return map;
        }
        for (int l = 0; l < mChannels; ++l)
            map.weights[size_t(l) * 3 + c] = float(b[size_t(l)]);
        map.bias[c] = float(b[size_t(mChannels)]);
    }
    return map;
}

double LatentRgbFit::meanAbsError(const LatentRgbMap& map) const
{
    const size_t count = samples();
    if (count == 0 || map.channels != mChannels || map.weights.size() != size_t(mChannels) * 3)
        return 255.0;
    // The samples as a latent of `count` pixels in a row ([channels, 1, count]).
    Latent latent(size_t(mChannels) * count);
    for (size_t s = 0; s < count; ++s)
        for (int l = 0; l < mChannels; ++l)
            latent[size_t(l) * count + s] = mLatents[s * size_t(mChannels) + size_t(l)];
    const std::vector<uint8_t> bytes = map.apply(latent, int(count), 1);
    double sum = 0;
    for (size_t i = 0; i < bytes.size(); ++i)
        sum += std::abs(double(bytes[i]) - double(toByte(mTargets[i])));
    return sum / double(bytes.size());
}

} // namespace atelier::diffusion

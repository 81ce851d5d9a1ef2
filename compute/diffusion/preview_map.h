#pragma once
// The per-step preview's latent-to-RGB map (issue 18): each latent pixel's colour as a linear map of
// its channels, or of the channels of its 3x3 neighbourhood, plus a bias. The affine one (radius 0)
// is A1111's "Approx cheap" preview, with either the published SD 1.x/2.x factors or factors fitted
// by least squares to what this model's own VAE decodes (preview_fit.h). A VAE's decoder paints a
// latent pixel from the pixels around it, so the neighbourhood map (radius 1, 4 x 9 + 1 inputs per
// colour) follows it closer once it has pictures to learn from.
//
//   latent [channels, h, w] (UNet scale) --neighbourhood [(2r+1)^2 * channels] . weights + bias-->
//   RGB [-1, 1] --> RGB8 [h, w, 3]

#include "diffusion/sampling/latent.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace atelier::diffusion {

struct LatentRgbMap {
    int channels = 4;
    int radius = 0;                   // 0: the pixel alone; 1: its 3x3 neighbourhood, edges repeated
    // [inputs(), 3]: input (n * channels + l) is latent channel l of neighbour n, the neighbours row
    // by row from the top left ((dy + radius) * side() + dx + radius).
    std::vector<float> weights;
    std::array<float, 3> bias{};      // RGB in [-1, 1] for an all-zero latent
    std::string source;               // "published", "fitted" or "fitted 3x3": said in logs and tests

    int side() const { return 2 * radius + 1; }
    int inputs() const { return side() * side() * channels; }
    bool valid() const { return channels > 0 && radius >= 0 && weights.size() == size_t(inputs()) * 3; }
    // A1111's sd_vae_approx.cheap_approximation factors, which it uses for SD 1.x and 2.x alike.
    static LatentRgbMap published();
    // RGB in [-1, 1] of one pixel from its inputs (inputs() values in the order above).
    std::array<float, 3> colour(std::span<const float> inputs) const;
    // RGB8 [height, width, 3] at latent resolution; black when the latent is too small.
    std::vector<uint8_t> apply(const Latent& latent, int width, int height) const;
};

// The inputs of latent pixel (x, y) for a map of `radius`: its neighbours' channels, coordinates
// clamped to the latent, written to `out` (side^2 * channels values).
void neighbourhood(std::span<const float> latent, int channels, int width, int height, int x, int y, int radius,
                   float* out);

// A picture in [-1, 1] HWC [height * scale, width * scale, 3] averaged over each scale x scale
// block to the latent's resolution: what a latent pixel should preview as.
std::vector<float> averageBlocks(std::span<const float> picture, int width, int height, int scale);

// Pairs of latent pixels' 3x3 neighbourhoods and the colour they decode to, and the maps that fit
// them best: affine (the centre pixel only) or over the neighbourhood.
class LatentRgbFit {
public:
    static constexpr int kRadius = 1;  // the neighbourhood kept per sample

    explicit LatentRgbFit(int channels) : mChannels(channels) {}
    // latent [channels, height, width]; target RGB [-1, 1] HWC [height, width, 3] (averageBlocks).
    void add(std::span<const float> latent, std::span<const float> target, int width, int height);
    size_t samples() const { return mTargets.size() / 3; }
    int channels() const { return mChannels; }
    // Drops the oldest samples after the first `keep` until at most `most` remain.
    void trim(size_t most, size_t keep);
    // Least squares on samples [first, first + count) (count 0: to the end) with a small ridge on
    // the weights (not the bias), radius 0 or 1; empty weights when there are fewer samples than
    // unknowns.
    LatentRgbMap solve(int radius = 0, size_t first = 0, size_t count = 0) const;
    // Mean absolute difference, in 0-255 steps, between the map's bytes and the targets' bytes on
    // samples [first, first + count) (count 0: to the end); 255 for a map that does not fit.
    double meanAbsError(const LatentRgbMap& map, size_t first = 0, size_t count = 0) const;

private:
    int stride() const { return (2 * kRadius + 1) * (2 * kRadius + 1) * mChannels; }
    // Sample s's inputs for a map of `radius` (a slice of its stored neighbourhood).
    std::span<const float> inputs(size_t sample, int radius) const;
    size_t end(size_t first, size_t count) const;

    int mChannels;
    std::vector<float> mLatents;  // [samples, 9 * channels]: each pixel's 3x3 neighbourhood
    std::vector<float> mTargets;  // [samples, 3]
};

} // namespace atelier::diffusion

#pragma once
// The per-step preview's latent-to-RGB map (issue 18): each latent pixel's channels through an
// affine map to RGB, as A1111's "Approx cheap" preview, with the map either the published SD 1.x/2.x
// factors or one fitted by least squares to what this model's own VAE decodes (preview_fit.h).
//
//   latent [channels, h, w] (UNet scale) --weights [channels, 3] + bias [3]--> RGB [-1, 1] --> RGB8 [h, w, 3]

#include "diffusion/sampling/latent.h"

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace atelier::diffusion {

struct LatentRgbMap {
    int channels = 4;
    std::vector<float> weights;       // [channels, 3]: row l is latent channel l's share of R, G, B
    std::array<float, 3> bias{};      // RGB in [-1, 1] for an all-zero latent
    std::string source;               // "published" or "fitted": said in logs and tests

    // A1111's sd_vae_approx.cheap_approximation factors, which it uses for SD 1.x and 2.x alike.
    static LatentRgbMap published();
    // RGB8 [height, width, 3] at latent resolution; black when the latent is too small.
    std::vector<uint8_t> apply(const Latent& latent, int width, int height) const;
};

// A picture in [-1, 1] HWC [height * scale, width * scale, 3] averaged over each scale x scale
// block to the latent's resolution: what a latent pixel should preview as.
std::vector<float> averageBlocks(std::span<const float> picture, int width, int height, int scale);

// Pairs of latent pixels and the colour they decode to, and the affine map that fits them best.
class LatentRgbFit {
public:
    explicit LatentRgbFit(int channels) : mChannels(channels) {}
    // latent [channels, height, width]; target RGB [-1, 1] HWC [height, width, 3] (averageBlocks).
    void add(std::span<const float> latent, std::span<const float> target, int width, int height);
    size_t samples() const { return mTargets.size() / 3; }
    int channels() const { return mChannels; }
    // Drops the oldest samples after the first `keep` until at most `most` remain.
    void trim(size_t most, size_t keep);
    // Least squares with a small ridge on the weights (not the bias); empty weights when there are
    // fewer samples than unknowns.
    LatentRgbMap solve() const;
    // Mean absolute difference, in 0-255 steps, between the map's bytes and the targets' bytes.
    double meanAbsError(const LatentRgbMap& map) const;

private:
    int mChannels;
    std::vector<float> mLatents;  // [samples, channels]
    std::vector<float> mTargets;  // [samples, 3]
};

} // namespace atelier::diffusion

#pragma once
// Tiled VAE passes (as sd.cpp's and A1111's tiled VAE): the latent is cut into overlapping tiles,
// each tile runs through the network alone, and neighbouring outputs are blended with weights that
// ramp linearly across their overlap, so memory stays that of one tile whatever the image size.
// GroupNorm statistics and the mid-block attention see one tile only, so a tiled result differs
// slightly from the untiled one; the ramps keep that difference from showing as seams.

#include "core/result.h"

#include <functional>
#include <span>
#include <vector>

namespace atelier::diffusion {

struct VaeTiling {
    bool enabled = false;   // decode/encode in overlapping tiles (auto-enabled by the caller for large images)
    int tileLatent = 64;    // tile side in latent pixels
    int overlapLatent = 8;  // blended overlap between neighbouring tiles, in latent pixels
};

// A grid of equal tiles over a latent, in latent pixels: tile (r, c) covers rows
// [ys[r], ys[r] + tileHeight) and columns [xs[c], xs[c] + tileWidth).
struct VaeTilePlan {
    int height = 0, width = 0;         // the whole latent
    int tileHeight = 0, tileWidth = 0; // min(tileLatent, height), min(tileLatent, width)
    std::vector<int> ys, xs;           // starts every tileLatent - overlapLatent; the last flush with the edge
};

// Errors for a tile side below 1, an overlap below 0 or of half a tile or more.
Result<VaeTilePlan> planVaeTiles(int height, int width, const VaeTiling& tiling);

// planVaeTiles with tiles that `fits(tileHeight, tileWidth)`: the tile side (and the overlap with
// it) halves until they do. When not even 8 latent pixels fit by the estimate (a device whose
// reported heap is smaller than the model, as lavapipe's 2 GiB with SD 1.5), 32-pixel tiles, and
// the driver says whether they really fit.
Result<VaeTilePlan> planFittingVaeTiles(int height, int width, const VaeTiling& tiling,
                                        const std::function<bool(int, int)>& fits);

// Sums the tiles' outputs (HWC, `scale` output pixels per latent pixel) weighted by ramps across
// each overlap with a neighbour, and divides by the summed weights.
class VaeTileBlender {
public:
    VaeTileBlender(const VaeTilePlan& plan, int scale, int channels);
    // The output of tile (row, col): [tileHeight * scale, tileWidth * scale, channels].
    void add(size_t row, size_t col, std::span<const float> hwc);
    std::vector<float> finish() const; // [height * scale, width * scale, channels]

private:
    // Weights of the output pixels of tile `index` along an axis with tile starts `starts`.
    std::vector<float> ramp(const std::vector<int>& starts, int tileSize, size_t index) const;

    VaeTilePlan mPlan;
    int mScale, mChannels;
    std::vector<float> mSum;
    std::vector<float> mWeight;
};

} // namespace atelier::diffusion

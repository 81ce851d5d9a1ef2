#include "diffusion/vae_tiling.h"

#include <algorithm>
#include <string>

namespace atelier::diffusion {

namespace {

std::vector<int> tileStarts(int size, int tile, int step)
{
    std::vector<int> starts{0};
    while (starts.back() + tile < size)
        starts.push_back(std::min(starts.back() + step, size - tile));
    return starts;
}

} // namespace

Result<VaeTilePlan> planVaeTiles(int height, int width, const VaeTiling& tiling)
{
    if (height <= 0 || width <= 0)
        return makeError(ErrorCode::InvalidArgument, "VAE tiles: empty latent");
    if (tiling.tileLatent < 1 || tiling.overlapLatent < 0 || 2 * tiling.overlapLatent >= tiling.tileLatent)
        return makeError(ErrorCode::InvalidArgument,
                         "VAE tiles: tiles of " + std::to_string(tiling.tileLatent) + " latent pixels cannot overlap by " +
                             std::to_string(tiling.overlapLatent) + " (at least 0 and less than half a tile)");
    VaeTilePlan p;
    p.height = height;
    p.width = width;
    p.tileHeight = std::min(tiling.tileLatent, height);
    p.tileWidth = std::min(tiling.tileLatent, width);
    const int step = tiling.tileLatent - tiling.overlapLatent;
    p.ys = tileStarts(height, p.tileHeight, step);
    p.xs = tileStarts(width, p.tileWidth, step);
    return p;
}

Result<VaeTilePlan> planFittingVaeTiles(int height, int width, const VaeTiling& tiling,
                                        const std::function<bool(int, int)>& fits)
{
    VaeTiling t = tiling;
    for (;;) {
        ATELIER_ASSIGN(VaeTilePlan plan, planVaeTiles(height, width, t));
        if (fits(plan.tileHeight, plan.tileWidth))
            return plan;
        // No estimate fits (a device whose reported heap is smaller than the model, as lavapipe's):
        // take 32-pixel tiles and let the driver say whether they fit.
        if (t.tileLatent / 2 < 8) {
            VaeTiling fallback = tiling;
            fallback.tileLatent = std::min(tiling.tileLatent, 32);
            fallback.overlapLatent = std::min(tiling.overlapLatent, fallback.tileLatent / 4);
            return planVaeTiles(height, width, fallback);
        }
        t.tileLatent /= 2;
        t.overlapLatent /= 2;
    }
}

VaeTileBlender::VaeTileBlender(const VaeTilePlan& plan, int scale, int channels)
    : mPlan(plan), mScale(scale), mChannels(channels),
      mSum(size_t(plan.height) * scale * size_t(plan.width) * scale * size_t(channels), 0.0f),
      mWeight(size_t(plan.height) * scale * size_t(plan.width) * scale, 0.0f)
{
}

std::vector<float> VaeTileBlender::ramp(const std::vector<int>& starts, int tileSize, size_t index) const
{
    // Overlaps with the previous and the next tile, in output pixels.
    const int before = index > 0 ? (starts[index - 1] + tileSize - starts[index]) * mScale : 0;
    const int after = index + 1 < starts.size() ? (starts[index] + tileSize - starts[index + 1]) * mScale : 0;
    const int n = tileSize * mScale;
    std::vector<float> w(size_t(n), 1.0f);
    for (int q = 0; q < n; ++q) {
        if (before > 0)
            w[size_t(q)] = std::min(w[size_t(q)], (float(q) + 0.5f) / float(before));
        if (after > 0)
            w[size_t(q)] = std::min(w[size_t(q)], (float(n - q) - 0.5f) / float(after));
    }
    return w;
}

void VaeTileBlender::add(size_t row, size_t col, std::span<const float> hwc)
{
    const std::vector<float> wy = ramp(mPlan.ys, mPlan.tileHeight, row);
    const std::vector<float> wx = ramp(mPlan.xs, mPlan.tileWidth, col);
    const size_t th = wy.size(), tw = wx.size(), c = size_t(mChannels);
    const size_t y0 = size_t(mPlan.ys[row]) * mScale, x0 = size_t(mPlan.xs[col]) * mScale;
    const size_t outWidth = size_t(mPlan.width) * mScale;
    for (size_t y = 0; y < th; ++y) {
        for (size_t x = 0; x < tw; ++x) {
            const float w = wy[y] * wx[x];
            const size_t pixel = (y0 + y) * outWidth + x0 + x;
            mWeight[pixel] += w;
            for (size_t ch = 0; ch < c; ++ch)
                mSum[pixel * c + ch] += w * hwc[(y * tw + x) * c + ch];
        }
    }
}

std::vector<float> VaeTileBlender::finish() const
{
    std::vector<float> out(mSum.size());
    const size_t c = size_t(mChannels);
    for (size_t pixel = 0; pixel < mWeight.size(); ++pixel)
        for (size_t ch = 0; ch < c; ++ch)
            out[pixel * c + ch] = mSum[pixel * c + ch] / mWeight[pixel];
    return out;
}

} // namespace atelier::diffusion

#include "diffusion/preview_steps.h"

#include "core/elapsed.h"
#include "diffusion/preview_fit.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/vae.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {

namespace {

constexpr float kMostChange = 0.25f; // of the [-1, 1] range: 32 of 255

uint8_t toByte(float v) { return uint8_t(std::lround(255.0f * std::clamp((v + 1.0f) / 2.0f, 0.0f, 1.0f))); }

// The map's RGB in [-1, 1] (unclamped) for every latent pixel, HWC [height, width, 3].
std::vector<float> mapColours(const LatentRgbMap& map, const Latent& latent, int width, int height)
{
    const size_t plane = size_t(width) * size_t(height);
    std::vector<float> rgb(plane * 3, 0.0f);
    for (size_t p = 0; p < plane; ++p)
        for (int c = 0; c < 3; ++c) {
            float v = map.bias[size_t(c)];
            for (int l = 0; l < map.channels; ++l)
                v += latent[size_t(l) * plane + p] * map.weights[size_t(l * 3 + c)];
            rgb[p * 3 + size_t(c)] = v;
        }
    return rgb;
}

} // namespace

StepPreviewer::StepPreviewer(StableDiffusion& model, int latentWidth, int latentHeight, int steps, double decodeShare)
    : mModel(model)
    , mLatentWidth(latentWidth)
    , mLatentHeight(latentHeight)
    , mSteps(steps)
    , mDecodeShare(decodeShare)
    , mScale(model.config().vae.downscale())
{
    const PreviewFit& fit = model.preview().fit(model.vae());
    if (fit.decodePixels > 0)
        mExpectedDecode = fit.decodeSeconds * double(latentWidth) * double(latentHeight) * mScale * mScale /
                          double(fit.decodePixels);
    // A picture the VAE would need tiles for is never decoded for a preview.
    if (mExpectedDecode <= 0 || model.vae().needsTiling(latentHeight, latentWidth))
        mDecodeShare = 0;
}

bool previewDecodeDue(int step, int steps, int decodesDone, double stepSeconds, double decodeSeconds, double share)
{
    if (share <= 0 || decodeSeconds <= 0 || step + 1 >= steps)
        return false;
    const double run = stepSeconds * steps + decodeSeconds;
    const int planned = int(std::min(double(steps - 1), share * run / decodeSeconds));
    if (decodesDone >= planned)
        return false;
    return step + 1 >= (decodesDone + 1) * steps / (planned + 1);
}

const StepPreview& StepPreviewer::preview(const Latent& denoised, int step, double samplingSeconds)
{
    if (previewDecodeDue(step, mSteps, mDecodes, samplingSeconds / double(step + 1), mExpectedDecode, mDecodeShare) &&
        decode(denoised))
        return mPreview;
    if (mPicture.empty())
        mapped(denoised);
    else
        changedSinceDecode(denoised);
    return mPreview;
}

bool StepPreviewer::decode(const Latent& denoised)
{
    const auto start = std::chrono::steady_clock::now();
    auto picture = mModel.vae().decode(denoised, mLatentHeight, mLatentWidth);
    const double seconds = secondsSince(start);
    mDecodeSeconds += seconds;
    if (!picture) {
        spdlog::warn("a step preview could not be decoded ({}); previews use the latent map", picture.error().message);
        mDecodeShare = 0;
        return false;
    }
    ++mDecodes;
    mExpectedDecode = seconds;
    mPicture = std::move(*picture);
    mDecodedLatent = denoised;
    LatentRgbFit fit(mModel.config().vae.latentChannels);
    fit.add(denoised, averageBlocks(mPicture, mLatentWidth, mLatentHeight, mScale), mLatentWidth, mLatentHeight);
    mRunMap = fit.solve();
    mPreview.width = mLatentWidth * mScale;
    mPreview.height = mLatentHeight * mScale;
    mPreview.decoded = true;
    mPreview.rgb.resize(mPicture.size());
    std::transform(mPicture.begin(), mPicture.end(), mPreview.rgb.begin(), toByte);
    return true;
}

void StepPreviewer::mapped(const Latent& denoised)
{
    mPreview.rgb = mModel.preview().map().apply(denoised, mLatentWidth, mLatentHeight);
    mPreview.width = mLatentWidth;
    mPreview.height = mLatentHeight;
    mPreview.decoded = false;
}

// The last decoded picture plus, pixel by pixel, the change of its latent pixel's mapped colour.
void StepPreviewer::changedSinceDecode(const Latent& denoised)
{
    mPreview.decoded = false;
    if (mRunMap.weights.empty()) { // the fit failed: the decoded picture as it was
        std::transform(mPicture.begin(), mPicture.end(), mPreview.rgb.begin(), toByte);
        return;
    }
    const std::vector<float> now = mapColours(mRunMap, denoised, mLatentWidth, mLatentHeight);
    const std::vector<float> then = mapColours(mRunMap, mDecodedLatent, mLatentWidth, mLatentHeight);
    const int width = mLatentWidth * mScale;
    for (int y = 0; y < mLatentHeight * mScale; ++y)
        for (int x = 0; x < width; ++x) {
            const size_t latentPixel = size_t(y / mScale) * size_t(mLatentWidth) + size_t(x / mScale);
            for (size_t c = 0; c < 3; ++c) {
                const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3 + c;
                // The map holds near the decoded latent only: a large change waits for the next decode.
                const float change = std::clamp(now[latentPixel * 3 + c] - then[latentPixel * 3 + c], -kMostChange, kMostChange);
                mPreview.rgb[i] = toByte(mPicture[i] + change);
            }
        }
}

} // namespace atelier::diffusion

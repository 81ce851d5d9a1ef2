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

uint8_t toByte(float v) { return uint8_t(std::lround(255.0f * std::clamp((v + 1.0f) / 2.0f, 0.0f, 1.0f))); }

} // namespace

StepPreviewer::StepPreviewer(StableDiffusion& model, int latentWidth, int latentHeight, int steps, double decodeShare)
    : mModel(model)
    , mLatentWidth(latentWidth)
    , mLatentHeight(latentHeight)
    , mSteps(steps)
    , mDecodeShare(decodeShare)
    , mScale(model.config().vae.downscale())
{
    // Callers that show no previews (decodeShare 0) keep the map as it is: the published one, or
    // the one an earlier run fitted; the calibration costs seconds for SD 1.5 on a CPU device.
    if (mDecodeShare <= 0)
        return;
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
    if (mDecodes == 0)
        mapped(denoised);
    else
        mPreview.decoded = false; // the last decoded picture stays on show
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
    mPreview.width = mLatentWidth * mScale;
    mPreview.height = mLatentHeight * mScale;
    mPreview.decoded = true;
    mPreview.rgb.resize(picture->size());
    std::transform(picture->begin(), picture->end(), mPreview.rgb.begin(), toByte);
    return true;
}

void StepPreviewer::mapped(const Latent& denoised)
{
    mPreview.rgb = mModel.preview().mapFor(denoised).apply(denoised, mLatentWidth, mLatentHeight);
    mPreview.width = mLatentWidth;
    mPreview.height = mLatentHeight;
    mPreview.decoded = false;
}

} // namespace atelier::diffusion

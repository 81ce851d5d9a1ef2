#include "diffusion/preview_fit.h"

#include "core/elapsed.h"
#include "diffusion/vae.h"

#include <spdlog/spdlog.h>

#include <cmath>

namespace atelier::diffusion {

std::vector<float> calibrationPicture(int side)
{
    std::vector<float> picture(size_t(side) * size_t(side) * 3);
    const int block = std::max(1, side / 8);
    for (int y = 0; y < side; ++y)
        for (int x = 0; x < side; ++x) {
            // Block i of the 8 x 8 grid shows cube colour (29 i) mod 64: 29 is coprime to 64, so all
            // 64 appear once, and neighbouring blocks differ in every level.
            const int i = std::min(7, y / block) * 8 + std::min(7, x / block);
            const int colour = (29 * i) % 64;
            const int levels[3] = {colour / 16, (colour / 4) % 4, colour % 4};
            for (int c = 0; c < 3; ++c)
                picture[(size_t(y) * size_t(side) + size_t(x)) * 3 + size_t(c)] = float(levels[c]) / 1.5f - 1.0f;
        }
    return picture;
}

void chooseMap(const LatentRgbFit& pairs, size_t heldOut, PreviewFit& fit)
{
    const LatentRgbMap fitted = pairs.solve(0);
    const LatentRgbMap published = LatentRgbMap::published();
    fit.fittedError = pairs.meanAbsError(fitted);
    fit.publishedError = pairs.meanAbsError(published); // 255 for a model of other channels
    fit.map = fit.fittedError < fit.publishedError ? fitted : published;
    fit.heldOutAffineError = fit.heldOutNeighbourhoodError = fit.heldOutPublishedError = 0;
    if (heldOut == 0 || heldOut >= pairs.samples())
        return;
    const size_t before = pairs.samples() - heldOut;
    fit.heldOutAffineError = pairs.meanAbsError(pairs.solve(0, 0, before), before);
    fit.heldOutNeighbourhoodError = pairs.meanAbsError(pairs.solve(1, 0, before), before);
    fit.heldOutPublishedError = pairs.meanAbsError(published, before);
    if (fit.heldOutNeighbourhoodError < std::min(fit.heldOutAffineError, fit.heldOutPublishedError)) {
        LatentRgbMap neighbourhood = pairs.solve(1);
        if (neighbourhood.valid())
            fit.map = std::move(neighbourhood);
    }
}

Result<PreviewFit> fitPreviewMap(Vae& vae, int side, LatentRgbFit* pairsOut)
{
    const VaeConfig& config = vae.config();
    const int scale = config.downscale();
    const int latentSide = side / scale;
    ATELIER_ASSIGN(const std::vector<float> latent, vae.encode(calibrationPicture(side), side, side));
    ATELIER_ASSIGN(const std::vector<float> decoded, vae.decode(latent, latentSide, latentSide));
    // Timed again: the first decode of a run makes its pipelines and buffers.
    const auto start = std::chrono::steady_clock::now();
    ATELIER_TRY(vae.decode(latent, latentSide, latentSide));
    PreviewFit fit;
    fit.decodeSeconds = secondsSince(start);
    fit.decodePixels = side * side;
    LatentRgbFit pairs(config.latentChannels);
    pairs.add(latent, averageBlocks(decoded, latentSide, latentSide, scale), latentSide, latentSide);
    chooseMap(pairs, 0, fit);
    spdlog::info("preview map: {} (mean colour error {:.1f} fitted, {:.1f} published; decode {:.2f} s at {}x{})",
                 fit.map.source, fit.fittedError, fit.publishedError, fit.decodeSeconds, side, side);
    if (pairsOut)
        *pairsOut = std::move(pairs);
    return fit;
}

const PreviewFit& PreviewCalibration::fit(Vae& vae)
{
    if (!mFit) {
        LatentRgbFit pairs(vae.config().latentChannels);
        auto fitted = fitPreviewMap(vae, 64, &pairs);
        if (fitted) {
            mFit = std::move(*fitted);
            mCalibrationMap = mFit->map;
            mCalibrationSamples = pairs.samples();
            mPairs = std::move(pairs);
        } else {
            spdlog::warn("the preview map could not be fitted ({}); previews use the published one",
                         fitted.error().message);
            mFit = PreviewFit{mPublished, 255.0, 255.0, 0.0, 0};
        }
    }
    return *mFit;
}

double latentRms(std::span<const float> latent)
{
    double squares = 0;
    for (const float v : latent)
        squares += double(v) * double(v);
    return latent.empty() ? 0.0 : std::sqrt(squares / double(latent.size()));
}

const LatentRgbMap& PreviewCalibration::mapFor(std::span<const float> latent) const
{
    if (!mFit || mLearntValues == 0 || !mCalibrationMap.valid())
        return map();
    const double learnt = std::sqrt(mLearntSquares / mLearntValues);
    return latentRms(latent) > kFarOut * learnt ? mCalibrationMap : mFit->map;
}

void PreviewCalibration::learn(std::span<const float> latent, std::span<const float> picture, int width, int height,
                               int scale)
{
    if (!mPairs)
        return;
    for (const float v : latent)
        mLearntSquares += double(v) * double(v);
    mLearntValues += double(latent.size());
    const size_t before = mPairs->samples();
    mPairs->add(latent, averageBlocks(picture, width, height, scale), width, height);
    mNewestSamples = mPairs->samples() - before;
    mPairs->trim(kMostSamples, mCalibrationSamples);
    mNewestSamples = std::min(mNewestSamples, mPairs->samples() - mCalibrationSamples);
    chooseMap(*mPairs, mNewestSamples, *mFit);
    spdlog::debug("preview map: {} (held-out colour error {:.1f} affine, {:.1f} 3x3, {:.1f} published)",
                  mFit->map.source, mFit->heldOutAffineError, mFit->heldOutNeighbourhoodError,
                  mFit->heldOutPublishedError);
}

} // namespace atelier::diffusion

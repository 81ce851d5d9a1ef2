#pragma once
// Fits the per-step preview's latent-to-RGB map to a model's own VAE (issue 18). Random latents are
// out of distribution (a fit on them painted wrong colours), so the pairs come from pictures: a
// calibration picture of colour blocks (every colour of a 4-level RGB cube) is encoded by the VAE's
// encoder and decoded again, and each latent pixel is paired with the colour its 8x8 block decodes
// to. The published SD factors stay in use when they agree better with the decoder. Colour blocks
// are not like the pictures a model paints, so a neighbourhood map fitted on them alone errs more
// on real latents than the affine one: the 3x3 map is chosen only once it predicts the newest
// finished picture better than the affine map does, both fitted on the pairs before that picture.
//
//   colour blocks --encode--> latent --decode--> picture --average 8x8--> targets
//   least squares (latent pixel, target) --> LatentRgbMap, or the published one if that errs less
//   + finished pictures' pairs --> the 3x3 neighbourhood map where it predicts a new picture better

#include "core/result.h"
#include "diffusion/preview_map.h"

#include <optional>
#include <span>
#include <vector>

namespace atelier::diffusion {

class Vae;

// The calibration picture: an 8 x 8 grid of blocks in the 64 colours of the RGB cube with levels
// {0, 85, 170, 255}, shuffled so that neighbours differ. RGB [-1, 1] HWC [side, side, 3].
std::vector<float> calibrationPicture(int side);

// What a fit found, for the preview and for tests.
struct PreviewFit {
    LatentRgbMap map;              // the map previews use: fitted, 3x3, or published when that errs less
    double fittedError = 0;        // mean |RGB8 difference| of the fitted affine map on all pairs
    double publishedError = 0;     // ... and of the published map
    double decodeSeconds = 0;      // the calibration decode, for the cost of decoded previews
    int decodePixels = 0;          // the pixels it decoded
    // The newest picture's pairs predicted from the pairs before them (0 when not tried): the
    // affine and the 3x3 neighbourhood map fitted on those, and the published map.
    double heldOutAffineError = 0;
    double heldOutNeighbourhoodError = 0;
    double heldOutPublishedError = 0;
};

// Encodes and decodes calibrationPicture(side) (side a multiple of the VAE's downscale) and fits
// the map; `pairs`, when given, receives the calibration's pairs. Errors: the VAE's, as they come.
Result<PreviewFit> fitPreviewMap(Vae& vae, int side = 64, LatentRgbFit* pairs = nullptr);
// The map for `pairs`: the 3x3 neighbourhood map fitted on all of them when, fitted on all but the
// newest `heldOut` samples, it predicts those better than the affine and the published maps do;
// otherwise the fitted affine map, or the published one where that errs less on all pairs.
void chooseMap(const LatentRgbFit& pairs, size_t heldOut, PreviewFit& fit);

// RMS of a latent (0 for an empty one).
double latentRms(std::span<const float> latent);

// A model's preview map, fitted on first use and kept with the loaded model; every finished
// picture adds its (final latent, decoded picture) pairs, which are in distribution by definition,
// and the map is fitted again. The first steps' x0 estimates are far larger than any finished
// latent (RMS 2-7 against about 1 on the shapes model); a map learnt from pictures paints them
// worse than the calibration's (colour blocks, saturated colours), so they keep that one.
class PreviewCalibration {
public:
    // The fitted map (fitting it now when not yet done); the published map if the fit failed.
    const PreviewFit& fit(Vae& vae);
    // The map without fitting: the published one until fit() ran.
    const LatentRgbMap& map() const { return mFit ? mFit->map : mPublished; }
    // The map for one x0 estimate [channels, h, w]: map(), or the calibration's map when the
    // latent's RMS is over kFarOut times that of the pictures learnt.
    const LatentRgbMap& mapFor(std::span<const float> latent) const;
    // A finished picture: latent [channels, height, width], picture [-1, 1] HWC at `scale` times
    // the size. Ignored until fit() ran; the most recent pictures' pairs are kept (kMostSamples).
    void learn(std::span<const float> latent, std::span<const float> picture, int width, int height, int scale);

    static constexpr size_t kMostSamples = 16384;
    static constexpr double kFarOut = 1.6;

private:
    void choose();

    std::optional<PreviewFit> mFit;
    std::optional<LatentRgbFit> mPairs;   // the calibration's pairs first, then the pictures'
    size_t mCalibrationSamples = 0;
    size_t mNewestSamples = 0;            // the newest picture's, at the end of mPairs
    LatentRgbMap mCalibrationMap;         // the calibration's choice, before any picture
    double mLearntSquares = 0;            // the learnt pictures' latents: sum of squares
    double mLearntValues = 0;             // ... and how many values
    LatentRgbMap mPublished = LatentRgbMap::published();
};

} // namespace atelier::diffusion

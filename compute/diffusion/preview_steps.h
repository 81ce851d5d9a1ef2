#pragma once
// Each sampling step's preview (issue 18). A latent-to-RGB map alone cannot give every VAE's colours
// (the shapes model's decoder paints a latent pixel's colour from its neighbourhood: the best affine
// map is 25-55 of 255 off, the 3x3 neighbourhood map of preview_map.h closer but not right), so
// where the time allows, the step's x0 estimate goes through the real
// VAE (A1111's "Full" preview), on as many steps as fit in a share of the run, spread over it. The
// last decoded picture stays on show until the next decode (A1111 does the same; adding the mapped
// change since then painted a checkerboard of latent pixels); before the first, the model's fitted
// map (preview_fit.h) at latent size.
//
//   step i: x0 --decode due?--yes--> VAE decode --> RGB8 at the picture's size
//                              |--no--> the last decode, or before one: model map(x0) at latent size

#include "diffusion/preview_map.h"
#include "diffusion/sampling/latent.h"

#include <cstdint>
#include <vector>

namespace atelier::diffusion {

class StableDiffusion;

// Whether step `step` (0-based) of `steps` decodes its preview, `decodesDone` decodes into the run,
// a step having taken `stepSeconds` and a decode `decodeSeconds`: as many decodes as fit in `share`
// of the whole run (the steps and the final decode), at the ends of equal parts of it so the last
// falls late, never on the last step (the final decode follows it).
bool previewDecodeDue(int step, int steps, int decodesDone, double stepSeconds, double decodeSeconds, double share);

struct StepPreview {
    std::vector<uint8_t> rgb;  // [height, width, 3]
    int width = 0;
    int height = 0;
    bool decoded = false;      // this step went through the VAE
};

class StepPreviewer {
public:
    // decodeShare: the most the VAE decodes may add to the sampling time (0: the map only).
    StepPreviewer(StableDiffusion& model, int latentWidth, int latentHeight, int steps, double decodeShare);

    // The preview of step `step` (0-based) from its x0 estimate; samplingSeconds: the time sampling
    // has taken so far, this step included, decodes excluded.
    const StepPreview& preview(const Latent& denoised, int step, double samplingSeconds);

    int decodes() const { return mDecodes; }
    double decodeSeconds() const { return mDecodeSeconds; }

private:
    bool decode(const Latent& denoised);
    void mapped(const Latent& denoised);

    StableDiffusion& mModel;
    int mLatentWidth, mLatentHeight, mSteps;
    double mDecodeShare;
    int mScale;                      // picture pixels per latent pixel
    double mExpectedDecode = 0;      // seconds a decode at this size should take
    int mDecodes = 0;
    double mDecodeSeconds = 0;
    StepPreview mPreview;
};

} // namespace atelier::diffusion

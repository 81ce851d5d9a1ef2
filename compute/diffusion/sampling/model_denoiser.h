#pragma once
// Turns a UNet into the denoiser D(x, sigma) that samplers call: the x0 estimate for a latent x at
// noise level sigma, in k-diffusion's scaling (x = x0 + sigma * noise).
//
// The UNet sees c_in * x (the variance-preserving sample) and the timestep t(sigma) interpolated
// on the training schedule (k-diffusion CompVisDenoiser / CompVisVDenoiser, as A1111 does), and
// predicts eps or v; D = c_skip * x + c_out * prediction with
//   eps: c_skip = 1,                c_out = -sigma,              c_in = 1 / sqrt(sigma^2 + 1)
//   v:   c_skip = 1 / (sigma^2 + 1), c_out = -sigma / sqrt(sigma^2 + 1), c_in = 1 / sqrt(sigma^2 + 1)
// Classifier-free guidance mixes the two predictions before that: uncond + scale * (cond - uncond)
// (the same as mixing the x0 estimates, as A1111 does, since D is affine in the prediction).

#include "core/result.h"
#include "diffusion/sampling/latent.h"
#include "diffusion/sampling/noise_schedule.h"

#include <functional>

namespace atelier::diffusion {

enum class Prediction {
    Epsilon, // SD 1.x, SD 2.x base (512)
    V,       // SD 2.x 768-v
};

struct DenoiserScalings {
    double cSkip = 1.0;
    double cOut = 0.0;
    double cIn = 1.0;
};

DenoiserScalings denoiserScalings(Prediction prediction, double sigma);

// What the UNet returns for one evaluation: the conditional prediction and, when guidance needs it,
// the unconditional one (empty otherwise). An engine runs both as one batch of two.
struct ModelPrediction {
    Latent cond;
    Latent uncond;
};

// The UNet: its prediction for `scaledInput` at `timestep`; `withUncond` asks for the unconditional one too.
using ModelFunction = std::function<Result<ModelPrediction>(const Latent& scaledInput, double timestep, bool withUncond)>;

// uncond + scale * (cond - uncond), element by element.
Result<Latent> combineGuidance(const Latent& uncond, const Latent& cond, double scale);

class ModelDenoiser {
public:
    ModelDenoiser(NoiseSchedule schedule, Prediction prediction, double guidanceScale, ModelFunction model);

    // D(x, sigma). Errors from the model (a cancelled job, a lost device) come back unchanged.
    Result<Latent> operator()(const Latent& x, double sigma) const;

    // Guidance is skipped (one prediction per step) at scale 1, where it changes nothing.
    bool usesGuidance() const { return mGuidanceScale != 1.0; }

private:
    NoiseSchedule mSchedule;
    Prediction mPrediction;
    double mGuidanceScale;
    ModelFunction mModel;
};

} // namespace atelier::diffusion

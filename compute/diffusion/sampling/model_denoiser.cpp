#include "diffusion/sampling/model_denoiser.h"

#include <cmath>
#include <string>

namespace atelier::diffusion {

DenoiserScalings denoiserScalings(Prediction prediction, double sigma)
{
    const double variance = sigma * sigma + 1.0; // sigma_data = 1
    DenoiserScalings s;
    s.cIn = 1.0 / std::sqrt(variance);
    if (prediction == Prediction::Epsilon) {
        s.cSkip = 1.0;
        s.cOut = -sigma;
    } else {
        s.cSkip = 1.0 / variance;
        s.cOut = -sigma / std::sqrt(variance);
    }
    return s;
}

Result<Latent> combineGuidance(const Latent& uncond, const Latent& cond, double scale)
{
    if (uncond.size() != cond.size())
        return makeError(ErrorCode::InvalidArgument, "guidance needs predictions of one size, got " +
                                                         std::to_string(uncond.size()) + " and " +
                                                         std::to_string(cond.size()));
    Latent mixed(cond.size());
    for (size_t i = 0; i < cond.size(); ++i)
        mixed[i] = float(double(uncond[i]) + scale * (double(cond[i]) - double(uncond[i])));
    return mixed;
}

ModelDenoiser::ModelDenoiser(NoiseSchedule schedule, Prediction prediction, double guidanceScale, ModelFunction model)
    : mSchedule(std::move(schedule)), mPrediction(prediction), mGuidanceScale(guidanceScale), mModel(std::move(model))
{
}

Result<Latent> ModelDenoiser::operator()(const Latent& x, double sigma) const
{
    const DenoiserScalings s = denoiserScalings(mPrediction, sigma);
    Latent scaled(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        scaled[i] = float(double(x[i]) * s.cIn);

    ATELIER_ASSIGN(ModelPrediction out, mModel(scaled, mSchedule.timestepAt(sigma), usesGuidance()));
    if (out.cond.size() != x.size())
        return makeError(ErrorCode::InvalidArgument, "the model returned " + std::to_string(out.cond.size()) +
                                                         " values for a latent of " + std::to_string(x.size()));
    Latent prediction = std::move(out.cond);
    if (usesGuidance()) {
        ATELIER_ASSIGN(prediction, combineGuidance(out.uncond, prediction, mGuidanceScale));
    }

    Latent denoised(x.size());
    for (size_t i = 0; i < x.size(); ++i)
        denoised[i] = float(s.cSkip * double(x[i]) + s.cOut * double(prediction[i]));
    return denoised;
}

} // namespace atelier::diffusion

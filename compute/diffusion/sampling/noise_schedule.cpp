#include "diffusion/sampling/noise_schedule.h"

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {

NoiseSchedule NoiseSchedule::scaledLinear(double betaStart, double betaEnd, int trainSteps)
{
    NoiseSchedule s;
    const auto n = size_t(std::max(trainSteps, 2));
    const double from = std::sqrt(betaStart);
    const double to = std::sqrt(betaEnd);
    const double step = (to - from) / double(n - 1);
    double cumprod = 1.0;
    for (size_t t = 0; t < n; ++t) {
        // torch.linspace fills the first half forward from `from` and the second backward from `to`.
        const double root = t < n / 2 ? from + step * double(t) : to - step * double(n - 1 - t);
        cumprod *= 1.0 - root * root;
        s.mAlphasCumprod.push_back(cumprod);
        s.mSigmas.push_back(std::sqrt((1.0 - cumprod) / cumprod));
        s.mLogSigmas.push_back(std::log(s.mSigmas.back()));
    }
    return s;
}

double NoiseSchedule::sigmaAt(double t) const
{
    // k-diffusion's t_to_sigma starts with t.float(): the timestep is a float32 even in float64 runs.
    t = double(float(std::clamp(t, 0.0, double(trainSteps() - 1))));
    const double low = std::floor(t);
    const double high = std::ceil(t);
    const double w = t - low;
    return std::exp((1.0 - w) * mLogSigmas[size_t(low)] + w * mLogSigmas[size_t(high)]);
}

double NoiseSchedule::timestepAt(double sigma) const
{
    const double logSigma = std::log(sigma);
    // The last training level at or below sigma, kept one short of the end so that low + 1 exists.
    const auto above = std::upper_bound(mLogSigmas.begin(), mLogSigmas.end(), logSigma);
    const auto low = size_t(std::clamp<std::ptrdiff_t>(above - mLogSigmas.begin() - 1, 0, trainSteps() - 2));
    const double w = std::clamp((mLogSigmas[low] - logSigma) / (mLogSigmas[low] - mLogSigmas[low + 1]), 0.0, 1.0);
    return (1.0 - w) * double(low) + w * double(low + 1);
}

} // namespace atelier::diffusion

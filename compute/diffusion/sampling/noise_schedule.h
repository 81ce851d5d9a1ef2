#pragma once
// The discrete noise schedule a Stable Diffusion 1.x/2.x model was trained with: 1000 "scaled linear"
// betas, the cumulative alpha products, and the k-diffusion noise levels sigma_t = sqrt((1 - ac_t) / ac_t).
// Computed in double as CompVis ldm does (A1111 keeps ldm's float64 values, cast to float32).

#include <cstddef>
#include <vector>

namespace atelier::diffusion {

class NoiseSchedule {
public:
    // betas = linspace(sqrt(betaStart), sqrt(betaEnd), trainSteps)^2, SD's "scaled_linear".
    static NoiseSchedule scaledLinear(double betaStart = 0.00085, double betaEnd = 0.012, int trainSteps = 1000);

    int trainSteps() const { return int(mAlphasCumprod.size()); }
    double alphaCumprod(int t) const { return mAlphasCumprod[std::size_t(t)]; }
    double sigma(int t) const { return mSigmas[std::size_t(t)]; }
    double sigmaMin() const { return mSigmas.front(); } // t = 0, about 0.0292 for SD
    double sigmaMax() const { return mSigmas.back(); }  // t = 999, about 14.61 for SD

    // Sigma at a fractional timestep (rounded to float32 first, as k-diffusion does): log sigma
    // interpolated linearly (k-diffusion t_to_sigma).
    double sigmaAt(double t) const;
    // The fractional timestep of a sigma, the inverse of sigmaAt, clamped to [0, trainSteps - 1]
    // (k-diffusion DiscreteSchedule.sigma_to_t, which A1111 uses to give the UNet its timestep).
    double timestepAt(double sigma) const;

private:
    std::vector<double> mAlphasCumprod; // [trainSteps]
    std::vector<double> mSigmas;        // [trainSteps], increasing
    std::vector<double> mLogSigmas;     // [trainSteps]
};

} // namespace atelier::diffusion

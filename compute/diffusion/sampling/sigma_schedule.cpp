#include "diffusion/sampling/sigma_schedule.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace atelier::diffusion {
namespace {

// torch.linspace(from, to, n) in double: the first half counts up from `from`, the rest down from `to`.
std::vector<double> linspace(double from, double to, int n)
{
    std::vector<double> values(size_t(std::max(n, 0)));
    if (n == 1)
        values[0] = from;
    if (n < 2)
        return values;
    const double step = (to - from) / double(n - 1);
    for (int i = 0; i < n; ++i)
        values[size_t(i)] = i < n / 2 ? from + step * double(i) : to - step * double(n - 1 - i);
    return values;
}

std::vector<double> sigmasOf(const NoiseSchedule& schedule, const std::vector<int>& timesteps)
{
    std::vector<double> sigmas;
    for (int t : timesteps)
        sigmas.push_back(schedule.sigma(t));
    return sigmas;
}

} // namespace

std::vector<double> uniformSigmas(const NoiseSchedule& schedule, int steps)
{
    std::vector<double> sigmas;
    for (double t : linspace(double(schedule.trainSteps() - 1), 0.0, steps))
        sigmas.push_back(schedule.sigmaAt(t));
    sigmas.push_back(0.0);
    return sigmas;
}

std::vector<double> karrasSigmas(double sigmaMin, double sigmaMax, int steps, double rho)
{
    const double minInvRho = std::pow(sigmaMin, 1.0 / rho);
    const double maxInvRho = std::pow(sigmaMax, 1.0 / rho);
    std::vector<double> sigmas;
    for (double ramp : linspace(0.0, 1.0, steps))
        sigmas.push_back(std::pow(maxInvRho + ramp * (minInvRho - maxInvRho), rho));
    sigmas.push_back(0.0);
    return sigmas;
}

std::vector<int> leadingTimesteps(int steps, int trainSteps, int stepsOffset)
{
    std::vector<int> timesteps;
    const int ratio = trainSteps / std::max(steps, 1);
    for (int i = steps - 1; i >= 0; --i)
        timesteps.push_back(i * ratio + stepsOffset);
    return timesteps;
}

std::vector<int> trailingTimesteps(int steps, int trainSteps)
{
    // np.round(np.arange(trainSteps, 0, -trainSteps / steps)) - 1. numpy's arange can produce one
    // element more than `steps` (61 steps, for one); diffusers would then end on timestep -1. Keep `steps`.
    const double ratio = double(trainSteps) / double(steps);
    const auto count = int(std::ceil((0.0 - double(trainSteps)) / -ratio));
    std::vector<int> timesteps;
    for (int i = 0; i < std::min(count, steps); ++i)
        timesteps.push_back(int(std::nearbyint(double(trainSteps) + double(i) * -ratio)) - 1); // half to even
    return timesteps;
}

std::vector<int> lcmTimesteps(int steps, double strength, int trainSteps, int originalSteps)
{
    // The distillation schedule k - 1, 2k - 1, ..., k = trainSteps / originalSteps, cut by strength,
    // then `steps` of them picked at floor(linspace(0, len, steps, endpoint=False)), largest first.
    const int k = trainSteps / originalSteps;
    const int available = int(double(originalSteps) * strength);
    std::vector<int> timesteps;
    const double stride = double(available) / double(steps);
    for (int i = 0; i < steps; ++i) {
        const auto index = int(std::floor(double(i) * stride));
        timesteps.push_back((available - index) * k - 1);
    }
    return timesteps;
}

Result<SamplingPlan> planSampling(const NoiseSchedule& schedule, SamplerKind sampler, ScheduleKind kind, int steps,
                                  double strength)
{
    if (steps < 1 || steps > schedule.trainSteps())
        return makeError(ErrorCode::InvalidArgument, "steps must be between 1 and " +
                                                         std::to_string(schedule.trainSteps()) + ", not " +
                                                         std::to_string(steps));
    if (!(strength > 0.0 && strength <= 1.0))
        return makeError(ErrorCode::InvalidArgument, "denoising strength must be in (0, 1]");

    SamplingPlan plan;
    plan.schedule = resolveSchedule(sampler, kind);
    // diffusers' DDIM lands on alphas_cumprod[0] (SD configs set set_alpha_to_one=False).
    const double endSigma = sampler == SamplerKind::Ddim ? schedule.sigmaMin() : 0.0;

    switch (plan.schedule) {
    case ScheduleKind::Automatic: // resolved above
    case ScheduleKind::Uniform:
    case ScheduleKind::Karras: {
        plan.sigmas = plan.schedule == ScheduleKind::Karras
                          ? karrasSigmas(schedule.sigmaMin(), schedule.sigmaMax(), steps)
                          : uniformSigmas(schedule, steps);
        plan.sigmas.back() = endSigma;
        if (strength < 1.0) {
            const auto encodeSteps = int(std::min(strength, 0.999) * steps);
            plan.skippedSteps = steps - encodeSteps - 1;
            plan.sigmas.erase(plan.sigmas.begin(), plan.sigmas.begin() + plan.skippedSteps);
        }
        break;
    }
    case ScheduleKind::Leading:
    case ScheduleKind::Trailing: {
        auto timesteps = plan.schedule == ScheduleKind::Leading ? leadingTimesteps(steps, schedule.trainSteps())
                                                                : trailingTimesteps(steps, schedule.trainSteps());
        const int run = std::min(int(double(steps) * strength), steps);
        plan.skippedSteps = std::max(steps - run, 0);
        timesteps.erase(timesteps.begin(), timesteps.begin() + std::min<size_t>(size_t(plan.skippedSteps), timesteps.size()));
        plan.sigmas = sigmasOf(schedule, timesteps);
        plan.sigmas.push_back(endSigma);
        break;
    }
    case ScheduleKind::Lcm: {
        const int available = int(50.0 * strength);
        if (steps > available)
            return makeError(ErrorCode::InvalidArgument,
                             "LCM picks its steps from int(50 x strength) = " + std::to_string(available) +
                                 " distillation timesteps; ask for at most that many steps");
        plan.sigmas = sigmasOf(schedule, lcmTimesteps(steps, strength, schedule.trainSteps()));
        plan.sigmas.push_back(endSigma);
        break;
    }
    }
    if (plan.sigmas.size() < 2)
        return makeError(ErrorCode::InvalidArgument, "the denoising strength leaves no step to run");
    return plan;
}

} // namespace atelier::diffusion


#include "tst_samplers.h"

#include "diffusion/sampling/gaussian_noise.h"
#include "diffusion/sampling/model_denoiser.h"
#include "diffusion/sampling/sampler_names.h"
#include "diffusion/sampling/samplers.h"
#include "diffusion/sampling/sigma_schedule.h"
#include "golden.h"
#include "test_result.h"

#include <cmath>
#include <map>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

// The references run in float64 from the same float32 noise; ours keeps latents in float32 and
// rounds the model's input and output to float32 as a GPU UNet would. Each step therefore adds a few
// float32 roundings (2^-24 ~ 6e-8 relative) of values up to ~15; over 10-30 steps, with Heun's and
// DPM++'s extra combinations, the measured error stays below 1e-6 of the latent's scale. 1e-5 leaves
// headroom for other compilers while catching any real mistake (a wrong coefficient, sigma or
// timestep shows up at 1e-3 or more).
constexpr double kLatentTolerance = 1e-5;

// The same fake model as make_golden.py: eps (or v) for the variance-preserving input at timestep t.
Result<ModelPrediction> fakeModel(const Latent& input, double t, bool withUncond)
{
    const double gain = 0.7 + 0.2 * std::cos(t / 250.0);
    ModelPrediction out;
    out.cond.resize(input.size());
    for (size_t i = 0; i < input.size(); ++i)
        out.cond[i] = float(gain * input[i] + 0.3 * std::sin(0.37 * double(i) + t / 170.0));
    if (withUncond) {
        out.uncond.resize(input.size());
        for (size_t i = 0; i < input.size(); ++i)
            out.uncond[i] = float((gain - 0.1) * input[i] + 0.25 * std::cos(0.23 * double(i) - t / 330.0));
    }
    return out;
}

Latent encodedLatent(size_t n)
{
    Latent x(n);
    for (size_t i = 0; i < n; ++i)
        x[i] = float(0.8 * std::sin(0.5 * double(i)) + 0.1);
    return x;
}

Denoise denoiseWith(const ModelDenoiser& denoiser)
{
    return [&denoiser](const Latent& x, double sigma) { return denoiser(x, sigma); };
}

Denoise halfDenoiser()
{
    return [](const Latent& x, double) -> Result<Latent> {
        Latent d(x);
        for (float& v : d)
            v *= 0.5f;
        return d;
    };
}

} // namespace

void TestSamplers::samplersMatchReferences_data()
{
    QTest::addColumn<QJsonObject>("golden");
    const QJsonObject file = test::loadGolden("samplers");
    for (const QJsonValue& c : file.value("cases").toArray())
        QTest::newRow(qPrintable(c.toObject().value("name").toString())) << c.toObject();
    QVERIFY(file.value("cases").toArray().size() >= 20);
}

void TestSamplers::samplersMatchReferences()
{
    QFETCH(QJsonObject, golden);
    ASSIGN_OR_FAIL(const SamplerChoice choice, parseA1111Sampler(golden.value("sampler").toString().toStdString(),
                                                                golden.value("schedule").toString().toStdString()));
    const auto prediction = golden.value("prediction").toString() == "v" ? Prediction::V : Prediction::Epsilon;
    const int steps = golden.value("steps").toInt();
    const double strength = golden.value("strength").toDouble();
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();

    ASSIGN_OR_FAIL(SamplingPlan plan, planSampling(schedule, choice.sampler, choice.schedule, steps, strength));
    if (golden.contains("timesteps")) { // custom LCM timesteps
        plan.sigmas.clear();
        for (int t : test::ints(golden.value("timesteps")))
            plan.sigmas.push_back(schedule.sigma(t));
        plan.sigmas.push_back(0.0);
    }
    const auto expectedSigmas = test::doubles(golden.value("sigmas"));
    const double sigmaError = test::maxRelativeError(plan.sigmas, expectedSigmas);
    QVERIFY2(sigmaError < 1e-12, qPrintable(QString("sigmas differ by %1").arg(sigmaError)));

    GaussianNoise noise(uint64_t(golden.value("seed").toInt()));
    const size_t n = 120; // 1 x 4 x 5 x 6
    const Latent unitNoise = noise.draw(n);
    auto sampler = makeSampler(choice.sampler, schedule, noise);
    QCOMPARE(sampler->kind(), choice.sampler);
    const Latent encoded = strength < 1.0 ? encodedLatent(n) : Latent();
    ASSIGN_OR_FAIL(Latent x, startingLatent(*sampler, plan.sigmas.front(), unitNoise, encoded));

    const ModelDenoiser denoiser(schedule, prediction, golden.value("guidance").toDouble(), fakeModel);
    std::map<int, Latent> seen;
    int calls = 0;
    const StepCallback onStep = [&](const StepProgress& p) {
        seen[p.step] = p.x;
        ++calls;
        return p.steps == int(plan.sigmas.size()) - 1;
    };
    ASSIGN_OR_FAIL(const Latent result, sampler->sample(std::move(x), plan.sigmas, denoiseWith(denoiser), onStep));
    QCOMPARE(calls, int(plan.sigmas.size()) - 1);

    double worst = 0.0;
    for (const QJsonValue& v : golden.value("checkpoints").toArray()) {
        const int step = v.toObject().value("step").toInt();
        QVERIFY(seen.count(step));
        const double error = test::scaledMaxError(seen[step], test::doubles(v.toObject().value("x")));
        QVERIFY2(error < kLatentTolerance, qPrintable(QString("step %1 differs by %2").arg(step).arg(error)));
        worst = std::max(worst, error);
    }
    const double error = test::scaledMaxError(result, test::doubles(golden.value("final")));
    QVERIFY2(error < kLatentTolerance, qPrintable(QString("final latent differs by %1").arg(error)));
    qInfo("max error %.2g (final %.2g)", std::max(worst, error), error);
}

void TestSamplers::denoiserScalingsAreKDiffusions()
{
    // CompVisDenoiser: eps, c_skip 1, c_out -sigma; CompVisVDenoiser: sigma_data 1.
    const DenoiserScalings eps = denoiserScalings(Prediction::Epsilon, 2.0);
    QCOMPARE(eps.cSkip, 1.0);
    QCOMPARE(eps.cOut, -2.0);
    QCOMPARE(eps.cIn, 1.0 / std::sqrt(5.0));
    const DenoiserScalings v = denoiserScalings(Prediction::V, 2.0);
    QCOMPARE(v.cSkip, 1.0 / 5.0);
    QCOMPARE(v.cOut, -2.0 / std::sqrt(5.0));
    QCOMPARE(v.cIn, 1.0 / std::sqrt(5.0));
}

void TestSamplers::guidanceMixesPredictions()
{
    ASSIGN_OR_FAIL(const Latent mixed, combineGuidance({1.0f, -2.0f}, {3.0f, 0.0f}, 7.5));
    QCOMPARE(mixed, Latent({16.0f, 13.0f}));
    QVERIFY(!combineGuidance({1.0f}, {1.0f, 2.0f}, 7.5).ok());

    // At scale 1 the model is asked for the conditional prediction only.
    int uncondCalls = 0;
    const ModelFunction model = [&](const Latent& in, double, bool withUncond) -> Result<ModelPrediction> {
        uncondCalls += withUncond;
        return ModelPrediction{in, withUncond ? in : Latent()};
    };
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    VERIFY_OK(ModelDenoiser(schedule, Prediction::Epsilon, 1.0, model)({1.0f, 2.0f}, 3.0));
    QCOMPARE(uncondCalls, 0);
    VERIFY_OK(ModelDenoiser(schedule, Prediction::Epsilon, 0.0, model)({1.0f, 2.0f}, 3.0));
    QCOMPARE(uncondCalls, 1);
}

void TestSamplers::progressCallbackStopsTheRun()
{
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    GaussianNoise noise(1);
    const auto sigmas = uniformSigmas(schedule, 10);
    for (SamplerKind kind : {SamplerKind::Euler, SamplerKind::EulerAncestral, SamplerKind::Heun, SamplerKind::DpmPp2M,
                             SamplerKind::Ddim, SamplerKind::Lcm}) {
        auto sampler = makeSampler(kind, schedule, noise);
        int denoiserCalls = 0;
        const Denoise counting = [&](const Latent& x, double sigma) {
            ++denoiserCalls;
            return halfDenoiser()(x, sigma);
        };
        std::vector<int> reported;
        bool consistent = true;
        const auto result = sampler->sample(Latent(16, 1.0f), sigmas, counting, [&](const StepProgress& p) {
            reported.push_back(p.step);
            consistent = consistent && p.steps == 10 && p.sigma == sigmas[size_t(p.step)] && p.x.size() == 16 &&
                         p.denoised.size() == 16;
            return p.step < 3;
        });
        QVERIFY(consistent);
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code, ErrorCode::Cancelled);
        QCOMPARE(reported, std::vector<int>({0, 1, 2, 3}));
        QCOMPARE(denoiserCalls, kind == SamplerKind::Heun ? 7 : 4); // Heun: two calls per finished step
    }
}

void TestSamplers::denoiserErrorsPropagate()
{
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    GaussianNoise noise(1);
    auto sampler = makeSampler(SamplerKind::DpmPp2M, schedule, noise);
    int calls = 0;
    const Denoise failing = [&](const Latent& x, double sigma) -> Result<Latent> {
        if (++calls == 3)
            return makeError(ErrorCode::DeviceLost, "the GPU went away");
        return halfDenoiser()(x, sigma);
    };
    const auto result = sampler->sample(Latent(8, 1.0f), uniformSigmas(schedule, 6), failing);
    QVERIFY(!result.ok());
    QCOMPARE(result.error().code, ErrorCode::DeviceLost);
    QCOMPARE(result.error().message, std::string("the GPU went away"));

    // A model that fails inside the ModelDenoiser comes out the same way.
    const ModelDenoiser broken(schedule, Prediction::Epsilon, 7.0, [](const Latent&, double, bool) -> Result<ModelPrediction> {
        return makeError(ErrorCode::Cancelled, "cancelled");
    });
    const auto cancelled = sampler->sample(Latent(8, 1.0f), uniformSigmas(schedule, 6), denoiseWith(broken));
    QVERIFY(!cancelled.ok());
    QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
}

void TestSamplers::badInputsAreErrors()
{
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    GaussianNoise noise(1);
    auto sampler = makeSampler(SamplerKind::Euler, schedule, noise);
    const std::vector<double> one{1.0};
    const std::vector<double> rising{1.0, 2.0, 0.0};
    const std::vector<double> negative{1.0, -1.0};
    QVERIFY(!sampler->sample(Latent(4, 0.0f), one, halfDenoiser()).ok());
    QVERIFY(!sampler->sample(Latent(4, 0.0f), rising, halfDenoiser()).ok());
    QVERIFY(!sampler->sample(Latent(4, 0.0f), negative, halfDenoiser()).ok());
    QVERIFY(!sampler->sample(Latent(), std::vector<double>{1.0, 0.0}, halfDenoiser()).ok());
    const Denoise wrongSize = [](const Latent&, double) -> Result<Latent> { return Latent(3, 0.0f); };
    QVERIFY(!sampler->sample(Latent(4, 0.0f), std::vector<double>{1.0, 0.0}, wrongSize).ok());
    QVERIFY(!startingLatent(*sampler, 1.0, Latent(4, 0.0f), Latent(5, 0.0f)).ok());
}

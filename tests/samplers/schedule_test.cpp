#include "tst_samplers.h"

#include "diffusion/sampling/sigma_schedule.h"
#include "golden.h"
#include "test_result.h"

using namespace atelier;
using namespace atelier::diffusion;

// The schedule is double arithmetic on both sides (the reference is float64 torch): only the order of
// a few operations differs, so 1e-12 relative is generous.
static constexpr double kDoubleTolerance = 1e-12;

void TestSamplers::trainingScheduleMatchesCompVis()
{
    const QJsonObject golden = test::loadGolden("schedule");
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    QCOMPARE(schedule.trainSteps(), 1000);
    const QJsonObject alphas = golden.value("alphas_cumprod").toObject();
    QVERIFY(!alphas.isEmpty());
    for (auto it = alphas.begin(); it != alphas.end(); ++it) {
        const double expected = it.value().toDouble();
        QVERIFY2(std::abs(schedule.alphaCumprod(it.key().toInt()) - expected) <= kDoubleTolerance * expected,
                 qPrintable("alphas_cumprod[" + it.key() + "]"));
    }
    QVERIFY(std::abs(schedule.sigmaMin() - golden.value("sigma_min").toDouble()) < 1e-14);
    QVERIFY(std::abs(schedule.sigmaMax() - golden.value("sigma_max").toDouble()) < 1e-12);
}

void TestSamplers::sigmaTimestepConversionMatchesKDiffusion()
{
    const QJsonObject golden = test::loadGolden("schedule");
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const QJsonArray toT = golden.value("sigma_to_t").toArray();
    QVERIFY(!toT.isEmpty());
    for (const QJsonValue& v : toT) {
        const double sigma = v.toArray()[0].toDouble();
        const double t = v.toArray()[1].toDouble();
        QVERIFY2(std::abs(schedule.timestepAt(sigma) - t) < 1e-9, qPrintable(QString("sigma %1").arg(sigma)));
    }
    for (const QJsonValue& v : golden.value("t_to_sigma").toArray()) {
        const double t = v.toArray()[0].toDouble();
        const double sigma = v.toArray()[1].toDouble();
        QVERIFY2(std::abs(schedule.sigmaAt(t) - sigma) <= kDoubleTolerance * sigma, qPrintable(QString("t %1").arg(t)));
        QVERIFY(std::abs(schedule.timestepAt(schedule.sigmaAt(t)) - t) < 1e-4); // t went through float32
    }
}

void TestSamplers::uniformAndKarrasSigmasMatchKDiffusion()
{
    const QJsonObject golden = test::loadGolden("schedule");
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    for (const char* kind : {"uniform", "karras"}) {
        const QJsonObject byCount = golden.value(kind).toObject();
        QVERIFY(!byCount.isEmpty());
        for (auto it = byCount.begin(); it != byCount.end(); ++it) {
            const int n = it.key().toInt();
            const auto sigmas = kind[0] == 'u' ? uniformSigmas(schedule, n)
                                               : karrasSigmas(schedule.sigmaMin(), schedule.sigmaMax(), n);
            const double error = test::maxRelativeError(sigmas, test::doubles(it.value()));
            QVERIFY2(error < kDoubleTolerance, qPrintable(QString("%1 %2: %3").arg(kind).arg(n).arg(error)));
        }
    }
}

// A1111 runs k-diffusion in float32 on ldm's float64 alphas stored as float32. Near t = 0 that costs
// digits: 1 - alphas_cumprod[0] = 8.5e-4 keeps only what is left of a float32 near 1 (ulp 6e-8), so
// sigma_min is off by ~3e-5 relative there; elsewhere the float32 values are within a few ulp.
void TestSamplers::float32A1111SigmasAreWithinRounding()
{
    const QJsonObject golden = test::loadGolden("schedule").value("a1111_float32").toObject();
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    const double uniform = test::maxRelativeError(uniformSigmas(schedule, 20), test::doubles(golden.value("uniform20")));
    const double karras = test::maxRelativeError(karrasSigmas(schedule.sigmaMin(), schedule.sigmaMax(), 20),
                                                 test::doubles(golden.value("karras20")));
    qInfo("float32 A1111 sigmas: uniform within %.2g, karras within %.2g (relative)", uniform, karras);
    QVERIFY(uniform < 5e-5);
    QVERIFY(karras < 5e-5);
}

void TestSamplers::diffusersTimestepsMatch()
{
    const QJsonObject golden = test::loadGolden("schedule").value("timesteps").toObject();
    QVERIFY(!golden.isEmpty());
    for (const char* spacing : {"leading", "trailing"}) {
        const QJsonObject byCount = golden.value(spacing).toObject();
        for (auto it = byCount.begin(); it != byCount.end(); ++it) {
            const int n = it.key().toInt();
            const auto actual = spacing[0] == 'l' ? leadingTimesteps(n) : trailingTimesteps(n);
            QCOMPARE(actual, test::ints(it.value()));
        }
    }
    const QJsonObject lcm = golden.value("lcm").toObject();
    for (auto it = lcm.begin(); it != lcm.end(); ++it) {
        const QStringList parts = it.key().split('@');
        QCOMPARE(lcmTimesteps(parts[0].toInt(), parts[1].toDouble()), test::ints(it.value()));
    }
}

void TestSamplers::img2imgSkipsStepsLikeTheReferences()
{
    const QJsonObject golden = test::loadGolden("schedule").value("img2img").toObject();
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    // A1111 (Uniform, Karras): t_enc = int(min(strength, 0.999) * steps), t_enc + 1 steps run.
    for (const QJsonValue& v : golden.value("a1111").toArray()) {
        const int steps = v.toArray()[0].toInt();
        const double strength = v.toArray()[1].toDouble();
        const int encode = v.toArray()[2].toInt();
        ASSIGN_OR_FAIL(const SamplingPlan plan, planSampling(schedule, SamplerKind::Euler, ScheduleKind::Uniform, steps, strength));
        const int expectedSteps = strength < 1.0 ? encode + 1 : steps;
        QCOMPARE(int(plan.sigmas.size()) - 1, expectedSteps);
        const auto full = uniformSigmas(schedule, steps);
        QCOMPARE(plan.sigmas.front(), full[size_t(steps - expectedSteps)]);
    }
    // diffusers (Leading, Trailing): min(int(steps * strength), steps) steps run.
    for (const QJsonValue& v : golden.value("diffusers").toArray()) {
        const int steps = v.toArray()[0].toInt();
        const double strength = v.toArray()[1].toDouble();
        const int run = v.toArray()[2].toInt();
        auto plan = planSampling(schedule, SamplerKind::Ddim, ScheduleKind::Leading, steps, strength);
        if (run == 0) {
            QVERIFY(!plan.ok());
            continue;
        }
        QVERIFY(plan.ok());
        QCOMPARE(int(plan->sigmas.size()) - 1, run);
        QCOMPARE(plan->skippedSteps, steps - run);
        QCOMPARE(plan->sigmas.front(), schedule.sigma(leadingTimesteps(steps)[size_t(steps - run)]));
        QCOMPARE(plan->sigmas.back(), schedule.sigmaMin()); // DDIM ends on alphas_cumprod[0]
    }
}

void TestSamplers::badPlansAreErrors()
{
    const NoiseSchedule schedule = NoiseSchedule::scaledLinear();
    QVERIFY(!planSampling(schedule, SamplerKind::Euler, ScheduleKind::Automatic, 0).ok());
    QVERIFY(!planSampling(schedule, SamplerKind::Euler, ScheduleKind::Automatic, 1001).ok());
    QVERIFY(!planSampling(schedule, SamplerKind::Euler, ScheduleKind::Automatic, 20, 0.0).ok());
    QVERIFY(!planSampling(schedule, SamplerKind::Euler, ScheduleKind::Automatic, 20, 1.5).ok());
    const auto lcm = planSampling(schedule, SamplerKind::Lcm, ScheduleKind::Automatic, 30, 0.5);
    QVERIFY(!lcm.ok());
    QVERIFY(lcm.error().message.find("25") != std::string::npos);
    ASSIGN_OR_FAIL(const SamplingPlan karras, planSampling(schedule, SamplerKind::DpmPp2M, ScheduleKind::Automatic, 20));
    QCOMPARE(karras.schedule, ScheduleKind::Karras);
    QCOMPARE(karras.sigmas.size(), size_t(21));
    QCOMPARE(karras.sigmas.back(), 0.0);
}

#include "tst_llm.h"

#include "llm/sampler.h"

#include <cmath>

using namespace atelier;
using namespace atelier::llm;

namespace {

SamplingParams plain(float temperature, uint64_t seed = 1)
{
    SamplingParams p;
    p.temperature = temperature;
    p.topK = 0;
    p.topP = 1.0f;
    p.minP = 0.0f;
    p.repeatPenalty = 1.0f;
    p.seed = seed;
    return p;
}

std::vector<float> logitsOf(std::vector<double> probabilities)
{
    std::vector<float> l;
    for (double p : probabilities)
        l.push_back(float(std::log(p)));
    return l;
}

std::vector<double> frequencies(Sampler& s, const std::vector<float>& logits, int draws)
{
    std::vector<double> f(logits.size(), 0.0);
    for (int i = 0; i < draws; ++i)
        f[size_t(s.sample(logits, {}).value())] += 1.0 / draws;
    return f;
}

} // namespace

void TestLlm::greedyPicksTheLargestLogit()
{
    Sampler s(plain(0.0f));
    const std::vector<float> logits{0.1f, 2.5f, -1.0f, 2.5f, 1.0f};
    QCOMPARE(s.sample(logits, {}).value(), 1); // ties go to the lower id
}

void TestLlm::seedReproducesTokens()
{
    const std::vector<float> logits = logitsOf({0.2, 0.2, 0.2, 0.2, 0.2});
    auto run = [&](uint64_t seed) {
        Sampler s(plain(1.0f, seed));
        std::vector<int32_t> out;
        for (int i = 0; i < 32; ++i)
            out.push_back(s.sample(logits, {}).value());
        return out;
    };
    QCOMPARE(run(42), run(42));
    QVERIFY(run(42) != run(43));
}

void TestLlm::samplesFollowTheDistribution()
{
    Sampler s(plain(1.0f));
    const auto f = frequencies(s, logitsOf({0.5, 0.3, 0.2}), 20000);
    QVERIFY2(std::abs(f[0] - 0.5) < 0.02 && std::abs(f[1] - 0.3) < 0.02 && std::abs(f[2] - 0.2) < 0.02,
             qPrintable(QString("%1 %2 %3").arg(f[0]).arg(f[1]).arg(f[2])));
    // Temperature 2 flattens: p ~ sqrt(p0), renormalised.
    Sampler hot(plain(2.0f));
    const auto h = frequencies(hot, logitsOf({0.64, 0.16, 0.16, 0.04}), 20000);
    QVERIFY(std::abs(h[0] - 0.8 / 1.8) < 0.02 && std::abs(h[3] - 0.2 / 1.8) < 0.02);
}

void TestLlm::topPKeepsTheSmallestNucleus()
{
    SamplingParams p = plain(1.0f);
    p.topP = 0.6f; // 0.5 alone is not enough; 0.5 + 0.3 is
    Sampler s(p);
    const auto f = frequencies(s, logitsOf({0.5, 0.3, 0.2}), 20000);
    QCOMPARE(f[2], 0.0);
    QVERIFY(std::abs(f[0] - 0.625) < 0.02);
}

void TestLlm::minPDropsUnlikelyTokens()
{
    SamplingParams p = plain(1.0f);
    p.minP = 0.5f; // keeps p >= 0.25
    Sampler s(p);
    const auto f = frequencies(s, logitsOf({0.5, 0.3, 0.2}), 5000);
    QCOMPARE(f[2], 0.0);
    QVERIFY(f[1] > 0.3);
}

void TestLlm::topKOneIsGreedy()
{
    SamplingParams p = plain(1.5f);
    p.topK = 1;
    Sampler s(p);
    const std::vector<float> logits{0.3f, 0.1f, 0.9f, 0.8f};
    for (int i = 0; i < 50; ++i)
        QCOMPARE(s.sample(logits, {}).value(), 2);
}

void TestLlm::repeatPenaltyDiscouragesRepeats()
{
    SamplingParams p = plain(0.0f);
    p.repeatPenalty = 1.5f;
    p.repeatLastN = 2;
    Sampler s(p);
    const std::vector<float> logits{1.0f, 1.2f, -0.5f};
    const std::vector<int32_t> recent{0, 1};
    QCOMPARE(s.sample(logits, recent).value(), 1); // both penalised: 0.8 beats 0.67
    QCOMPARE(s.sample(logits, std::vector<int32_t>{1}).value(), 0); // only token 1 penalised: 0.8 < 1.0
    const std::vector<int32_t> old{1, 2, 2};
    QCOMPARE(s.sample(logits, old).value(), 1); // token 1 is outside the last 2
}

void TestLlm::badLogitsAreErrors()
{
    Sampler s(plain(1.0f));
    QVERIFY(!s.sample({}, {}).ok());
    const std::vector<float> nan{0.0f, NAN};
    QVERIFY(!s.sample(nan, {}).ok());
}

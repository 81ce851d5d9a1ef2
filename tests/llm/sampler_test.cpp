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
    QVERIFY(!s.sample(std::span<const float>{}, {}).ok());
    QVERIFY(!s.sample(std::span<const Sampler::Candidate>{}, {}).ok());
    const std::vector<float> nan{0.0f, NAN};
    QVERIFY(!s.sample(nan, {}).ok());
}

void TestLlm::candidatesNeededCoversPenalisedTokens()
{
    SamplingParams p = plain(0.8f);
    p.topK = 40;
    const std::vector<int32_t> history{5, 9, 5, 7, 9, 9};
    QCOMPARE(Sampler(p).candidatesNeeded(history, 256), 40); // no penalty
    p.repeatPenalty = 1.3f;
    QCOMPARE(Sampler(p).candidatesNeeded(history, 256), 43); // 5, 7 and 9 may drop out
    p.repeatLastN = 2;
    QCOMPARE(Sampler(p).candidatesNeeded(history, 256), 41); // only 9
    QCOMPARE(Sampler(p).candidatesNeeded(history, 40), 0);   // more than the device chooses
    p.repeatPenalty = 0.9f;
    QCOMPARE(Sampler(p).candidatesNeeded(history, 256), 0);  // raises tokens: the whole row
    p.repeatPenalty = 1.0f;
    p.topK = 0;
    QCOMPARE(Sampler(p).candidatesNeeded(history, 256), 0);  // top-k off
    p.temperature = 0.0f;
    QCOMPARE(Sampler(p).candidatesNeeded(history, 256), 1);  // greedy
}

void TestLlm::candidatesSampleLikeTheWholeRow()
{
    // A vocabulary-sized row with ties, and a history that penalises some of its largest logits:
    // sampling from the candidates the device would return (the needed count, then a few more, as
    // a threshold leaves) draws exactly the tokens sampling from the whole row draws.
    const size_t vocab = 5000;
    std::vector<float> row(vocab);
    uint64_t state = 7;
    for (float& v : row) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        v = float(int((state >> 33) % 4000) - 2000) / 400.0f; // steps of 0.0025: ties
    }
    std::vector<int32_t> order(vocab);
    for (size_t i = 0; i < vocab; ++i)
        order[i] = int32_t(i);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return row[size_t(a)] > row[size_t(b)] || (row[size_t(a)] == row[size_t(b)] && a < b);
    });
    std::vector<int32_t> history(order.begin(), order.begin() + 30); // the 30 most likely, penalised
    history.insert(history.end(), {17, 4001, 17});

    struct Case {
        float temperature;
        int topK;
        float topP, minP, penalty;
    };
    for (const Case c : {Case{0.0f, 40, 1.0f, 0.0f, 1.0f}, Case{0.0f, 40, 1.0f, 0.0f, 1.5f},
                         Case{0.8f, 40, 0.95f, 0.05f, 1.0f}, Case{1.5f, 40, 1.0f, 0.0f, 1.3f},
                         Case{1.0f, 200, 0.9f, 0.0f, 1.1f}, Case{2.0f, 5, 1.0f, 0.0f, 2.0f}}) {
        SamplingParams p = plain(c.temperature, 11);
        p.topK = c.topK;
        p.topP = c.topP;
        p.minP = c.minP;
        p.repeatPenalty = c.penalty;
        p.repeatLastN = -1;
        Sampler whole(p), fromTop(p);
        const int needed = fromTop.candidatesNeeded(history, 256);
        QVERIFY(needed > 0);
        std::vector<Sampler::Candidate> top;
        for (int i = 0; i < needed + 7; ++i)
            top.push_back({order[size_t(i)], row[size_t(order[size_t(i)])]});
        for (int draw = 0; draw < 200; ++draw) {
            auto a = whole.sample(row, history);
            auto b = fromTop.sample(top, history);
            QVERIFY(a.ok() && b.ok());
            QCOMPARE(b.value(), a.value());
        }
    }
}

#include "tst_llm_ops.h"

#include "ops/top_logits.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

using namespace atelier;

namespace {

// The sampler's order: larger logit first, ties to the lower id. NaNs are left out.
std::vector<ops::TopLogit> sortedReference(const std::vector<float>& logits)
{
    std::vector<ops::TopLogit> all;
    for (size_t i = 0; i < logits.size(); ++i)
        if (!std::isnan(logits[i]))
            all.push_back({int32_t(i), logits[i]});
    std::sort(all.begin(), all.end(), [](const ops::TopLogit& a, const ops::TopLogit& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    });
    return all;
}

Result<ops::TopLogits> runTopLogits(const std::vector<float>& logits, uint32_t k)
{
    vk::Device& dev = *test::testDevice();
    ATELIER_ASSIGN(auto work, ops::TopLogitsWork::create(dev, uint32_t(logits.size())));
    ATELIER_ASSIGN(auto t, ops::Tensor::fromFloats(dev, DType::F32, {1, int64_t(logits.size())}, logits));
    ATELIER_TRY(dev.execute([&](vk::CommandBatch& b) { return ops::topLogits(b, t, k, work); }));
    return ops::readTopLogits(work);
}

} // namespace

void TestLlmOps::topLogits_data()
{
    QTest::addColumn<int>("vocab");
    QTest::addColumn<int>("k");
    QTest::addColumn<int>("shape"); // 0 random, 1 coarse (many ties), 2 mostly -inf, 3 a few NaNs
    QTest::addRow("1 token") << 1 << 1 << 0;
    QTest::addRow("5 tokens, k 40") << 5 << 40 << 0;
    QTest::addRow("300 tokens, k 40") << 300 << 40 << 0;
    QTest::addRow("1000, greedy") << 1000 << 1 << 0;
    QTest::addRow("32000, k 40") << 32000 << 40 << 0;
    QTest::addRow("128256, k 256") << 128256 << 256 << 0;
    QTest::addRow("262144, k 40") << 262144 << 40 << 0;
    QTest::addRow("262144, greedy") << 262144 << 1 << 0;
    QTest::addRow("50000 coarse, k 64") << 50000 << 64 << 1;
    QTest::addRow("1500 mostly -inf, k 100") << 1500 << 100 << 2; // 30 finite: -inf ties fill the rest
    QTest::addRow("70000 with NaNs, k 10") << 70000 << 10 << 3;
}

void TestLlmOps::topLogits()
{
    QFETCH(int, vocab);
    QFETCH(int, k);
    QFETCH(int, shape);
    auto logits = test::randomFloats(size_t(vocab), uint32_t(90 + vocab % 97), -12.0f, 12.0f);
    uint32_t nans = 0;
    for (size_t i = 0; i < logits.size(); ++i) {
        if (shape == 1)
            logits[i] = std::round(logits[i] * 4.0f) / 4.0f; // ~100 distinct values: long runs of ties
        if (shape == 2 && i % 50 != 7)
            logits[i] = -std::numeric_limits<float>::infinity();
        if (shape == 3 && i % 7001 == 3) {
            logits[i] = std::numeric_limits<float>::quiet_NaN();
            ++nans;
        }
    }
    ASSIGN_OR_FAIL(const ops::TopLogits got, runTopLogits(logits, uint32_t(k)));
    const auto expected = sortedReference(logits);
    QVERIFY(!got.overflowed);
    QCOMPARE(got.nans, nans);
    const size_t n = std::min(size_t(k), expected.size());
    QVERIFY2(got.candidates.size() >= n, qPrintable(QString("%1 candidates").arg(got.candidates.size())));
    for (size_t i = 0; i < n; ++i) {
        QCOMPARE(got.candidates[i].id, expected[i].id);
        QCOMPARE(got.candidates[i].logit, expected[i].logit);
    }
    // A threshold, not a sort: a few more than k, never a large share of a large vocabulary.
    if (shape == 0 && vocab > 1000)
        QVERIFY2(got.candidates.size() < 4 * size_t(k) + 16, qPrintable(QString("%1 candidates").arg(got.candidates.size())));
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::topLogitsOverflowWhenAllTie()
{
    // Every logit equal: all are at the threshold, more than the list holds.
    ASSIGN_OR_FAIL(const ops::TopLogits got, runTopLogits(std::vector<float>(20000, 1.5f), 40));
    QVERIFY(got.overflowed);
    QVERIFY(got.candidates.empty());
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::topLogitsRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto work, ops::TopLogitsWork::create(dev, 100));
    ASSIGN_OR_FAIL(auto row, ops::Tensor::create(dev, DType::F32, {1, 100}));
    ASSIGN_OR_FAIL(auto other, ops::Tensor::create(dev, DType::F32, {1, 99}));
    ASSIGN_OR_FAIL(auto half, ops::Tensor::create(dev, DType::F16, {1, 100}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"k 0", [&](vk::CommandBatch& c) { return ops::topLogits(c, row, 0, work); }},
        {"k past the limit", [&](vk::CommandBatch& c) { return ops::topLogits(c, row, ops::kTopLogitsMaxK + 1, work); }},
        {"another vocabulary", [&](vk::CommandBatch& c) { return ops::topLogits(c, other, 1, work); }},
        {"f16", [&](vk::CommandBatch& c) { return ops::topLogits(c, half, 1, work); }},
    };
    for (const auto& [name, call] : cases) {
        const Status s = dev.execute(call);
        QVERIFY2(!s, name);
        QCOMPARE(s.error().code, ErrorCode::InvalidArgument);
    }
    QVERIFY(!ops::TopLogitsWork::create(dev, 0));
    QVERIFY(test::noValidationMessages());
}

#include "tst_llm_ops.h"

#include "ops/attention.h"
#include "ops/attention_inputs.h"
#include "references.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace atelier;

// ops::ropeAndStoreKv against what it replaces in a decode step, on the same device and inputs:
// ops::rope of q (with its norm) in place, ops::rope of k (with its norm), ops::storeKv of k and of v.
// The roped queries agree to 1e-6 and the whole caches (rows outside the new tokens untouched) to
// one f16 unit, bit for bit without norms or with the shared reduction, in one dispatch where the caches fit a binding, one per token window and head group under a low
// binding limit.
void TestLlmOps::ropeAndStoreKv_data()
{
    QTest::addColumn<bool>("neox");
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<int>("nRot");
    QTest::addColumn<uint>("start");
    QTest::addColumn<double>("base");
    QTest::addColumn<bool>("factors");
    QTest::addColumn<int>("norms"); // bit 0: q norm, bit 1: k norm
    QTest::addColumn<int>("reduction"); // 0: the device's, 1: shared memory, 2: 64 lanes with subgroups
    QTest::addColumn<int>("limitKiB"); // 0: the device's binding limit
    QTest::addColumn<int>("dispatches");
    QTest::addRow("llama decode") << false << 1 << 4 << 2 << 64 << 64 << 0u << 1e4 << false << 0 << 0 << 0 << 1;
    QTest::addRow("llama3 factors prompt at 37")
        << false << 5 << 8 << 2 << 128 << 128 << 37u << 5e5 << true << 0 << 0 << 0 << 1;
    QTest::addRow("qwen2 neox gqa 7") << true << 7 << 14 << 2 << 64 << 64 << 3u << 1e6 << false << 0 << 0 << 0 << 1;
    QTest::addRow("gemma3 norms decode at 900")
        << true << 1 << 4 << 1 << 256 << 256 << 900u << 1e6 << false << 3 << 0 << 0 << 1;
    QTest::addRow("gemma3 norms local prompt")
        << true << 9 << 4 << 1 << 256 << 256 << 0u << 1e4 << false << 3 << 0 << 0 << 1;
    QTest::addRow("qwen3 norms shared reduction")
        << true << 3 << 4 << 2 << 128 << 128 << 20u << 1e6 << false << 3 << 1 << 0 << 1;
    QTest::addRow("gemma3 norms 64-lane subgroup reduction")
        << true << 9 << 4 << 1 << 256 << 256 << 30u << 1e6 << false << 3 << 2 << 0 << 1;
    QTest::addRow("normal q norm only nRot 32 of 64")
        << false << 4 << 6 << 3 << 64 << 32 << 11u << 1e4 << false << 1 << 0 << 0 << 1;
    QTest::addRow("neox k norm only d6 nRot 4") << true << 3 << 5 << 5 << 6 << 4 << 7u << 1e4 << false << 2 << 0 << 0 << 1;
    QTest::addRow("prompt of 70 tokens") << false << 70 << 4 << 2 << 64 << 64 << 0u << 1e4 << false << 0 << 0 << 0 << 1;
    // 8 KiB bindings: 5 tokens of 6 query heads of 64 per window (3 windows for 12 tokens), and
    // the caches of 40 rows a head in groups of 2 heads and 1 (2 dispatches per window).
    QTest::addRow("8 KiB bindings") << false << 12 << 6 << 3 << 64 << 64 << 7u << 1e4 << true << 0 << 0 << 8 << 6;
    QTest::addRow("8 KiB bindings with norms") << true << 12 << 6 << 3 << 64 << 64 << 7u << 1e4 << false << 3 << 0 << 8
                                                << 6;
}

void TestLlmOps::ropeAndStoreKv()
{
    QFETCH(bool, neox);
    QFETCH(int, tokens);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(int, headDim);
    QFETCH(int, nRot);
    QFETCH(uint, start);
    QFETCH(double, base);
    QFETCH(bool, factors);
    QFETCH(int, norms);
    QFETCH(int, reduction);
    QFETCH(int, limitKiB);
    QFETCH(int, dispatches);
    vk::Device& dev = *test::testDevice();
    const int capacity = int(start) + tokens + 21;
    const uint64_t limit = uint64_t(limitKiB) << 10;
    const auto qv = test::randomFloats(size_t(tokens * heads * headDim), 80, -3.0f, 3.0f);
    const auto kv = test::randomFloats(size_t(tokens * kvHeads * headDim), 81, -3.0f, 3.0f);
    const auto vv = test::randomFloats(size_t(tokens * kvHeads * headDim), 82, -3.0f, 3.0f);
    const auto cacheStart = test::randomFloats(size_t(kvHeads * capacity * headDim), 83, -1.0f, 1.0f);
    ASSIGN_OR_FAIL(auto ff, ops::Tensor::fromFloats(dev, DType::F32, {nRot / 2}, test::randomFloats(size_t(nRot / 2), 84, 1.0f, 8.0f)));
    ASSIGN_OR_FAIL(auto qNorm, ops::Tensor::fromFloats(dev, DType::F32, {headDim}, test::randomFloats(size_t(headDim), 85, 0.5f, 1.5f)));
    ASSIGN_OR_FAIL(auto kNorm, ops::Tensor::fromFloats(dev, DType::F32, {headDim}, test::randomFloats(size_t(headDim), 86, 0.5f, 1.5f)));

    ops::RopeOptions rope{neox ? ops::RopeLayout::Neox : ops::RopeLayout::Normal, start, uint32_t(nRot), float(base),
                          1.0f, factors ? &ff : nullptr};
    rope.normEps = 1e-6f;
    rope.sharedReduction = reduction == 1;
    struct Outputs {
        std::vector<float> q, kCache, vCache;
        uint32_t dispatches = 0;
    };
    const auto run = [&](bool fused, Outputs& out) {
        ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, DType::F32, {tokens, heads, headDim}, qv));
        ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, DType::F32, {tokens, kvHeads, headDim}, kv));
        ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, DType::F32, {tokens, kvHeads, headDim}, vv));
        ASSIGN_OR_FAIL(auto kCache, ops::Tensor::fromFloats(dev, DType::F16, {kvHeads, capacity, headDim}, cacheStart));
        ASSIGN_OR_FAIL(auto vCache, ops::Tensor::fromFloats(dev, DType::F16, {kvHeads, capacity, headDim}, cacheStart));
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
            if (fused) {
                ops::AttentionInputsOptions o{rope, norms & 1 ? &qNorm : nullptr, norms & 2 ? &kNorm : nullptr, limit,
                                              reduction == 2};
                ATELIER_TRY(ops::ropeAndStoreKv(b, q, k, v, kCache, vCache, o));
            } else {
                ops::RopeOptions r = rope;
                r.normWeight = norms & 1 ? &qNorm : nullptr;
                ATELIER_TRY(ops::rope(b, q, q, r));
                r.normWeight = norms & 2 ? &kNorm : nullptr;
                ATELIER_TRY(ops::rope(b, k, k, r));
                ATELIER_TRY(ops::storeKv(b, k, kCache, start, limit));
                ATELIER_TRY(ops::storeKv(b, v, vCache, start, limit));
            }
            out.dispatches = b.dispatchCount();
            return {};
        }));
        ASSIGN_OR_FAIL(out.q, q.toFloats(dev));
        ASSIGN_OR_FAIL(out.kCache, kCache.toFloats(dev));
        ASSIGN_OR_FAIL(out.vCache, vCache.toFloats(dev));
    };
    Outputs composed, fused;
    run(false, composed);
    if (QTest::currentTestFailed())
        return;
    run(true, fused);
    if (QTest::currentTestFailed())
        return;

    const double dq = test::worstDifference(fused.q, composed.q);
    const double dk = test::halfUnits(fused.kCache, composed.kCache);
    const double dv = test::worstDifference(fused.vCache, composed.vCache);
    qInfo("q %.3g, k cache %.3g f16 units, v cache %.3g; %u dispatches instead of %u", dq, dk, dv, fused.dispatches,
          composed.dispatches);
    QVERIFY2(dq <= 1e-6, qPrintable(QString("q differs by %1").arg(dq)));
    // Without norms, or with the 64-lane reductions rope.comp has, bit for bit; CPU devices sum a norm's squares in
    // another order (one subgroup a row), which can move a key across an f16 rounding boundary.
    QVERIFY2(dk <= 1.0, qPrintable(QString("k cache differs by %1 f16 units").arg(dk)));
    if (!norms || reduction != 0)
        QVERIFY2(dq == 0 && dk == 0, "expected the composition's values bit for bit");
    QCOMPARE(fused.vCache, composed.vCache);
    QCOMPARE(fused.dispatches, uint32_t(dispatches));
    // The new rows really landed: the composed ops changed them from the cache's starting values.
    QVERIFY(composed.vCache != test::roundToHalf(cacheStart));
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::ropeAndStoreKvRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto q, ops::Tensor::create(dev, DType::F32, {2, 4, 8}));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::create(dev, DType::F32, {2, 2, 8}));
    ASSIGN_OR_FAIL(auto v3, ops::Tensor::create(dev, DType::F32, {3, 2, 8}));
    ASSIGN_OR_FAIL(auto cache, ops::Tensor::create(dev, DType::F16, {2, 5, 8}));
    ASSIGN_OR_FAIL(auto cache32, ops::Tensor::create(dev, DType::F32, {2, 5, 8}));
    ASSIGN_OR_FAIL(auto cache3, ops::Tensor::create(dev, DType::F16, {3, 5, 8}));
    ASSIGN_OR_FAIL(auto weight3, ops::Tensor::create(dev, DType::F32, {3}));
    const ops::AttentionInputsOptions plain;
    ops::AttentionInputsOptions late; // rows 4..5 of a 5-row cache
    late.rope.startPosition = 4;
    ops::AttentionInputsOptions badNorm;
    badNorm.keyNorm = &weight3;
    ops::AttentionInputsOptions ropeNorm;
    ropeNorm.rope.normWeight = &weight3;
    ops::AttentionInputsOptions badFactors;
    badFactors.rope.freqFactors = &weight3;
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"v tokens", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, v3, cache, cache, plain); }},
        {"f32 cache", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, k, cache32, cache32, plain); }},
        {"cache heads", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, k, cache3, cache3, plain); }},
        {"past capacity", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, k, cache, cache, late); }},
        {"norm length", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, k, cache, cache, badNorm); }},
        {"rope's norm", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, k, cache, cache, ropeNorm); }},
        {"factor count", [&](vk::CommandBatch& b) { return ops::ropeAndStoreKv(b, q, k, k, cache, cache, badFactors); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
        QVERIFY2(s.error().message.find("ropeAndStoreKv") != std::string::npos, s.error().message.c_str());
    }
    QVERIFY(test::noValidationMessages());
}

// Wall time of a batch of the four ops against the one, Gemma 3 270M's shapes (4 heads, 1 kv head
// of 256, q and k norms), alternating so that load on the machine falls on both alike.
void TestLlmOps::ropeAndStoreKvTimings()
{
    vk::Device& dev = *test::testDevice();
    const int heads = 4, kvHeads = 1, headDim = 256, capacity = 1024;
    ASSIGN_OR_FAIL(auto kCache, ops::Tensor::create(dev, DType::F16, {kvHeads, capacity, headDim}));
    ASSIGN_OR_FAIL(auto vCache, ops::Tensor::create(dev, DType::F16, {kvHeads, capacity, headDim}));
    ASSIGN_OR_FAIL(auto qNorm, ops::Tensor::fromFloats(dev, DType::F32, {headDim}, test::randomFloats(size_t(headDim), 87)));
    ASSIGN_OR_FAIL(auto kNorm, ops::Tensor::fromFloats(dev, DType::F32, {headDim}, test::randomFloats(size_t(headDim), 88)));
    for (const int tokens : {1, 64, 512}) {
        const uint32_t start = tokens == 1 ? 900 : 0;
        ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, DType::F32, {tokens, heads, headDim},
                                                       test::randomFloats(size_t(tokens * heads * headDim), 89)));
        ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, DType::F32, {tokens, kvHeads, headDim},
                                                       test::randomFloats(size_t(tokens * kvHeads * headDim), 90)));
        ASSIGN_OR_FAIL(auto v, ops::Tensor::create(dev, DType::F32, {tokens, kvHeads, headDim}));
        ops::RopeOptions rope{ops::RopeLayout::Neox, start, 0, 1e6f, 1.0f, nullptr};
        std::vector<double> ms[2];
        uint32_t dispatches[2] = {};
        for (int rep = 0; rep < 9; ++rep) {
            for (const bool fused : {false, true}) {
                QElapsedTimer timer;
                timer.start();
                VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
                    if (fused) {
                        ATELIER_TRY(ops::ropeAndStoreKv(b, q, k, v, kCache, vCache, {rope, &qNorm, &kNorm}));
                    } else {
                        ops::RopeOptions r = rope;
                        r.normWeight = &qNorm;
                        ATELIER_TRY(ops::rope(b, q, q, r));
                        r.normWeight = &kNorm;
                        ATELIER_TRY(ops::rope(b, k, k, r));
                        ATELIER_TRY(ops::storeKv(b, k, kCache, start));
                        ATELIER_TRY(ops::storeKv(b, v, vCache, start));
                    }
                    dispatches[fused] = b.dispatchCount();
                    return {};
                }));
                if (rep > 0) // the first run builds the pipelines
                    ms[fused].push_back(double(timer.nsecsElapsed()) / 1e6);
            }
        }
        for (auto& m : ms)
            std::sort(m.begin(), m.end());
        qInfo("%d tokens: rope, rope, storeKv, storeKv %.3f ms; ropeAndStoreKv %.3f ms (medians of 8, wall time)", tokens,
              ms[0][4], ms[1][4]);
        QCOMPARE(dispatches[0], 4u);
        QCOMPARE(dispatches[1], 1u);
    }
    QVERIFY(test::noValidationMessages());
}

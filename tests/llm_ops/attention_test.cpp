#include "tst_llm_ops.h"

#include "ops/attention.h"
#include "references.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace atelier;

namespace {

// Scores are fp32 dot products of at most 256 terms and the softmax and the weighted sums of v
// accumulate in fp32 over at most 4096 rows (relative rounding ~1e-7 per step, growing with the
// square root of the count for random data), exp is within a few ulp, and k and v are the same
// f16 values on both sides; 1e-4 of the largest output leaves a wide margin (measured below 1e-5)
// while a wrong mask, scale or row would be off by far more.
constexpr double kTolerance = 1e-4;

struct AttentionRun {
    std::vector<float> got, expected;
    uint32_t dispatches = 0;
};

// Random q, k and v (k, v rounded to f16 for the reference); cache rows past kvLength hold large
// values that would show if read.
void runAttention(const test::AttentionCase& c, const ops::AttentionOptions& options, bool workspace, AttentionRun& run)
{
    vk::Device& dev = *test::testDevice();
    const size_t cacheSize = size_t(c.kvHeads) * c.capacity * c.headDim;
    const auto qv = test::randomFloats(size_t(c.tokens) * c.heads * c.headDim, 40, -2.0f, 2.0f);
    auto kv = test::roundToHalf(test::randomFloats(cacheSize, 41));
    auto vv = test::roundToHalf(test::randomFloats(cacheSize, 42));
    for (int h = 0; h < c.kvHeads; ++h) {
        const auto first = size_t(h) * c.capacity * c.headDim;
        std::fill(kv.begin() + first + c.kvLength * c.headDim, kv.begin() + first + c.capacity * c.headDim, 60.0f);
        std::fill(vv.begin() + first + c.kvLength * c.headDim, vv.begin() + first + c.capacity * c.headDim, 1e4f);
    }
    run.expected = test::attentionReference(qv, kv, vv, c);

    ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, DType::F32, {c.tokens, c.heads, c.headDim}, qv));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, DType::F16, {c.kvHeads, c.capacity, c.headDim}, kv));
    ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, DType::F16, {c.kvHeads, c.capacity, c.headDim}, vv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {c.tokens, c.heads, c.headDim}));
    ops::Tensor ws;
    if (workspace) {
        ASSIGN_OR_FAIL(ws, ops::Tensor::create(dev, DType::F32,
                                           {ops::attentionWorkspaceElements(c.tokens, c.heads, c.headDim)}));
    }
    ops::AttentionOptions o = options;
    o.workspace = workspace ? &ws : nullptr;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        const Status s = ops::attention(batch, q, k, v, out, o);
        run.dispatches = batch.dispatchCount();
        return s;
    }));
    ASSIGN_OR_FAIL(run.got, out.toFloats(dev));
}

} // namespace

void TestLlmOps::attention_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<uint>("start");
    QTest::addColumn<uint>("kvLength"); // 0: start + tokens
    QTest::addColumn<uint>("window");
    QTest::addColumn<double>("scale");  // 0: 1 / sqrt(headDim)
    QTest::addColumn<double>("softCap");
    QTest::addColumn<bool>("causal");
    // -1: no workspace; 0: chosen (CPU devices take attention_rows.comp then); > 0: that many.
    QTest::addColumn<int>("splits");
    // Decoding: one query token (or a few) against the cache.
    QTest::addRow("decode d64 kv 1") << 1 << 2 << 2 << 64 << 0u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("decode d64 gqa 7 kv 7 (qwen2.5 0.5b)") << 1 << 14 << 2 << 64 << 6u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("decode d128 gqa 2 kv 100") << 1 << 4 << 2 << 128 << 99u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("decode d128 gqa 4 kv 1000") << 1 << 8 << 2 << 128 << 999u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("decode d128 gqa 8 kv 1000 one split")
        << 1 << 8 << 1 << 128 << 999u << 0u << 0u << 0.0 << 0.0 << true << -1;
    QTest::addRow("decode d256 gqa 4 kv 1000 window 512 scale")
        << 1 << 4 << 1 << 256 << 999u << 0u << 512u << 0.09 << 0.0 << true << 0;
    QTest::addRow("decode d256 gqa 4 kv 4096 (gemma3 270m)")
        << 1 << 4 << 1 << 256 << 4095u << 0u << 0u << 0.0625 << 0.0 << true << 0;
    QTest::addRow("decode d64 soft cap 5 splits 5") << 1 << 4 << 4 << 64 << 700u << 0u << 0u << 1.0 << 5.0 << true << 5;
    QTest::addRow("decode 3 tokens gqa 4 window 100") << 3 << 8 << 2 << 128 << 500u << 0u << 100u << 0.0 << 0.0 << true << 0;
    QTest::addRow("decode 2 tokens with later rows in the cache")
        << 2 << 4 << 2 << 64 << 40u << 60u << 0u << 0.0 << 0.0 << true << 3;
    // Prompts: many query tokens.
    QTest::addRow("prompt d64 7 tokens") << 7 << 2 << 2 << 64 << 0u << 0u << 0u << 0.0 << 0.0 << true << -1;
    QTest::addRow("prompt d64 gqa 2 100 tokens") << 100 << 4 << 2 << 64 << 0u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("prompt d128 gqa 4 100 tokens at 900")
        << 100 << 8 << 2 << 128 << 900u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("prompt d256 gqa 4 37 tokens at 63 window 32")
        << 37 << 4 << 1 << 256 << 63u << 0u << 32u << 0.0625 << 0.0 << true << 0;
    QTest::addRow("prompt d128 gqa 8 33 tokens") << 33 << 8 << 1 << 128 << 0u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("prompt d64 1000 tokens") << 1000 << 2 << 1 << 64 << 0u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("prompt d256 gqa 4 512 tokens") << 512 << 4 << 1 << 256 << 0u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("prompt d96 gqa 3 13 tokens at 5") << 13 << 6 << 2 << 96 << 5u << 0u << 0u << 0.0 << 0.0 << true << 0;
    QTest::addRow("prompt d128 soft cap 20") << 20 << 4 << 4 << 128 << 10u << 0u << 0u << 0.2 << 20.0 << true << 0;
    QTest::addRow("prompt not causal 16 tokens kv 100")
        << 16 << 2 << 2 << 64 << 0u << 100u << 0u << 0.0 << 0.0 << false << 0;
    // A picture's tokens on Gemma 3's local layers: both ways, but not before the window.
    QTest::addRow("picture not causal 16 tokens at 30 window 24")
        << 16 << 4 << 2 << 32 << 30u << 46u << 24u << 0.0 << 0.0 << false << 0;
    QTest::addRow("picture not causal 256 tokens at 900 window 512 d256")
        << 256 << 8 << 4 << 256 << 900u << 1156u << 512u << 0.0625 << 0.0 << false << -1;
}

void TestLlmOps::attention()
{
    QFETCH(int, tokens);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(int, headDim);
    QFETCH(uint, start);
    QFETCH(uint, kvLength);
    QFETCH(uint, window);
    QFETCH(double, scale);
    QFETCH(double, softCap);
    QFETCH(bool, causal);
    QFETCH(int, splits);
    const uint32_t length = kvLength ? kvLength : start + uint32_t(tokens);
    const float s = scale != 0.0 ? float(scale) : float(1.0 / std::sqrt(double(headDim)));
    const test::AttentionCase c{tokens, heads,  kvHeads, headDim, int(length) + 3, start, length,
                                window, causal, double(s), double(float(softCap))};
    ops::AttentionOptions o;
    o.startPosition = start;
    o.kvLength = length;
    o.causal = causal;
    o.window = window;
    o.scale = float(scale);
    o.softCap = float(softCap);
    o.splits = uint32_t(std::max(splits, 0));
    AttentionRun run;
    runAttention(c, o, splits >= 0, run);
    if (QTest::currentTestFailed())
        return;
    const double err = test::normalisedError(run.got, run.expected);
    qInfo("error %.3g", err);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

// A cache and queries larger than the (lowered) binding limit: one dispatch per kv head and per
// block of tokens, each binding a window.
void TestLlmOps::attentionPerHeadWindows()
{
    const test::AttentionCase c{50, 8, 4, 64, 300, 200, 250, 0, true, 0.125, 0.0};
    ops::AttentionOptions o;
    o.startPosition = 200;
    o.kvLength = 250;
    o.maxBindingBytes = 64 << 10;
    AttentionRun run;
    runAttention(c, o, false, run);
    if (QTest::currentTestFailed())
        return;
    const double err = test::normalisedError(run.got, run.expected);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QCOMPARE(run.dispatches, 8u); // 4 kv heads x 2 blocks of tokens
    QVERIFY(test::noValidationMessages());
}

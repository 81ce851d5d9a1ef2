#include "tst_llm_ops.h"

#include "ops/attention.h"
#include "references.h"

#include <QElapsedTimer>

#include <algorithm>
#include <cmath>
#include <functional>

using namespace atelier;

namespace {

constexpr double kTolerance = 1e-4; // as in attention_test.cpp

// Largest |a - b| in units of the f16 spacing at b (0 when the kernel rounds as the host does).
double halfUlps(const std::vector<float>& a, const std::vector<float>& b)
{
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double ulp = std::ldexp(1.0, std::max(std::ilogb(std::max(std::fabs(b[i]), 6.1e-5f)), -14) - 10);
        worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / ulp);
    }
    return worst;
}

} // namespace

// Rows land at their positions in every head, as f16, and nothing else in the cache changes;
// a low binding limit makes it one dispatch per head.
void TestLlmOps::storeKv()
{
    vk::Device& dev = *test::testDevice();
    const int tokens = 5, heads = 3, headDim = 64, capacity = 40;
    const uint32_t start = 7;
    const auto xv = test::randomFloats(size_t(tokens * heads * headDim), 50, -3.0f, 3.0f);
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {tokens, heads, headDim}, xv));
    for (uint64_t limit : {uint64_t(0), uint64_t(8) << 10}) {
        std::vector<float> sentinel(size_t(heads * capacity * headDim), 7.0f);
        ASSIGN_OR_FAIL(auto cache, ops::Tensor::fromFloats(dev, DType::F16, {heads, capacity, headDim}, sentinel));
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::storeKv(b, x, cache, start, limit); }));
        ASSIGN_OR_FAIL(auto got, cache.toFloats(dev));
        std::vector<float> stored, expected;
        for (int h = 0; h < heads; ++h) {
            for (int p = 0; p < capacity; ++p) {
                for (int d = 0; d < headDim; ++d) {
                    const float value = got[(size_t(h) * capacity + p) * headDim + d];
                    if (p < int(start) || p >= int(start) + tokens) {
                        QCOMPARE(value, 7.0f);
                        continue;
                    }
                    stored.push_back(value);
                    expected.push_back(xv[(size_t(p - start) * heads + h) * headDim + d]);
                }
            }
        }
        // f16 conversion rounds to nearest on every device we know; allow one unit either way.
        QVERIFY2(halfUlps(stored, expected) <= 1.0, qPrintable(QString("%1 ulp").arg(halfUlps(stored, expected))));
    }
    QVERIFY(test::noValidationMessages());
}

// A Gemma 3 270M local layer: the prompt's rows are stored and attended in one batch, then one
// decoded token appended and attended with kv splits; references use the cache as stored.
void TestLlmOps::attentionPrefillThenDecode()
{
    vk::Device& dev = *test::testDevice();
    const int prompt = 40, heads = 4, kvHeads = 1, headDim = 256, capacity = 64;
    const uint32_t window = 16;
    const auto shapeOf = [&](int tokens, int h) { return std::vector<int64_t>{tokens, h, headDim}; };
    ASSIGN_OR_FAIL(auto kCache, ops::Tensor::create(dev, DType::F16, {kvHeads, capacity, headDim}));
    ASSIGN_OR_FAIL(auto vCache, ops::Tensor::create(dev, DType::F16, {kvHeads, capacity, headDim}));
    ASSIGN_OR_FAIL(auto ws, ops::Tensor::create(dev, DType::F32, {ops::attentionWorkspaceElements(1, heads, headDim)}));
    for (const int step : {0, 1}) {
        const int tokens = step == 0 ? prompt : 1;
        const uint32_t start = step == 0 ? 0 : prompt;
        const auto qv = test::randomFloats(size_t(tokens * heads * headDim), 60 + step, -2.0f, 2.0f);
        const auto kNew = test::randomFloats(size_t(tokens * kvHeads * headDim), 62 + step);
        const auto vNew = test::randomFloats(size_t(tokens * kvHeads * headDim), 64 + step);
        ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, DType::F32, shapeOf(tokens, heads), qv));
        ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, DType::F32, shapeOf(tokens, kvHeads), kNew));
        ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, DType::F32, shapeOf(tokens, kvHeads), vNew));
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, shapeOf(tokens, heads)));
        ops::AttentionOptions o;
        o.startPosition = start;
        o.window = window;
        o.workspace = &ws;
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
            ATELIER_TRY(ops::storeKv(b, k, kCache, start));
            ATELIER_TRY(ops::storeKv(b, v, vCache, start));
            return ops::attention(b, q, kCache, vCache, out, o);
        }));
        ASSIGN_OR_FAIL(auto kv, kCache.toFloats(dev));
        ASSIGN_OR_FAIL(auto vv, vCache.toFloats(dev));
        const test::AttentionCase c{tokens, heads, kvHeads, headDim, capacity, start, start + uint32_t(tokens),
                                    window, true,  1.0 / 16,   0.0};
        ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
        const double err = test::normalisedError(got, test::attentionReference(qv, kv, vv, c));
        QVERIFY2(err <= kTolerance, qPrintable(QString("step %1: error %2").arg(step).arg(err)));
    }
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::attentionRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto q, ops::Tensor::create(dev, DType::F32, {2, 4, 64}));
    ASSIGN_OR_FAIL(auto q16, ops::Tensor::create(dev, DType::F16, {2, 4, 64}));
    ASSIGN_OR_FAIL(auto q3heads, ops::Tensor::create(dev, DType::F32, {2, 3, 64}));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::create(dev, DType::F16, {2, 10, 64}));
    ASSIGN_OR_FAIL(auto k32, ops::Tensor::create(dev, DType::F32, {2, 10, 64}));
    ASSIGN_OR_FAIL(auto kShort, ops::Tensor::create(dev, DType::F16, {2, 9, 64}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {2, 4, 64}));
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {3, 2, 64}));
    ops::AttentionOptions late;
    late.startPosition = 9; // needs rows 9 and 10 of 10
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"f16 q", [&](vk::CommandBatch& c) { return ops::attention(c, q16, k, k, out); }},
        {"f32 k", [&](vk::CommandBatch& c) { return ops::attention(c, q, k32, k32, out); }},
        {"k and v differ", [&](vk::CommandBatch& c) { return ops::attention(c, q, k, kShort, out); }},
        {"heads not a multiple", [&](vk::CommandBatch& c) { return ops::attention(c, q3heads, k, k, q3heads); }},
        {"rows past the cache", [&](vk::CommandBatch& c) { return ops::attention(c, q, k, k, out, late); }},
        {"store past the cache", [&](vk::CommandBatch& c) { return ops::storeKv(c, x, k, 8); }},
        {"store f32 cache", [&](vk::CommandBatch& c) { return ops::storeKv(c, x, k32, 0); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    ASSIGN_OR_FAIL(auto qWide, ops::Tensor::create(dev, DType::F32, {1, 1, 260}));
    ASSIGN_OR_FAIL(auto kWide, ops::Tensor::create(dev, DType::F16, {1, 4, 260}));
    const Status wide = dev.execute([&](vk::CommandBatch& c) { return ops::attention(c, qWide, kWide, kWide, qWide); });
    QVERIFY(!wide.ok());
    QCOMPARE(int(wide.error().code), int(ErrorCode::Unsupported));
    QVERIFY(test::noValidationMessages());
}

// Wall time of Gemma 3 270M-shaped attention (headDim 256, 4 heads, 1 kv head): decoding at kv
// length 4096 with and without kv splits, and a 512-token prompt. Reported, not asserted.
void TestLlmOps::attentionTimings()
{
    vk::Device& dev = *test::testDevice();
    const int heads = 4, headDim = 256, capacity = 4096;
    const auto cache = test::randomFloats(size_t(capacity * headDim), 70);
    ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, DType::F16, {1, capacity, headDim}, cache));
    ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, DType::F16, {1, capacity, headDim}, cache));
    ASSIGN_OR_FAIL(auto ws, ops::Tensor::create(dev, DType::F32, {ops::attentionWorkspaceElements(1, heads, headDim)}));
    struct Shape {
        const char* name;
        int tokens;
        uint32_t start;
        bool split;
    };
    for (const Shape& s : {Shape{"decode at 4096, kv splits", 1, 4095, true}, Shape{"decode at 4096, one split", 1, 4095, false},
                           Shape{"prompt of 512", 512, 0, false}}) {
        const auto qv = test::randomFloats(size_t(s.tokens * heads * headDim), 71);
        ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, DType::F32, {s.tokens, heads, headDim}, qv));
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {s.tokens, heads, headDim}));
        ops::AttentionOptions o;
        o.startPosition = s.start;
        o.workspace = s.split ? &ws : nullptr;
        std::vector<double> ms;
        for (int rep = 0; rep < 4; ++rep) {
            QElapsedTimer timer;
            timer.start();
            VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::attention(b, q, k, v, out, o); }));
            if (rep > 0) // the first run builds the pipeline
                ms.push_back(double(timer.nsecsElapsed()) / 1e6);
        }
        std::sort(ms.begin(), ms.end());
        qInfo("attention %s: %.2f ms (median of 3, wall time)", s.name, ms[1]);
        ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
        QVERIFY(std::all_of(got.begin(), got.end(), [](float f) { return std::isfinite(f); }));
    }
    QVERIFY(test::noValidationMessages());
}

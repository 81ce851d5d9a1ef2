#include "tst_diffusion_ops.h"

#include "ops/sequence_attention.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// fp32 online softmax and sums; f16 outputs round to 2^-11.
constexpr double kToleranceF32 = 2e-6;
constexpr double kToleranceF16 = 1e-3;

} // namespace

void TestDiffusionOps::attention_data()
{
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("nq");
    QTest::addColumn<int>("nk");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<bool>("f16");
    QTest::addColumn<bool>("causal");
    QTest::addColumn<int>("maxBindingBytes");
    QTest::addColumn<int>("workspaceQueries"); // 0: none; else queries a workspace holds (-1: all)
    QTest::addRow("self, 3 heads of 40") << 2 << 37 << 37 << 3 << 40 << false << false << 0 << 0;
    QTest::addRow("cross 77, 2 heads of 64") << 2 << 50 << 77 << 2 << 64 << false << false << 0 << 0;
    QTest::addRow("cross 77 f16, heads of 80") << 1 << 64 << 77 << 2 << 80 << true << false << 0 << 0;
    QTest::addRow("self f16, heads of 160") << 2 << 33 << 33 << 1 << 160 << true << false << 0 << 0;
    QTest::addRow("self f32, heads of 160") << 1 << 40 << 40 << 2 << 160 << false << false << 0 << 0;
    QTest::addRow("one key") << 1 << 9 << 1 << 2 << 40 << false << false << 0 << 0;
    QTest::addRow("clip causal 77, heads of 64") << 1 << 77 << 77 << 2 << 64 << false << true << 0 << 0;
    QTest::addRow("query windows") << 2 << 100 << 20 << 3 << 40 << false << false << 20 * 480 + 256 << 0;
    QTest::addRow("query windows f16") << 2 << 90 << 16 << 2 << 64 << true << false << 16 * 256 + 256 << 0;
    // With a workspace: on CPU devices the passes of attention_tokens_rows.comp.
    QTest::addRow("rows: self, 3 heads of 40") << 2 << 37 << 37 << 3 << 40 << false << false << 0 << -1;
    QTest::addRow("rows: cross 77, 2 heads of 64") << 2 << 50 << 77 << 2 << 64 << false << false << 0 << -1;
    QTest::addRow("rows: heads of 160, 7 queries at a time") << 1 << 40 << 40 << 2 << 160 << false << false << 0 << 7;
    QTest::addRow("rows: one key") << 1 << 9 << 1 << 2 << 40 << false << false << 0 << -1;
    QTest::addRow("rows: clip causal 77, 10 queries at a time") << 1 << 77 << 77 << 2 << 64 << false << true << 0 << 10;
    QTest::addRow("rows: query windows") << 2 << 100 << 20 << 3 << 40 << false << false << 20 * 480 + 256 << -1;
}

void TestDiffusionOps::attention()
{
    QFETCH(int, batch);
    QFETCH(int, nq);
    QFETCH(int, nk);
    QFETCH(int, heads);
    QFETCH(int, headDim);
    QFETCH(bool, f16);
    QFETCH(bool, causal);
    QFETCH(int, maxBindingBytes);
    QFETCH(int, workspaceQueries);
    vk::Device& dev = *test::testDevice();
    const DType dt = f16 ? DType::F16 : DType::F32;
    const size_t row = size_t(heads) * headDim;
    // Spread scores (|q.k| / sqrt(d) up to ~3) so the softmax is far from uniform.
    const auto qv = test::stored(dt, test::randomFloats(size_t(batch) * nq * row, 51, -1.5f, 1.5f));
    const auto kv = test::stored(dt, test::randomFloats(size_t(batch) * nk * row, 52, -1.5f, 1.5f));
    const auto vv = test::stored(dt, test::randomFloats(size_t(batch) * nk * row, 53));
    const auto expected = test::sequenceAttentionReference(qv, kv, vv, batch, nq, nk, heads, headDim, causal);
    ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, dt, {batch, nq, heads, headDim}, qv));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, dt, {batch, nk, heads, headDim}, kv));
    ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, dt, {batch, nk, heads, headDim}, vv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, dt, {batch, nq, heads, headDim}));
    ops::SequenceAttentionOptions o;
    o.causal = causal;
    o.maxBindingBytes = uint64_t(maxBindingBytes);
    ops::Tensor workspace;
    if (workspaceQueries != 0) {
        const int queries = workspaceQueries < 0 ? nq : workspaceQueries;
        ASSIGN_OR_FAIL(workspace, ops::Tensor::create(dev, DType::F32,
                                                      {ops::sequenceAttentionWorkspaceElements(queries, nk, heads)}));
        o.workspace = &workspace;
    }
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::sequenceAttention(b, q, k, v, out, o); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g", err);
    QVERIFY2(err <= (f16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::attentionRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto q, ops::Tensor::create(dev, DType::F32, {1, 8, 2, 40}));
    ASSIGN_OR_FAIL(auto q16, ops::Tensor::create(dev, DType::F16, {1, 8, 2, 40}));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::create(dev, DType::F32, {1, 5, 2, 40}));
    ASSIGN_OR_FAIL(auto k3, ops::Tensor::create(dev, DType::F32, {1, 5, 3, 40}));
    ops::SequenceAttentionOptions causal;
    causal.causal = true;
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"mixed dtypes", [&](vk::CommandBatch& b) { return ops::sequenceAttention(b, q16, k, k, q16); }},
        {"heads differ", [&](vk::CommandBatch& b) { return ops::sequenceAttention(b, q, k3, k3, q); }},
        {"causal cross", [&](vk::CommandBatch& b) { return ops::sequenceAttention(b, q, k, k, q, causal); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

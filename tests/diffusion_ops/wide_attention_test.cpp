#include "tst_diffusion_ops.h"

#include "ops/wide_attention.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// fp32 matmul sums over up to 512 channels and a stored softmax (measured on lavapipe: 1.9e-6 at
// 512 wide); f16 q, k, v and outputs round to 2^-11 (measured 4.3e-4), the f16 transposed values
// add no rounding of their own.
constexpr double kToleranceF32 = 1e-5;
constexpr double kToleranceF16 = 1e-3;

} // namespace

void TestDiffusionOps::wideAttention_data()
{
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<bool>("f16");
    QTest::addRow("VAE head of 512, 37 tokens") << 37 << 512 << false;
    QTest::addRow("f16, 100 tokens of 512") << 100 << 512 << true;
    QTest::addRow("head of 260, 64 tokens") << 64 << 260 << false;
    QTest::addRow("9 tokens (matrix-vector)") << 9 << 512 << false;
    QTest::addRow("one token f16") << 1 << 32 << true;
}

void TestDiffusionOps::wideAttention()
{
    QFETCH(int, n);
    QFETCH(int, headDim);
    QFETCH(bool, f16);
    vk::Device& dev = *test::testDevice();
    const DType dt = f16 ? DType::F16 : DType::F32;
    const size_t count = size_t(n) * headDim;
    // |q.k| / sqrt(d) spread to a few units, so the softmax is far from uniform.
    const auto qv = test::stored(dt, test::randomFloats(count, 61, -2.0f, 2.0f));
    const auto kv = test::stored(dt, test::randomFloats(count, 62, -2.0f, 2.0f));
    const auto vv = test::stored(dt, test::randomFloats(count, 63));
    const auto expected = test::sequenceAttentionReference(qv, kv, vv, 1, n, n, 1, headDim, false);
    ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, dt, {1, n, headDim}, qv));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, dt, {1, n, headDim}, kv));
    ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, dt, {1, n, headDim}, vv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, dt, {1, n, headDim}));
    ASSIGN_OR_FAIL(auto scratch, ops::WideAttentionScratch::create(dev, n, headDim, dt));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::wideAttention(b, q, k, v, out, scratch); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g", err);
    QVERIFY2(err <= (f16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::wideAttentionRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto q, ops::Tensor::create(dev, DType::F32, {1, 8, 512}));
    ASSIGN_OR_FAIL(auto q16, ops::Tensor::create(dev, DType::F16, {1, 8, 512}));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::create(dev, DType::F32, {1, 5, 512}));
    ASSIGN_OR_FAIL(auto scratch, ops::WideAttentionScratch::create(dev, 8, 512, DType::F32));
    ASSIGN_OR_FAIL(auto other, ops::WideAttentionScratch::create(dev, 6, 512, DType::F32));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"mixed dtypes", [&](vk::CommandBatch& b) { return ops::wideAttention(b, q16, q, q, q16, scratch); }},
        {"lengths differ", [&](vk::CommandBatch& b) { return ops::wideAttention(b, q, k, k, q, scratch); }},
        {"wrong scratch", [&](vk::CommandBatch& b) { return ops::wideAttention(b, q, q, q, q, other); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

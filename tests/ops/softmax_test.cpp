#include "tst_ops.h"

#include "ops/softmax.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// exp is accurate to a few ulp in fp32 and the sums accumulate in fp32 over at most 4097 terms.
// Large-magnitude rows use scales that are powers of two, so x * scale is exact and the only
// error is the kernel's own (an inexact scale on |x| ~ 1000 alone costs ~1e-5 to fp32 rounding).
constexpr double kTolerance = 1e-5;

} // namespace

void TestOps::softmax_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    QTest::addColumn<float>("scale");
    QTest::addColumn<float>("center");
    QTest::addColumn<float>("spread");
    QTest::addColumn<int>("kernel"); // 0: the device's, 1: shared-memory reduction, 2: a row per invocation
    for (int n : {1, 7, 256, 1000, 4097}) {
        const int rows = n <= 256 ? 33 : 5;
        QTest::addRow("n=%d", n) << rows << n << 1.0f << 0.0f << 4.0f << 0;
        QTest::addRow("n=%d scale 0.3", n) << rows << n << 0.3f << 0.0f << 4.0f << 0;
        QTest::addRow("n=%d around +1000", n) << rows << n << 1.0f << 1000.0f << 5.0f << 0;
        QTest::addRow("n=%d around -1000 scale 0.125", n) << rows << n << 0.125f << -1000.0f << 40.0f << 0;
        QTest::addRow("n=%d spread 1e4", n) << rows << n << 1.0f << 0.0f << 1e4f << 0;
        QTest::addRow("n=%d shared-reduction", n) << rows << n << 0.3f << 0.0f << 4.0f << 1;
        QTest::addRow("n=%d around +1000 shared-reduction", n) << rows << n << 1.0f << 1000.0f << 5.0f << 1;
        if (n % 4 == 0) {
            QTest::addRow("n=%d row per invocation", n) << rows << n << 0.3f << 0.0f << 4.0f << 2;
            QTest::addRow("n=%d around -1000 row per invocation", n) << rows << n << 0.125f << -1000.0f << 40.0f << 2;
        }
    }
}

void TestOps::softmax()
{
    QFETCH(int, rows);
    QFETCH(int, n);
    QFETCH(float, scale);
    QFETCH(float, center);
    QFETCH(float, spread);
    QFETCH(int, kernel);
    vk::Device& dev = *test::testDevice();
    const auto xv = test::randomFloats(size_t(rows * n), 21, center - spread, center + spread);
    const auto expected = test::softmaxReference(xv, n, scale);
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, xv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {rows, n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { 
        ops::SoftmaxOptions o;
        o.scale = scale;
        o.sharedReduction = kernel == 1;
        o.rowPerInvocation = kernel == 2;
        return ops::softmax(batch, x, out, o);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestOps::softmaxInPlace()
{
    vk::Device& dev = *test::testDevice();
    const int rows = 6, n = 1000;
    const auto xv = test::randomFloats(size_t(rows * n), 22, -8.0f, 8.0f);
    const auto expected = test::softmaxReference(xv, n, 0.5);
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, xv));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::softmax(batch, x, x, {0.5f}); }));
    ASSIGN_OR_FAIL(auto got, x.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestOps::softmaxRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {4, 6}));
    ASSIGN_OR_FAIL(auto flat, ops::Tensor::create(dev, DType::F32, {24}));
    ASSIGN_OR_FAIL(auto x16, ops::Tensor::create(dev, DType::F16, {4, 6}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"output shape", [&](vk::CommandBatch& c) { return ops::softmax(c, x, flat); }},
        {"f16 input", [&](vk::CommandBatch& c) { return ops::softmax(c, x16, x16); }},
        {"f16 output", [&](vk::CommandBatch& c) { return ops::softmax(c, x, x16); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

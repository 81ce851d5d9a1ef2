#include "tst_ops.h"

#include "ops/rmsnorm.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// One fp32 sum of squares over at most 4097 terms, inversesqrt (2 ulp) and two products. f16
// weights are compared with a reference on the same rounded weights.
constexpr double kTolerance = 1e-5;

} // namespace

void TestOps::rmsnorm_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("half");
    QTest::addColumn<float>("magnitude");
    QTest::addColumn<bool>("shared");
    for (int n : {1, 7, 255, 257, 1000, 4097})
        for (bool half : {false, true}) {
            const char* type = half ? "f16" : "f32";
            QTest::addRow("n=%d %s weight", n, type) << 9 << n << half << 1.0f << false;
            QTest::addRow("n=%d %s weight, |x| ~ 1000", n, type) << 9 << n << half << 1000.0f << false;
            QTest::addRow("n=%d %s weight shared-reduction", n, type) << 9 << n << half << 1.0f << true;
        }
}

void TestOps::rmsnorm()
{
    QFETCH(int, rows);
    QFETCH(int, n);
    QFETCH(bool, half);
    QFETCH(float, magnitude);
    QFETCH(bool, shared);
    vk::Device& dev = *test::testDevice();
    const float eps = 1e-5f;
    const auto xv = test::randomFloats(size_t(rows * n), 31, -magnitude, magnitude);
    auto wv = test::randomFloats(size_t(n), 32, 0.5f, 1.5f);
    if (half)
        wv = test::roundToHalf(std::move(wv));
    const auto expected = test::rmsnormReference(xv, wv, eps);
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, xv));
    ASSIGN_OR_FAIL(auto w, ops::Tensor::fromFloats(dev, half ? DType::F16 : DType::F32, {n}, wv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {rows, n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::rmsnorm(batch, x, w, out, {eps, shared}); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestOps::rmsnormRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {4, 6}));
    ASSIGN_OR_FAIL(auto x16, ops::Tensor::create(dev, DType::F16, {4, 6}));
    ASSIGN_OR_FAIL(auto w, ops::Tensor::create(dev, DType::F32, {6}));
    ASSIGN_OR_FAIL(auto w5, ops::Tensor::create(dev, DType::F32, {5}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {4, 6}));
    ASSIGN_OR_FAIL(auto outWrong, ops::Tensor::create(dev, DType::F32, {6, 4}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"weight length", [&](vk::CommandBatch& c) { return ops::rmsnorm(c, x, w5, out); }},
        {"output shape", [&](vk::CommandBatch& c) { return ops::rmsnorm(c, x, w, outWrong); }},
        {"f16 input", [&](vk::CommandBatch& c) { return ops::rmsnorm(c, x16, w, out); }},
        {"negative eps", [&](vk::CommandBatch& c) { return ops::rmsnorm(c, x, w, out, {-1.0f}); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

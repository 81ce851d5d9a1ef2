#include "tst_ops.h"

#include "ops/residual_norm.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// Two fp32 sums of squares over at most 4097 terms and a handful of products (rmsnorm's budget).
constexpr double kTolerance = 1e-5;

} // namespace

void TestOps::residualNorm_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("postNorm");
    QTest::addColumn<bool>("shared");
    for (int n : {1, 7, 640, 1000, 4097})
        for (bool post : {false, true}) {
            QTest::addRow("n=%d%s", n, post ? " post-norm" : "") << 5 << n << post << false;
            QTest::addRow("n=%d%s shared-reduction", n, post ? " post-norm" : "") << 5 << n << post << true;
        }
}

// x += [rmsnorm(y) * post]; xn = rmsnorm(x) * next, against rmsnormReference and a plain add.
void TestOps::residualNorm()
{
    QFETCH(int, rows);
    QFETCH(int, n);
    QFETCH(bool, postNorm);
    QFETCH(bool, shared);
    vk::Device& dev = *test::testDevice();
    const float eps = 1e-6f;
    const size_t count = size_t(rows) * size_t(n);
    const auto xv = test::randomFloats(count, 41, -3.0f, 3.0f);
    const auto yv = test::randomFloats(count, 42, -5.0f, 5.0f);
    const auto postv = test::randomFloats(size_t(n), 43, 0.5f, 1.5f);
    const auto nextv = test::randomFloats(size_t(n), 44, 0.5f, 1.5f);
    const auto added = postNorm ? test::rmsnormReference(yv, postv, eps) : yv;
    std::vector<float> expectedX(count);
    for (size_t i = 0; i < count; ++i)
        expectedX[i] = xv[i] + added[i];
    const auto expectedXn = test::rmsnormReference(expectedX, nextv, eps);

    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, xv));
    ASSIGN_OR_FAIL(auto y, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, yv));
    ASSIGN_OR_FAIL(auto post, ops::Tensor::fromFloats(dev, DType::F32, {n}, postv));
    ASSIGN_OR_FAIL(auto next, ops::Tensor::fromFloats(dev, DType::F32, {n}, nextv));
    ASSIGN_OR_FAIL(auto xn, ops::Tensor::create(dev, DType::F32, {rows, n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) {
        return ops::residualNorm(b, x, y, postNorm ? &post : nullptr, next, xn, {eps, shared});
    }));
    ASSIGN_OR_FAIL(auto gotX, x.toFloats(dev));
    ASSIGN_OR_FAIL(auto gotXn, xn.toFloats(dev));
    const double errX = test::normalisedError(gotX, expectedX);
    const double errXn = test::normalisedError(gotXn, expectedXn);
    QVERIFY2(errX <= kTolerance, qPrintable(QString("x error %1").arg(errX)));
    QVERIFY2(errXn <= kTolerance, qPrintable(QString("xn error %1").arg(errXn)));
    QVERIFY(test::noValidationMessages());
}

void TestOps::residualNormRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {4, 6}));
    ASSIGN_OR_FAIL(auto yWrong, ops::Tensor::create(dev, DType::F32, {6, 4}));
    ASSIGN_OR_FAIL(auto w, ops::Tensor::create(dev, DType::F32, {6}));
    ASSIGN_OR_FAIL(auto w5, ops::Tensor::create(dev, DType::F32, {5}));
    ASSIGN_OR_FAIL(auto w16, ops::Tensor::create(dev, DType::F16, {6}));
    ASSIGN_OR_FAIL(auto xn, ops::Tensor::create(dev, DType::F32, {4, 6}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"y shape", [&](vk::CommandBatch& c) { return ops::residualNorm(c, x, yWrong, nullptr, w, xn); }},
        {"post weight length", [&](vk::CommandBatch& c) { return ops::residualNorm(c, x, x, &w5, w, xn); }},
        {"next weight length", [&](vk::CommandBatch& c) { return ops::residualNorm(c, x, x, nullptr, w5, xn); }},
        {"f16 weight", [&](vk::CommandBatch& c) { return ops::residualNorm(c, x, x, nullptr, w16, xn); }},
        {"negative eps", [&](vk::CommandBatch& c) { return ops::residualNorm(c, x, x, &w, w, xn, {-1.0f}); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

#include "tst_ops.h"

#include "ops/elementwise.h"

#include <functional>

using namespace atelier;

namespace {

std::vector<float> maybeHalf(bool half, std::vector<float> v) { return half ? test::roundToHalf(std::move(v)) : v; }

// The kernels compute in fp32, where add and mul are correctly rounded, so f32 results match a host
// float reference up to denormal flushing. f16 results round once more to half, and the device may
// round differently from the host (RTZ vs RTE): one half ulp, 2^-10 relative at most.
double tolerance(bool half) { return half ? 1e-3 : 1e-6; }

} // namespace

void TestOps::elementwise_data()
{
    QTest::addColumn<QString>("op");
    QTest::addColumn<bool>("half");
    QTest::addColumn<int>("n");
    for (const char* op : {"add", "mul", "scale"})
        for (bool half : {false, true})
            for (int n : {1, 7, 255, 257, 100003})
                QTest::addRow("%s %s n=%d", op, half ? "f16" : "f32", n) << QString(op) << half << n;
}

void TestOps::elementwise()
{
    QFETCH(QString, op);
    QFETCH(bool, half);
    QFETCH(int, n);
    vk::Device& dev = *test::testDevice();
    const DType type = half ? DType::F16 : DType::F32;
    const auto av = maybeHalf(half, test::randomFloats(size_t(n), 1));
    const auto bv = maybeHalf(half, test::randomFloats(size_t(n), 2));
    const float factor = 0.37f;
    std::vector<float> expected(static_cast<size_t>(n));
    for (size_t i = 0; i < expected.size(); ++i)
        expected[i] = op == "add" ? av[i] + bv[i] : op == "mul" ? av[i] * bv[i] : av[i] * factor;
    expected = maybeHalf(half, expected);

    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, type, {n}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, type, {n}, bv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, type, {n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        return op == "add" ? ops::add(batch, a, b, out) : op == "mul" ? ops::mul(batch, a, b, out)
                                                                      : ops::scale(batch, a, factor, out);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= tolerance(half), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestOps::elementwiseBroadcast_data()
{
    QTest::addColumn<QString>("op");
    QTest::addColumn<bool>("half");
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    for (const char* op : {"add", "mul"})
        for (bool half : {false, true}) {
            QTest::addRow("%s %s [5, 7] by [7]", op, half ? "f16" : "f32") << QString(op) << half << 5 << 7;
            QTest::addRow("%s %s [3, 257] by [257]", op, half ? "f16" : "f32") << QString(op) << half << 3 << 257;
            QTest::addRow("%s %s [255, 1] by [1]", op, half ? "f16" : "f32") << QString(op) << half << 255 << 1;
        }
}

void TestOps::elementwiseBroadcast()
{
    QFETCH(QString, op);
    QFETCH(bool, half);
    QFETCH(int, rows);
    QFETCH(int, n);
    vk::Device& dev = *test::testDevice();
    const DType type = half ? DType::F16 : DType::F32;
    const auto av = maybeHalf(half, test::randomFloats(size_t(rows * n), 3));
    const auto bv = maybeHalf(half, test::randomFloats(size_t(n), 4));
    std::vector<float> expected(av.size());
    for (size_t i = 0; i < expected.size(); ++i)
        expected[i] = op == "add" ? av[i] + bv[i % size_t(n)] : av[i] * bv[i % size_t(n)];
    expected = maybeHalf(half, expected);

    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, type, {rows, n}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, type, {n}, bv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, type, {rows, n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        return op == "add" ? ops::add(batch, a, b, out) : ops::mul(batch, a, b, out);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= tolerance(half), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

// 36M floats (144 MiB per tensor) is more than lavapipe's 128 MiB maxStorageBufferRange, so the op
// must split into dispatches. Integer-valued inputs keep the sums exact and cheap to make.
void TestOps::elementwiseOverBindingLimit()
{
    vk::Device& dev = *test::testDevice();
    const int64_t n = 36'000'000;
    std::vector<float> av(static_cast<size_t>(n)), bv(static_cast<size_t>(n));
    for (size_t i = 0; i < av.size(); ++i) {
        av[i] = float(i % 4093);
        bv[i] = float(i % 1021) * 0.5f;
    }
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {n}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, DType::F32, {n}, bv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {n}));
    uint32_t dispatches = 0;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        auto s = ops::add(batch, a, b, out);
        dispatches = batch.dispatchCount();
        return s;
    }));
    if (uint64_t(n) * 4 > dev.info().maxStorageBufferRange)
        QVERIFY(dispatches > 1);
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    size_t wrong = 0;
    for (size_t i = 0; i < got.size(); ++i)
        wrong += got[i] != av[i] + bv[i];
    QCOMPARE(wrong, size_t(0));
    QVERIFY(test::noValidationMessages());
}

void TestOps::elementwiseRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto a, ops::Tensor::create(dev, DType::F32, {4, 6}));
    ASSIGN_OR_FAIL(auto b5, ops::Tensor::create(dev, DType::F32, {5}));
    ASSIGN_OR_FAIL(auto h, ops::Tensor::create(dev, DType::F16, {4, 6}));
    ASSIGN_OR_FAIL(auto small, ops::Tensor::create(dev, DType::F32, {3, 6}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"b does not divide a", [&](vk::CommandBatch& c) { return ops::add(c, a, b5, a); }},
        {"mixed dtypes", [&](vk::CommandBatch& c) { return ops::mul(c, a, h, a); }},
        {"output too small", [&](vk::CommandBatch& c) { return ops::scale(c, a, 2.0f, small); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

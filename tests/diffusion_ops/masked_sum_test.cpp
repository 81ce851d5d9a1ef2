#include "tst_diffusion_ops.h"

#include "ops/masked_sum.h"

#include <functional>

using namespace atelier;

// Two terms of a per-pixel weighted sum (regional prompts) against the CPU, odd shapes.
void TestDiffusionOps::addMasked_data()
{
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("pixels");
    QTest::addColumn<int>("channels");
    QTest::newRow("1 x 1 x 1") << 1 << 1 << 1;
    QTest::newRow("CFG batch, 8x8 latent, 320 channels") << 2 << 64 << 320;
    QTest::newRow("3 x 37 x 5") << 3 << 37 << 5;
}

void TestDiffusionOps::addMasked()
{
    QFETCH(int, batch);
    QFETCH(int, pixels);
    QFETCH(int, channels);
    vk::Device& dev = *test::testDevice();
    const size_t n = size_t(batch * pixels * channels);
    const auto a = test::randomFloats(n, 60), b = test::randomFloats(n, 61);
    const auto ma = test::randomFloats(size_t(pixels), 62, 0.0f, 1.0f), mb = test::randomFloats(size_t(pixels), 63, 0.0f, 1.0f);
    std::vector<float> expected(n);
    for (size_t i = 0; i < n; ++i) {
        const size_t p = (i / size_t(channels)) % size_t(pixels);
        expected[i] = float(double(ma[p]) * a[i] + double(mb[p]) * b[i]);
    }
    const std::vector<int64_t> shape{batch, pixels, channels};
    ASSIGN_OR_FAIL(auto ta, ops::Tensor::fromFloats(dev, DType::F32, shape, a));
    ASSIGN_OR_FAIL(auto tb, ops::Tensor::fromFloats(dev, DType::F32, shape, b));
    ASSIGN_OR_FAIL(auto tma, ops::Tensor::fromFloats(dev, DType::F32, {pixels}, ma));
    ASSIGN_OR_FAIL(auto tmb, ops::Tensor::fromFloats(dev, DType::F32, {pixels}, mb));
    // Stale values in out must not leak into the first term.
    ASSIGN_OR_FAIL(auto out, ops::Tensor::fromFloats(dev, DType::F32, shape, std::vector<float>(n, 1e6f)));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& c) -> Status {
        ATELIER_TRY(ops::addMasked(c, ta, tma, out, false));
        return ops::addMasked(c, tb, tmb, out, true);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= 1e-6, qPrintable(QString("error %1").arg(err)));

    ASSIGN_OR_FAIL(auto wrongMask, ops::Tensor::create(dev, DType::F32, {pixels + 1}));
    ASSIGN_OR_FAIL(auto flat, ops::Tensor::create(dev, DType::F32, {int64_t(n)}));
    QVERIFY(!dev.execute([&](vk::CommandBatch& c) { return ops::addMasked(c, ta, wrongMask, out, false); }).ok());
    QVERIFY(!dev.execute([&](vk::CommandBatch& c) { return ops::addMasked(c, flat, tma, flat, false); }).ok());
    QVERIFY(test::noValidationMessages());
}

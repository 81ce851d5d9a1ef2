#include "tst_diffusion_ops.h"

#include "ops/group_norm.h"
#include "references.h"

using namespace atelier;

namespace {

// As the one-binding group norm (norm_test.cpp): fp32 statistics merged per band; f16 outputs
// round to 2^-11.
constexpr double kToleranceF32 = 2e-6;
constexpr double kToleranceF16 = 1e-3;

} // namespace

void TestDiffusionOps::groupNormBands_data()
{
    QTest::addColumn<int>("images");
    QTest::addColumn<int>("pixels");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("groups");
    QTest::addColumn<bool>("f16");
    QTest::addColumn<bool>("silu");
    QTest::addColumn<bool>("shared");
    QTest::addColumn<int>("maxBindingBytes");
    QTest::addRow("3 bands") << 1 << 300 << 64 << 32 << false << false << false << 300 * 64 * 4 / 3 + 256;
    QTest::addRow("2 images, 7 bands, silu") << 2 << 333 << 48 << 16 << false << true << false << 48 * 4 * 50 + 256;
    QTest::addRow("f16, silu, shared") << 1 << 500 << 96 << 32 << true << true << true << 96 * 2 * 64 + 256;
}

void TestDiffusionOps::groupNormBands()
{
    QFETCH(int, images);
    QFETCH(int, pixels);
    QFETCH(int, channels);
    QFETCH(int, groups);
    QFETCH(bool, f16);
    QFETCH(bool, silu);
    QFETCH(bool, shared);
    QFETCH(int, maxBindingBytes);
    vk::Device& dev = *test::testDevice();
    const DType act = f16 ? DType::F16 : DType::F32;
    const size_t n = size_t(images) * pixels * channels;
    auto xv = test::randomFloats(n, 24, -2.0f, 2.0f);
    for (size_t i = 0; i < n; ++i)
        xv[i] += 0.5f * float((i / size_t(channels)) % 7); // bands of different means
    xv = test::stored(act, xv);
    const auto gamma = test::randomFloats(size_t(channels), 25, 0.5f, 1.5f);
    const auto beta = test::randomFloats(size_t(channels), 26);
    const float eps = 1e-6f;
    const auto expected = test::groupNormReference(xv, images, pixels, channels, groups, gamma, beta, eps, silu);
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, act, {images, pixels, channels}, xv));
    ASSIGN_OR_FAIL(auto g, ops::Tensor::fromFloats(dev, DType::F32, {channels}, gamma));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, DType::F32, {channels}, beta));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, {images, pixels, channels}));
    const uint64_t statsCount =
        ops::groupNormStatisticsElements(dev, act, uint64_t(pixels), uint64_t(channels), uint32_t(groups),
                                         uint64_t(maxBindingBytes));
    QVERIFY(statsCount >= uint64_t(3 * groups * 2)); // more than one band
    ASSIGN_OR_FAIL(auto stats, ops::Tensor::create(dev, DType::F32, {int64_t(statsCount)}));
    ops::GroupNormOptions o;
    o.groups = uint32_t(groups);
    o.eps = eps;
    o.silu = silu;
    o.sharedReduction = shared;
    o.maxBindingBytes = uint64_t(maxBindingBytes);
    // Without statistics the image is refused; with them it goes in bands.
    QVERIFY(!dev.execute([&](vk::CommandBatch& batch) { return ops::groupNorm(batch, x, g, b, out, o); }).ok());
    o.statistics = &stats;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::groupNorm(batch, x, g, b, out, o); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("%llu statistics values, error %.3g", (unsigned long long)statsCount, err);
    QVERIFY2(err <= (f16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

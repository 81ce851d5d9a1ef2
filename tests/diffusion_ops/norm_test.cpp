#include "tst_diffusion_ops.h"

#include "ops/group_norm.h"
#include "references.h"

#include <cmath>
#include <functional>

using namespace atelier;

namespace {

// Two fp32 passes over up to a few thousand values; f16 outputs round to 2^-11. An input offset
// of m costs the fp32 mean (and so every output) about m * 1e-7.
constexpr double kToleranceF32 = 2e-6;
constexpr double kToleranceOffset = 2e-7;
constexpr double kToleranceF16 = 1e-3;

struct NormRun {
    int images = 1, pixels = 1, channels = 1, groups = 1;
    bool actF16 = false, paramF16 = false, silu = false, shared = false, layer = false;
    float offset = 0.0f; // added to every input: a large mean tests the two-pass variance
    float eps = 1e-5f;
    bool workspace = false; // pass statistics: CPU devices then take group_norm_rows.comp
};

void runNorm(const NormRun& r)
{
    vk::Device& dev = *test::testDevice();
    const DType act = r.actF16 ? DType::F16 : DType::F32, param = r.paramF16 ? DType::F16 : DType::F32;
    const size_t n = size_t(r.images) * r.pixels * r.channels;
    auto xv = test::randomFloats(n, 21, -2.0f, 2.0f);
    for (float& v : xv)
        v += r.offset;
    xv = test::stored(act, xv);
    const auto gamma = test::stored(param, test::randomFloats(size_t(r.channels), 22, 0.5f, 1.5f));
    const auto beta = test::stored(param, test::randomFloats(size_t(r.channels), 23));
    const auto expected = test::groupNormReference(xv, r.images, r.pixels, r.channels, r.groups, gamma, beta, r.eps, r.silu);
    const std::vector<int64_t> shape = r.layer ? std::vector<int64_t>{r.images, r.channels}
                                               : std::vector<int64_t>{r.images, r.pixels, r.channels};
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, act, shape, xv));
    ASSIGN_OR_FAIL(auto g, ops::Tensor::fromFloats(dev, param, {r.channels}, gamma));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, param, {r.channels}, beta));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, shape));
    ops::Tensor statistics;
    if (r.workspace) {
        const uint64_t elements = ops::groupNormStatisticsElements(dev, act, uint64_t(r.pixels), uint64_t(r.channels),
                                                                   uint32_t(r.groups), 0, uint64_t(r.images));
        ASSIGN_OR_FAIL(statistics, ops::Tensor::create(dev, DType::F32, {int64_t(elements)}));
    }
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        if (r.layer)
            return ops::layerNorm(batch, x, g, b, out, {r.eps, r.shared});
        ops::GroupNormOptions o{uint32_t(r.groups), r.eps, r.silu, r.shared};
        o.statistics = r.workspace ? &statistics : nullptr;
        return ops::groupNorm(batch, x, g, b, out, o);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g", err);
    const double tolerance = r.actF16 ? kToleranceF16 : kToleranceF32 + kToleranceOffset * std::fabs(r.offset);
    QVERIFY2(err <= tolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

} // namespace

void TestDiffusionOps::groupNorm_data()
{
    QTest::addColumn<int>("images");
    QTest::addColumn<int>("pixels");
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("groups");
    QTest::addColumn<bool>("actF16");
    QTest::addColumn<bool>("paramF16");
    QTest::addColumn<bool>("silu");
    QTest::addColumn<bool>("shared");
    QTest::addColumn<float>("offset");
    QTest::addColumn<bool>("workspace");
    QTest::addRow("32 groups of 2") << 2 << 35 << 64 << 32 << false << false << false << false << 0.0f << false;
    QTest::addRow("silu, f16 params") << 2 << 77 << 96 << 32 << false << true << true << false << 0.0f << false;
    QTest::addRow("f16, silu") << 1 << 256 << 320 << 32 << true << true << true << false << 0.0f << false;
    QTest::addRow("shared reduction") << 3 << 13 << 40 << 8 << false << false << true << true << 0.0f << false;
    QTest::addRow("mean 100") << 1 << 300 << 64 << 32 << false << false << false << false << 100.0f << false;
    QTest::addRow("one pixel") << 2 << 1 << 32 << 32 << false << false << false << false << 0.0f << false;
    // With a workspace: on CPU devices group_norm_rows.comp (chunks of 64 pixels, merged).
    QTest::addRow("workspace: 32 groups of 2") << 2 << 35 << 64 << 32 << false << false << false << false << 0.0f << true;
    QTest::addRow("workspace: groups of 10, silu, f16 params") << 2 << 150 << 320 << 32 << false << true << true << false << 0.0f << true;
    QTest::addRow("workspace: f16, silu") << 1 << 256 << 128 << 32 << true << true << true << false << 0.0f << true;
    QTest::addRow("workspace: f16, groups of 16") << 2 << 70 << 512 << 32 << true << false << false << false << 0.0f << true;
    QTest::addRow("workspace: mean 100") << 1 << 300 << 64 << 32 << false << false << false << false << 100.0f << true;
    QTest::addRow("workspace: one pixel") << 2 << 1 << 32 << 32 << false << false << false << false << 0.0f << true;
}

void TestDiffusionOps::groupNorm()
{
    NormRun r;
    QFETCH(int, images);
    QFETCH(int, pixels);
    QFETCH(int, channels);
    QFETCH(int, groups);
    QFETCH(bool, actF16);
    QFETCH(bool, paramF16);
    QFETCH(bool, silu);
    QFETCH(bool, shared);
    QFETCH(float, offset);
    QFETCH(bool, workspace);
    r = {images, pixels, channels, groups, actF16, paramF16, silu, shared, false, offset, 1e-5f, workspace};
    runNorm(r);
}

void TestDiffusionOps::layerNorm_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("actF16");
    QTest::addColumn<bool>("shared");
    QTest::addRow("7 x 320") << 7 << 320 << false << false;
    QTest::addRow("77 x 768 f16") << 77 << 768 << true << false;
    QTest::addRow("3 x 1280 shared") << 3 << 1280 << false << true;
    QTest::addRow("1 x 1") << 1 << 1 << false << false;
    QTest::addRow("5 x 33") << 5 << 33 << false << false;
}

void TestDiffusionOps::layerNorm()
{
    QFETCH(int, rows);
    QFETCH(int, n);
    QFETCH(bool, actF16);
    QFETCH(bool, shared);
    NormRun r;
    r.images = rows;
    r.channels = n;
    r.actF16 = actF16;
    r.shared = shared;
    r.layer = true;
    runNorm(r);
}

void TestDiffusionOps::normRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {2, 16, 48}));
    ASSIGN_OR_FAIL(auto x16, ops::Tensor::create(dev, DType::F16, {2, 16, 48}));
    ASSIGN_OR_FAIL(auto p48, ops::Tensor::create(dev, DType::F32, {48}));
    ASSIGN_OR_FAIL(auto p47, ops::Tensor::create(dev, DType::F32, {47}));
    ASSIGN_OR_FAIL(auto p48h, ops::Tensor::create(dev, DType::F16, {48}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"groups do not divide", [&](vk::CommandBatch& b) { return ops::groupNorm(b, x, p48, p48, x); }},
        {"gamma length", [&](vk::CommandBatch& b) { return ops::groupNorm(b, x, p47, p47, x, {16}); }},
        {"mixed param dtypes", [&](vk::CommandBatch& b) { return ops::groupNorm(b, x, p48, p48h, x, {16}); }},
        {"mixed activation dtypes", [&](vk::CommandBatch& b) { return ops::layerNorm(b, x, p48, p48, x16); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

// An image as large as the binding limit fits when it starts aligned (the VAE decoder's
// 512 x 512 x 128 f32 on lavapipe); a larger one is refused.
void TestDiffusionOps::groupNormImageAtBindingLimit()
{
    vk::Device& dev = *test::testDevice();
    const int images = 2, pixels = 16, channels = 64; // 4096 bytes per image
    const auto xv = test::randomFloats(size_t(images * pixels * channels), 24);
    const auto gamma = test::randomFloats(size_t(channels), 25, 0.5f, 1.5f);
    const auto beta = test::randomFloats(size_t(channels), 26);
    const auto expected = test::groupNormReference(xv, images, pixels, channels, 32, gamma, beta, 1e-6, true);
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {images, pixels, channels}, xv));
    ASSIGN_OR_FAIL(auto g, ops::Tensor::fromFloats(dev, DType::F32, {channels}, gamma));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, DType::F32, {channels}, beta));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {images, pixels, channels}));
    ops::GroupNormOptions o;
    o.eps = 1e-6f;
    o.silu = true;
    o.maxBindingBytes = 4096;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::groupNorm(batch, x, g, b, out, o); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= kToleranceF32, qPrintable(QString("error %1").arg(err)));
    o.maxBindingBytes = 4000;
    const Status s = dev.execute([&](vk::CommandBatch& batch) { return ops::groupNorm(batch, x, g, b, out, o); });
    QVERIFY(!s.ok());
    QCOMPARE(int(s.error().code), int(ErrorCode::Unsupported));
    QVERIFY(test::noValidationMessages());
}

#include "tst_diffusion_ops.h"

#include "ops/channels.h"
#include "ops/timestep_embedding.h"
#include "references.h"

using namespace atelier;

void TestDiffusionOps::upsample_data()
{
    QTest::addColumn<bool>("actF16");
    QTest::addRow("f32") << false;
    QTest::addRow("f16") << true;
}

void TestDiffusionOps::upsample()
{
    QFETCH(bool, actF16);
    vk::Device& dev = *test::testDevice();
    const DType act = actF16 ? DType::F16 : DType::F32;
    const int n = 2, h = 3, w = 5, c = 7;
    const auto xv = test::stored(act, test::randomFloats(size_t(n * h * w * c), 41));
    std::vector<float> expected;
    for (int b = 0; b < n; ++b)
        for (int y = 0; y < 2 * h; ++y)
            for (int x = 0; x < 2 * w; ++x)
                for (int k = 0; k < c; ++k)
                    expected.push_back(xv[size_t(((b * h + y / 2) * w + x / 2) * c + k)]);
    ASSIGN_OR_FAIL(auto in, ops::Tensor::fromFloats(dev, act, {n, h, w, c}, xv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, {n, 2 * h, 2 * w, c}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::upsampleNearest2x(b, in, out); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    QCOMPARE(got, expected);
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::concatChannels()
{
    vk::Device& dev = *test::testDevice();
    const int pixels = 2 * 3 * 5, ca = 7, cb = 9;
    const auto av = test::randomFloats(size_t(pixels * ca), 42);
    const auto bv = test::randomFloats(size_t(pixels * cb), 43);
    std::vector<float> expected;
    for (int p = 0; p < pixels; ++p) {
        expected.insert(expected.end(), av.begin() + p * ca, av.begin() + (p + 1) * ca);
        expected.insert(expected.end(), bv.begin() + p * cb, bv.begin() + (p + 1) * cb);
    }
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {2, 3, 5, ca}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, DType::F32, {2, 3, 5, cb}, bv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {2, 3, 5, ca + cb}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::concatChannels(batch, a, b, out); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    QCOMPARE(got, expected);
    ASSIGN_OR_FAIL(auto wrong, ops::Tensor::create(dev, DType::F32, {2, 3, 4, cb}));
    const Status s = dev.execute([&](vk::CommandBatch& batch) { return ops::concatChannels(batch, a, wrong, out); });
    QVERIFY(!s.ok());
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::addBias_data()
{
    QTest::addColumn<bool>("perImage");
    QTest::addColumn<bool>("actF16");
    QTest::addColumn<bool>("biasF16");
    QTest::addRow("per channel") << false << false << false;
    QTest::addRow("per image, f16 bias") << true << false << true;
    QTest::addRow("f16 per image") << true << true << false;
}

void TestDiffusionOps::addBias()
{
    QFETCH(bool, perImage);
    QFETCH(bool, actF16);
    QFETCH(bool, biasF16);
    vk::Device& dev = *test::testDevice();
    const DType act = actF16 ? DType::F16 : DType::F32, bt = biasF16 ? DType::F16 : DType::F32;
    const int n = 3, pixels = 35, c = 19;
    const float scale = 0.5f;
    const auto xv = test::stored(act, test::randomFloats(size_t(n * pixels * c), 44));
    const auto bv = test::stored(bt, test::randomFloats(size_t(perImage ? n * c : c), 45));
    std::vector<float> expected(xv.size());
    for (int b = 0; b < n; ++b)
        for (int p = 0; p < pixels; ++p)
            for (int k = 0; k < c; ++k) {
                const size_t i = size_t((b * pixels + p) * c + k);
                expected[i] = (xv[i] + bv[size_t((perImage ? b * c : 0) + k)]) * scale;
            }
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, act, {n, pixels, c}, xv));
    ASSIGN_OR_FAIL(auto bias, ops::Tensor::fromFloats(dev, bt, perImage ? std::vector<int64_t>{n, c}
                                                                        : std::vector<int64_t>{c}, bv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, {n, pixels, c}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::addBias(b, x, bias, out, scale); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= (actF16 ? 1e-3 : 1e-7), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::timestepEmbedding_data()
{
    QTest::addColumn<int>("dim");
    QTest::addColumn<bool>("flip");
    QTest::addColumn<float>("shift");
    QTest::addRow("SD: 320, [cos, sin]") << 320 << true << 0.0f;
    QTest::addRow("odd 7, [sin, cos], shift 1") << 7 << false << 1.0f;
}

void TestDiffusionOps::timestepEmbedding()
{
    QFETCH(int, dim);
    QFETCH(bool, flip);
    QFETCH(float, shift);
    vk::Device& dev = *test::testDevice();
    const std::vector<float> steps = {0.0f, 1.0f, 999.0f, 500.5f, 21.0f};
    // The angle is fp32 as in diffusers: t * f_k carries a relative error of a few 1e-7, up to
    // 1e-4 radians at t = 999.
    const auto expected = test::timestepEmbeddingReference(steps, dim, flip, shift, 1.0, 10000.0);
    ASSIGN_OR_FAIL(auto t, ops::Tensor::fromFloats(dev, DType::F32, {int64_t(steps.size())}, steps));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {int64_t(steps.size()), dim}));
    ops::TimestepEmbeddingOptions o;
    o.flipSinToCos = flip;
    o.shift = shift;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::timestepEmbedding(b, t, out, o); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g", err);
    QVERIFY2(err <= 5e-4, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

#include "tst_llm_ops.h"

#include "ops/rope.h"
#include "references.h"

#include <cmath>
#include <functional>

using namespace atelier;

namespace {

// The angle is an fp32 value, as in llama.cpp and transformers: position * 2^(i * log2 scale) with
// the product, the division by a frequency factor and freqScale each rounded once, and exp2 within
// an ulp or two, so it is within ~4 ulp of the exact angle: |d theta| <= 2^-22 theta. The kernel
// then reduces it mod 2 pi exactly, so cos and sin add only ~1e-7 whatever the position. At position
// 100000 the fp32 angle itself is up to ~0.01 rad from the exact one (and from the double reference).
double ropeTolerance(const test::RopeCase& c)
{
    double maxFactor = 1.0;
    for (float f : c.freqFactors)
        maxFactor = std::min(maxFactor, double(f));
    const double maxTheta = c.freqScale * (c.startPosition + c.tokens - 1) / maxFactor;
    return 2e-6 + std::ldexp(maxTheta, -22);
}

} // namespace

void TestLlmOps::rope_data()
{
    QTest::addColumn<bool>("neox");
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<int>("nRot");
    QTest::addColumn<uint>("start");
    QTest::addColumn<double>("base");
    QTest::addColumn<double>("scale");
    QTest::addColumn<bool>("factors");
    QTest::addRow("normal d64") << false << 5 << 3 << 64 << 64 << 0u << 1e4 << 1.0 << false;
    QTest::addRow("neox d64 qwen2") << true << 9 << 14 << 64 << 64 << 17u << 1e6 << 1.0 << false;
    QTest::addRow("normal d128 at 4090") << false << 7 << 8 << 128 << 128 << 4090u << 1e4 << 1.0 << false;
    QTest::addRow("neox d256 gemma3 global x8") << true << 3 << 4 << 256 << 256 << 1000u << 1e6 << 0.125 << false;
    QTest::addRow("neox d256 at 100000") << true << 4 << 4 << 256 << 256 << 100000u << 1e4 << 1.0 << false;
    QTest::addRow("normal d128 llama3 factors at 131000")
        << false << 3 << 2 << 128 << 128 << 131000u << 5e5 << 1.0 << true;
    QTest::addRow("normal nRot 32 of 64") << false << 6 << 3 << 64 << 32 << 300u << 1e4 << 1.0 << false;
    QTest::addRow("neox nRot 64 of 128 scale 0.25") << true << 5 << 2 << 128 << 64 << 50u << 1e4 << 0.25 << false;
    QTest::addRow("neox odd d6 nRot 4") << true << 3 << 5 << 6 << 4 << 7u << 1e4 << 1.0 << false;
}

void TestLlmOps::rope()
{
    QFETCH(bool, neox);
    QFETCH(int, tokens);
    QFETCH(int, heads);
    QFETCH(int, headDim);
    QFETCH(int, nRot);
    QFETCH(uint, start);
    QFETCH(double, base);
    QFETCH(double, scale);
    QFETCH(bool, factors);
    vk::Device& dev = *test::testDevice();
    test::RopeCase c{tokens, heads, headDim, nRot, neox, start, base, double(float(scale)), {}};
    if (factors)
        c.freqFactors = test::randomFloats(size_t(nRot / 2), 31, 1.0f, 8.0f);
    const auto xv = test::randomFloats(size_t(tokens * heads * headDim), 30);
    const auto expected = test::ropeReference(xv, c);

    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {tokens, heads, headDim}, xv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {tokens, heads, headDim}));
    ops::Tensor ff;
    if (factors) {
        ASSIGN_OR_FAIL(ff, ops::Tensor::fromFloats(dev, DType::F32, {nRot / 2}, c.freqFactors));
    }
    ops::RopeOptions o{neox ? ops::RopeLayout::Neox : ops::RopeLayout::Normal, start, uint32_t(nRot), float(base),
                       float(scale), factors ? &ff : nullptr};
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::rope(batch, x, out, o); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g (tolerance %.3g)", err, ropeTolerance(c));
    QVERIFY2(err <= ropeTolerance(c), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

// In place, and at large positions against the fp32 angle itself (pair 0 turns by exactly
// freqScale * position in fp32): what is left is the kernel's cos and sin, which must not lose
// accuracy as the angle grows.
void TestLlmOps::ropeInPlace()
{
    vk::Device& dev = *test::testDevice();
    const int tokens = 64, heads = 3, headDim = 2;
    const uint32_t start = 131000;
    const float scale = 0.75f;
    const auto xv = test::randomFloats(size_t(tokens * heads * headDim), 32);
    std::vector<float> expected(xv.size());
    for (int t = 0; t < tokens; ++t) {
        const double theta = double(scale * float(start + t));
        for (int h = 0; h < heads; ++h) {
            const size_t i = size_t(t * heads + h) * 2;
            expected[i] = float(xv[i] * std::cos(theta) - xv[i + 1] * std::sin(theta));
            expected[i + 1] = float(xv[i] * std::sin(theta) + xv[i + 1] * std::cos(theta));
        }
    }
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {tokens, heads, headDim}, xv));
    ops::RopeOptions o{ops::RopeLayout::Neox, start, 0, 1e6f, scale, nullptr};
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::rope(batch, x, x, o); }));
    ASSIGN_OR_FAIL(auto got, x.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g against the fp32 angle at positions near %u", err, start);
    QVERIFY2(err <= 2e-6, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

// Each row RMS-normalised and scaled by a weight, then rotated, in one dispatch (Gemma 3's q and k
// norms): against the double-precision norm followed by ropeReference, in place, both reductions.
void TestLlmOps::ropeWithNorm_data()
{
    QTest::addColumn<bool>("neox");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<int>("nRot");
    QTest::addColumn<bool>("shared");
    QTest::addRow("neox d256 gemma3") << true << 256 << 256 << false;
    QTest::addRow("neox d256 gemma3 shared-reduction") << true << 256 << 256 << true;
    QTest::addRow("normal d64 nRot 32") << false << 64 << 32 << false;
    QTest::addRow("neox d6 nRot 4") << true << 6 << 4 << false;
}

void TestLlmOps::ropeWithNorm()
{
    QFETCH(bool, neox);
    QFETCH(int, headDim);
    QFETCH(int, nRot);
    QFETCH(bool, shared);
    vk::Device& dev = *test::testDevice();
    const int tokens = 3, heads = 5;
    const uint32_t start = 40;
    const float eps = 1e-6f;
    const auto xv = test::randomFloats(size_t(tokens * heads * headDim), 33, -4.0f, 4.0f);
    const auto wv = test::randomFloats(size_t(headDim), 34, 0.5f, 1.5f);
    std::vector<float> normed(xv.size());
    for (size_t r = 0; r < xv.size() / size_t(headDim); ++r) {
        double ss = 0;
        for (int i = 0; i < headDim; ++i)
            ss += double(xv[r * headDim + i]) * xv[r * headDim + i];
        const double inv = 1.0 / std::sqrt(ss / headDim + eps);
        for (int i = 0; i < headDim; ++i)
            normed[r * headDim + i] = float(xv[r * headDim + i] * inv * wv[size_t(i)]);
    }
    test::RopeCase c{tokens, heads, headDim, nRot, neox, start, 1e6, 1.0, {}};
    const auto expected = test::ropeReference(normed, c);

    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {tokens, heads, headDim}, xv));
    ASSIGN_OR_FAIL(auto w, ops::Tensor::fromFloats(dev, DType::F32, {headDim}, wv));
    ops::RopeOptions o{neox ? ops::RopeLayout::Neox : ops::RopeLayout::Normal, start, uint32_t(nRot), 1e6f, 1.0f, nullptr};
    o.normWeight = &w;
    o.normEps = eps;
    o.sharedReduction = shared;
    uint32_t dispatches = 0;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        const Status s = ops::rope(batch, x, x, o);
        dispatches = batch.dispatchCount();
        return s;
    }));
    ASSIGN_OR_FAIL(auto got, x.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= 1e-5, qPrintable(QString("error %1").arg(err)));
    QCOMPARE(dispatches, 1u);
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::ropeRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {2, 3, 8}));
    ASSIGN_OR_FAIL(auto x2d, ops::Tensor::create(dev, DType::F32, {6, 8}));
    ASSIGN_OR_FAIL(auto odd, ops::Tensor::create(dev, DType::F32, {2, 3, 7}));
    ASSIGN_OR_FAIL(auto x16, ops::Tensor::create(dev, DType::F16, {2, 3, 8}));
    ASSIGN_OR_FAIL(auto factors, ops::Tensor::create(dev, DType::F32, {3}));
    const ops::RopeOptions plain;
    ops::RopeOptions wideRot;
    wideRot.nRot = 10;
    ops::RopeOptions badFactors;
    badFactors.freqFactors = &factors;
    ops::RopeOptions badNorm; // a weight of 3 for rows of 8
    badNorm.normWeight = &factors;
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"2-D input", [&](vk::CommandBatch& c) { return ops::rope(c, x2d, x2d, plain); }},
        {"shape mismatch", [&](vk::CommandBatch& c) { return ops::rope(c, x, odd, plain); }},
        {"odd head dim", [&](vk::CommandBatch& c) { return ops::rope(c, odd, odd, plain); }},
        {"f16", [&](vk::CommandBatch& c) { return ops::rope(c, x16, x16, plain); }},
        {"nRot > headDim", [&](vk::CommandBatch& c) { return ops::rope(c, x, x, wideRot); }},
        {"factor count", [&](vk::CommandBatch& c) { return ops::rope(c, x, x, badFactors); }},
        {"norm weight length", [&](vk::CommandBatch& c) { return ops::rope(c, x, x, badNorm); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
        QVERIFY2(s.error().message.find("rope") != std::string::npos, s.error().message.c_str());
    }
    QVERIFY(test::noValidationMessages());
}

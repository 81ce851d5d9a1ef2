// VkFFT through FftPlan, and the Gaussian blur on top, against plain CPU references in double:
// a naive DFT, the round trip, and a direct convolution with clamped edges.

#include "ops/fft.h"
#include "test_device.h"
#include "test_result.h"
#include "vk/device.h"

#include <QtTest>

#include <complex>
#include <map>
#include <numbers>
#include <tuple>

using namespace atelier;

namespace {

// f32 FFTs of these sizes stay well below this (max |error| / max |reference|).
constexpr double kTolerance = 1e-4;

// The half spectrum [batch, h, w / 2 + 1] of x [batch, h, w], by the definition (one axis at a
// time, twiddles from a table), as interleaved floats.
std::vector<float> referenceDft(const std::vector<float>& x, int batch, int h, int w)
{
    using C = std::complex<double>;
    const auto twiddles = [](int n) {
        std::vector<C> t(static_cast<size_t>(n));
        for (int i = 0; i < n; ++i)
            t[size_t(i)] = std::polar(1.0, -2 * std::numbers::pi * i / n);
        return t;
    };
    const std::vector<C> tw = twiddles(w), th = twiddles(h);
    const int half = w / 2 + 1;
    std::vector<float> out(size_t(batch) * h * half * 2);
    std::vector<C> rows(size_t(h) * half);
    for (int b = 0; b < batch; ++b) {
        const float* img = x.data() + size_t(b) * h * w;
        for (int m = 0; m < h; ++m)
            for (int l = 0; l < half; ++l) {
                C s = 0;
                for (int n = 0; n < w; ++n)
                    s += double(img[m * w + n]) * tw[size_t(int64_t(l) * n % w)];
                rows[size_t(m) * half + l] = s;
            }
        for (int k = 0; k < h; ++k)
            for (int l = 0; l < half; ++l) {
                C s = 0;
                for (int m = 0; m < h; ++m)
                    s += rows[size_t(m) * half + l] * th[size_t(int64_t(k) * m % h)];
                const size_t at = ((size_t(b) * h + k) * half + l) * 2;
                out[at] = float(s.real());
                out[at + 1] = float(s.imag());
            }
    }
    return out;
}

// Direct convolution with the blur's kernel (exp(-d^2 / (2 sigma^2)), |d| <= ceil(4 sigma), sum 1
// per axis), the image continued by its border pixels.
std::vector<float> referenceBlur(const std::vector<float>& x, int batch, int h, int w, float sigma)
{
    const int r = ops::GaussianBlur::radiusFor(sigma);
    std::vector<double> g(size_t(2 * r + 1));
    double sum = 0;
    for (int d = -r; d <= r; ++d)
        sum += g[size_t(d + r)] = sigma > 0 ? std::exp(-double(d) * d / (2.0 * double(sigma) * sigma)) : 1.0;
    for (double& v : g)
        v /= sum;
    std::vector<float> out(x.size());
    std::vector<double> tmp(size_t(h) * w);
    for (int b = 0; b < batch; ++b) {
        const float* img = x.data() + size_t(b) * h * w;
        for (int y = 0; y < h; ++y)
            for (int xx = 0; xx < w; ++xx) {
                double s = 0;
                for (int d = -r; d <= r; ++d)
                    s += g[size_t(d + r)] * img[y * w + std::clamp(xx - d, 0, w - 1)];
                tmp[size_t(y) * w + xx] = s;
            }
        for (int y = 0; y < h; ++y)
            for (int xx = 0; xx < w; ++xx) {
                double s = 0;
                for (int d = -r; d <= r; ++d)
                    s += g[size_t(d + r)] * tmp[size_t(std::clamp(y - d, 0, h - 1)) * w + xx];
                out[size_t(b) * h * w + size_t(y) * w + xx] = float(s);
            }
    }
    return out;
}

} // namespace



class TestFft : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void forwardMatchesDft_data();
    void forwardMatchesDft();
    void inverseRoundTrips_data();
    void inverseRoundTrips();
    void transformsShareOneBatch();
    void gaussianBlurMatchesDirect_data();
    void gaussianBlurMatchesDirect();
    void gaussianBlurInPlaceKeepsFlatImage();
    void invalidPlansAreErrors_data();
    void invalidPlansAreErrors();
    void wrongTensorsAreErrors();
    void cleanupTestCase();

private:
    void addSizes();
    ops::FftPlan* plan(int height, int width, int batch);

    std::map<std::tuple<int, int, int>, std::unique_ptr<ops::FftPlan>> mPlans; // planning is slow
};

void TestFft::initTestCase()
{
    QVERIFY2(test::testDevice(), "no Vulkan device");
    QVERIFY(test::noValidationMessages());
}

ops::FftPlan* TestFft::plan(int height, int width, int batch)
{
    auto& slot = mPlans[{height, width, batch}];
    if (!slot) {
        auto created = ops::FftPlan::create(*test::testDevice(), height, width, batch);
        if (!created) {
            qWarning("planning %d x %d x %d failed: %s", batch, height, width, created.error().message.c_str());
            return nullptr;
        }
        slot = std::move(created).value();
        qInfo("VkFFT plan %d x %d x %d: %.2f s", batch, height, width, slot->planSeconds());
    }
    return slot.get();
}

void TestFft::addSizes()
{
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("batch");
    QTest::newRow("8x8") << 8 << 8 << 1;
    QTest::newRow("16x12") << 16 << 12 << 1;
    QTest::newRow("30x50") << 30 << 50 << 1;
    QTest::newRow("64x64") << 64 << 64 << 1;
    QTest::newRow("7x9 odd") << 7 << 9 << 1;
    QTest::newRow("3 of 10x6") << 10 << 6 << 3;
    QTest::newRow("13x17 primes (Rader)") << 13 << 17 << 1;
    QTest::newRow("3x4099 prime width (Bluestein)") << 3 << 4099 << 1;
    QTest::newRow("2x10000 (four-step, VkFFT's temp buffer)") << 2 << 10000 << 1;
}

void TestFft::forwardMatchesDft_data() { addSizes(); }

void TestFft::forwardMatchesDft()
{
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, batch);
    vk::Device& dev = *test::testDevice();
    ops::FftPlan* p = plan(height, width, batch);
    QVERIFY(p);
    const auto x = test::randomFloats(size_t(batch) * height * width, uint32_t(height * 131 + width));
    ASSIGN_OR_FAIL(auto real, ops::Tensor::fromFloats(dev, DType::F32, p->realShape(), x));
    ASSIGN_OR_FAIL(auto spectrum, ops::Tensor::create(dev, DType::F32, p->spectrumShape()));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return p->forward(b, real, spectrum); }));
    ASSIGN_OR_FAIL(auto got, spectrum.toFloats(dev));
    const double err = test::normalisedError(got, referenceDft(x, batch, height, width));
    QVERIFY2(err <= kTolerance, qPrintable(QString("normalised error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestFft::inverseRoundTrips_data() { addSizes(); }

void TestFft::inverseRoundTrips()
{
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, batch);
    vk::Device& dev = *test::testDevice();
    ops::FftPlan* p = plan(height, width, batch);
    QVERIFY(p);
    const auto x = test::randomFloats(size_t(batch) * height * width, uint32_t(height * 7 + width), -3.0f, 5.0f);
    ASSIGN_OR_FAIL(auto real, ops::Tensor::fromFloats(dev, DType::F32, p->realShape(), x));
    ASSIGN_OR_FAIL(auto spectrum, ops::Tensor::create(dev, DType::F32, p->spectrumShape()));
    ASSIGN_OR_FAIL(auto back, ops::Tensor::create(dev, DType::F32, p->realShape()));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
        ATELIER_TRY(p->forward(b, real, spectrum));
        return p->inverse(b, spectrum, back);
    }));
    ASSIGN_OR_FAIL(auto got, back.toFloats(dev));
    const double err = test::normalisedError(got, x);
    QVERIFY2(err <= kTolerance, qPrintable(QString("normalised error %1").arg(err)));
    // inverse() leaves its input alone (VkFFT's C2R overwrites the plan's copy only).
    ASSIGN_OR_FAIL(auto spectrumAfter, spectrum.toFloats(dev));
    QVERIFY(test::normalisedError(spectrumAfter, referenceDft(x, batch, height, width)) <= kTolerance);
    QVERIFY(test::noValidationMessages());
}

// Two images through one plan in one command buffer: the hazard tracking orders them, and VkFFT
// never rewrites the descriptor sets the first use bound.
void TestFft::transformsShareOneBatch()
{
    vk::Device& dev = *test::testDevice();
    ops::FftPlan* p = plan(16, 12, 1);
    QVERIFY(p);
    const auto x1 = test::randomFloats(16 * 12, 11), x2 = test::randomFloats(16 * 12, 12);
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {16, 12}, x1));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, DType::F32, {16, 12}, x2));
    ASSIGN_OR_FAIL(auto sa, ops::Tensor::create(dev, DType::F32, p->spectrumShape()));
    ASSIGN_OR_FAIL(auto sb, ops::Tensor::create(dev, DType::F32, p->spectrumShape()));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) -> Status {
        ATELIER_TRY(p->forward(batch, a, sa));
        ATELIER_TRY(p->forward(batch, b, sb));
        ATELIER_TRY(p->inverse(batch, sa, b)); // b's spectrum is already out: b may take a back
        return p->inverse(batch, sb, a);
    }));
    ASSIGN_OR_FAIL(auto ga, a.toFloats(dev));
    ASSIGN_OR_FAIL(auto gb, b.toFloats(dev));
    QVERIFY(test::normalisedError(ga, x2) <= kTolerance);
    QVERIFY(test::normalisedError(gb, x1) <= kTolerance);
    ASSIGN_OR_FAIL(auto gsb, sb.toFloats(dev));
    QVERIFY(test::normalisedError(gsb, referenceDft(x2, 1, 16, 12)) <= kTolerance);
    QVERIFY(test::noValidationMessages());
}

void TestFft::gaussianBlurMatchesDirect_data()
{
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("batch");
    QTest::addColumn<float>("sigma");
    QTest::newRow("20x30 sigma 1.5") << 20 << 30 << 1 << 1.5f;
    QTest::newRow("17x23 sigma 3, radius past the image") << 17 << 23 << 1 << 3.0f;
    QTest::newRow("2 of 12x9 sigma 0.7") << 12 << 9 << 2 << 0.7f;
    QTest::newRow("9x11 sigma 0 is a copy") << 9 << 11 << 1 << 0.0f;
}

void TestFft::gaussianBlurMatchesDirect()
{
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, batch);
    QFETCH(float, sigma);
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto blur, ops::GaussianBlur::create(dev, height, width, sigma, batch));
    qInfo("padded to %d x %d, planned in %.2f s", blur->plan().height(), blur->plan().width(),
          blur->plan().planSeconds());
    // A mask-like image: a hard-edged rectangle, plus noise so every pixel matters.
    auto x = test::randomFloats(size_t(batch) * height * width, uint32_t(height + width), 0.0f, 0.2f);
    for (int b = 0; b < batch; ++b)
        for (int y = height / 4; y < height; ++y)
            for (int xx = 0; xx < width / 2; ++xx)
                x[(size_t(b) * height + y) * width + xx] += 1.0f;
    const std::vector<int64_t> shape = batch == 1 ? std::vector<int64_t>{height, width}
                                                  : std::vector<int64_t>{batch, height, width};
    ASSIGN_OR_FAIL(auto image, ops::Tensor::fromFloats(dev, DType::F32, shape, x));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, shape));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return blur->run(b, image, out); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, referenceBlur(x, batch, height, width, sigma));
    QVERIFY2(err <= kTolerance, qPrintable(QString("normalised error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

// What a user would notice: a flat mask stays flat up to the edges (no dark border from zero
// padding, no wrap-around), here blurred in place.
void TestFft::gaussianBlurInPlaceKeepsFlatImage()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto blur, ops::GaussianBlur::create(dev, 24, 40, 4.0f));
    const std::vector<float> ones(24 * 40, 1.0f);
    ASSIGN_OR_FAIL(auto image, ops::Tensor::fromFloats(dev, DType::F32, {24, 40}, ones));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return blur->run(b, image, image); }));
    ASSIGN_OR_FAIL(auto got, image.toFloats(dev));
    QVERIFY2(test::normalisedError(got, ones) <= kTolerance, qPrintable(QString::number(got[0])));
    QVERIFY(test::noValidationMessages());
}

void TestFft::invalidPlansAreErrors_data()
{
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("code");
    const int invalid = int(ErrorCode::InvalidArgument), unsupported = int(ErrorCode::Unsupported);
    QTest::newRow("zero height") << 0 << 8 << 1 << invalid;
    QTest::newRow("zero width") << 8 << 0 << 1 << invalid;
    QTest::newRow("negative") << -4 << 8 << 1 << invalid;
    QTest::newRow("width 1") << 8 << 1 << 1 << invalid;
    QTest::newRow("zero batch") << 8 << 8 << 0 << invalid;
    QTest::newRow("side past 65536") << 8 << 70000 << 1 << invalid;
    // 16 GiB of spectrum: more than any device binds (maxStorageBufferRange is 32-bit).
    QTest::newRow("past the binding limit") << 65536 << 65536 << 1 << unsupported;
}

void TestFft::invalidPlansAreErrors()
{
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, batch);
    QFETCH(int, code);
    auto p = ops::FftPlan::create(*test::testDevice(), height, width, batch);
    QVERIFY(!p.ok());
    qInfo("%s", p.error().message.c_str());
    QCOMPARE(int(p.error().code), code);
    QVERIFY(!p.error().message.empty());
    QVERIFY(test::noValidationMessages());
}

void TestFft::wrongTensorsAreErrors()
{
    vk::Device& dev = *test::testDevice();
    ops::FftPlan* p = plan(8, 8, 1);
    QVERIFY(p);
    ASSIGN_OR_FAIL(auto real, ops::Tensor::create(dev, DType::F32, {8, 8}));
    ASSIGN_OR_FAIL(auto wrongReal, ops::Tensor::create(dev, DType::F32, {8, 9}));
    ASSIGN_OR_FAIL(auto spectrum, ops::Tensor::create(dev, DType::F32, p->spectrumShape()));
    ASSIGN_OR_FAIL(auto flatSpectrum, ops::Tensor::create(dev, DType::F32, {8 * 5 * 2}));
    const auto fails = [&](const std::function<Status(vk::CommandBatch&)>& record) {
        const Status s = dev.execute(record);
        return !s.ok() && s.error().code == ErrorCode::InvalidArgument;
    };
    QVERIFY(fails([&](vk::CommandBatch& b) { return p->forward(b, wrongReal, spectrum); }));
    QVERIFY(fails([&](vk::CommandBatch& b) { return p->forward(b, real, flatSpectrum); }));
    QVERIFY(fails([&](vk::CommandBatch& b) { return p->inverse(b, flatSpectrum, real); }));

    for (float sigma : {-1.0f, std::numeric_limits<float>::quiet_NaN(), 1e6f}) {
        auto blur = ops::GaussianBlur::create(dev, 8, 8, sigma);
        QVERIFY(!blur.ok());
        QCOMPARE(blur.error().code, ErrorCode::InvalidArgument);
    }
    ASSIGN_OR_FAIL(auto blur, ops::GaussianBlur::create(dev, 8, 8, 1.0f));
    QVERIFY(fails([&](vk::CommandBatch& b) { return blur->run(b, wrongReal, real); }));
    QVERIFY(test::noValidationMessages());
}

void TestFft::cleanupTestCase()
{
    mPlans.clear(); // deleteVkFFT while the device is alive, and under validation
    QVERIFY(test::noValidationMessages());
}

QTEST_GUILESS_MAIN(TestFft)
#include "tst_fft.moc"

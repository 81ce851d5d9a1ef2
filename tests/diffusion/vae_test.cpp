// The VAE against diffusers' AutoencoderKL on the golden checkpoints (goldens_vae.py): decode and
// encode, f32 and f16 activations, tiled passes against whole ones, and the sizes it refuses.

#include "golden.h"
#include "test_device.h"

#include "diffusion/checkpoint.h"
#include "diffusion/vae.h"

#include <QElapsedTimer>
#include <QFile>
#include <QtTest>

#include <algorithm>
#include <cmath>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

// Normalised errors measured on lavapipe: f32 activations decode sd1 to 6.8e-7, sd2 to 5.7e-7 and
// encode to 1.1e-6 (diffusers' result up to summation order); f16 activations, which round every
// stored activation to 2^-11, decode to 1.2e-3 and encode to 1.6e-3.
constexpr double kToleranceF32 = 5e-6;
constexpr double kToleranceF16 = 5e-3;

std::unique_ptr<Vae> loadGolden(const QString& family, WeightPrecision precision)
{
    auto checkpoint = Checkpoint::open(test::goldenCheckpointPath(family));
    if (!checkpoint)
        qFatal("%s", checkpoint.error().message.c_str());
    auto vae = Vae::load(*test::testDevice(), **checkpoint, precision);
    if (!vae)
        qFatal("%s", vae.error().message.c_str());
    return std::move(*vae);
}

bool allFinite(const std::vector<float>& v)
{
    return std::all_of(v.begin(), v.end(), [](float x) { return std::isfinite(x); });
}

// Largest mean jump across a column boundary of d = a - b (HWC), relative to the median jump: a
// seam between tiles is a column where the difference steps.
double seamScore(const std::vector<float>& a, const std::vector<float>& b, int height, int width, bool columns)
{
    const int along = columns ? width : height, across = columns ? height : width;
    std::vector<double> jumps;
    for (int i = 0; i + 1 < along; ++i) {
        double sum = 0;
        for (int j = 0; j < across; ++j) {
            const size_t p0 = columns ? size_t(j) * width + i : size_t(i) * width + j;
            const size_t p1 = columns ? p0 + 1 : p0 + size_t(width);
            for (size_t c = 0; c < 3; ++c)
                sum += std::fabs((a[p1 * 3 + c] - b[p1 * 3 + c]) - (a[p0 * 3 + c] - b[p0 * 3 + c]));
        }
        jumps.push_back(sum / (3.0 * across));
    }
    std::vector<double> sorted = jumps;
    std::nth_element(sorted.begin(), sorted.begin() + ptrdiff_t(sorted.size() / 2), sorted.end());
    return *std::max_element(jumps.begin(), jumps.end()) / std::max(sorted[sorted.size() / 2], 1e-12);
}

// Mean |a - b| relative to the mean |b|.
double meanAbsDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double diff = 0, ref = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        diff += std::fabs(double(a[i]) - b[i]);
        ref += std::fabs(double(b[i]));
    }
    return diff / std::max(ref, 1e-12);
}

// VmHWM from /proc/self/status (lavapipe's device memory is the process's memory).
std::string peakRss()
{
    QFile status("/proc/self/status");
    if (!status.open(QIODevice::ReadOnly))
        return "unknown";
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmHWM:"))
            return line.mid(6).trimmed().toStdString();
    return "unknown";
}

} // namespace

class TestVae : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(test::testDevice()); }

    void decodeMatchesDiffusers_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<int>("precision");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("sd1") << "sd1" << int(WeightPrecision::AsStored) << kToleranceF32;
        QTest::newRow("sd2") << "sd2" << int(WeightPrecision::AsStored) << kToleranceF32;
        QTest::newRow("sd1 f16") << "sd1" << int(WeightPrecision::F16) << kToleranceF16;
    }

    void decodeMatchesDiffusers()
    {
        QFETCH(QString, family);
        QFETCH(int, precision);
        QFETCH(double, tolerance);
        auto vae = loadGolden(family, WeightPrecision(precision));
        const test::GoldenFile golden("vae_" + family);
        const std::vector<int64_t> shape = golden.shape("latent");
        const auto latent = golden.floats("latent");
        const auto expected = golden.floats("decoded");
        QVERIFY(!vae->needsTiling(int(shape[1]), int(shape[2])));
        QElapsedTimer timer;
        timer.start();
        auto image = vae->decode(latent, int(shape[1]), int(shape[2]));
        const qint64 ms = timer.elapsed();
        QVERIFY2(image, image ? "" : image.error().message.c_str());
        QCOMPARE(image->size(), expected.size());
        QVERIFY(allFinite(*image));
        const double err = test::normalisedError(*image, expected);
        qInfo("decode %lld x %lld: error %.3g in %lld ms (weights %llu bytes)", (long long)shape[2] * 8,
              (long long)shape[1] * 8, err, (long long)ms, (unsigned long long)vae->weightBytes());
        QVERIFY2(err <= tolerance, qPrintable(QString("error %1").arg(err)));
        QVERIFY(test::noValidationMessages());
    }

    void encodeMatchesDiffusers_data()
    {
        QTest::addColumn<int>("precision");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("f32") << int(WeightPrecision::AsStored) << kToleranceF32;
        QTest::newRow("f16") << int(WeightPrecision::F16) << kToleranceF16;
    }

    void encodeMatchesDiffusers()
    {
        QFETCH(int, precision);
        QFETCH(double, tolerance);
        auto vae = loadGolden("sd1", WeightPrecision(precision));
        const test::GoldenFile golden("vae_sd1");
        const std::vector<int64_t> shape = golden.shape("image");
        const auto expected = golden.floats("encoded");
        QElapsedTimer timer;
        timer.start();
        auto latent = vae->encode(golden.floats("image"), int(shape[0]), int(shape[1]));
        const qint64 ms = timer.elapsed();
        QVERIFY2(latent, latent ? "" : latent.error().message.c_str());
        QCOMPARE(latent->size(), expected.size());
        QVERIFY(allFinite(*latent));
        const double err = test::normalisedError(*latent, expected);
        qInfo("encode: error %.3g in %lld ms", err, (long long)ms);
        QVERIFY2(err <= tolerance, qPrintable(QString("error %1").arg(err)));
        QVERIFY(test::noValidationMessages());
    }

    // A 16 x 24 latent in tiles of 8 with 2 of overlap (3 x 4 tiles, the last ones flush with the
    // edges) against the whole decode. GroupNorm and attention see one tile each, which on this
    // tiny random VAE moves a lot: diffusers' own decode of an 8 x 8 tile differs from the whole
    // decode's by 0.2 (interior) to 0.5 (corner) mean relative; here 0.21 mean, 0.21 normalised.
    // The difference is smooth (seam score 2.2) where tiles that meet without overlap step (5.1).
    void tiledDecodeBlendsWithoutSeams()
    {
        auto vae = loadGolden("sd1", WeightPrecision::AsStored);
        const int h = 16, w = 24;
        const auto latent = test::randomFloats(size_t(4) * h * w, 3201, -2.0f, 2.0f);
        auto whole = vae->decode(latent, h, w);
        QVERIFY2(whole, whole ? "" : whole.error().message.c_str());
        auto oneTile = vae->decode(latent, h, w, VaeTiling{true, 32, 8});
        QVERIFY2(oneTile, oneTile ? "" : oneTile.error().message.c_str());
        QCOMPARE(*oneTile, *whole);
        QElapsedTimer timer;
        timer.start();
        auto tiled = vae->decode(latent, h, w, VaeTiling{true, 8, 2});
        const qint64 ms = timer.elapsed();
        QVERIFY2(tiled, tiled ? "" : tiled.error().message.c_str());
        auto hard = vae->decode(latent, h, w, VaeTiling{true, 8, 0});
        QVERIFY2(hard, hard ? "" : hard.error().message.c_str());
        QVERIFY(allFinite(*tiled));
        const double err = test::normalisedError(*tiled, *whole), hardErr = test::normalisedError(*hard, *whole);
        const double seams = std::max(seamScore(*tiled, *whole, h * 8, w * 8, true), seamScore(*tiled, *whole, h * 8, w * 8, false));
        const double hardSeams = std::max(seamScore(*hard, *whole, h * 8, w * 8, true), seamScore(*hard, *whole, h * 8, w * 8, false));
        qInfo("tiled: difference %.3g (mean %.3g), seam score %.3g in %lld ms; without overlap: %.3g, seam score %.3g",
              err, meanAbsDifference(*tiled, *whole), seams, (long long)ms, hardErr, hardSeams);
        QVERIFY2(err <= 0.3, qPrintable(QString("difference %1").arg(err)));
        QVERIFY2(seams <= 6.0, qPrintable(QString("seam score %1").arg(seams)));
        QVERIFY2(hardSeams > 2 * seams, qPrintable(QString("hard seams %1").arg(hardSeams)));
        QVERIFY(test::noValidationMessages());
    }

    // A 128 x 128 image (the golden one mirrored 2 x 2) in tiles of 8 latent pixels with 2 of
    // overlap against the whole encode: 0.60 normalised, 0.52 mean relative, as far as diffusers'
    // own encode of a 64-pixel tile is from its whole encode on this model (0.61 mean).
    void tiledEncodeStaysClose()
    {
        auto vae = loadGolden("sd1", WeightPrecision::AsStored);
        const test::GoldenFile golden("vae_sd1");
        const auto small = golden.floats("image");
        const int size = 128;
        std::vector<float> image(size_t(size) * size * 3);
        for (int y = 0; y < size; ++y)
            for (int x = 0; x < size; ++x)
                for (int c = 0; c < 3; ++c) {
                    const int sy = y < 64 ? y : 127 - y, sx = x < 64 ? x : 127 - x;
                    image[(size_t(y) * size + x) * 3 + c] = small[(size_t(sy) * 64 + sx) * 3 + c];
                }
        auto whole = vae->encode(image, size, size);
        QVERIFY2(whole, whole ? "" : whole.error().message.c_str());
        auto tiled = vae->encode(image, size, size, VaeTiling{true, 8, 2});
        QVERIFY2(tiled, tiled ? "" : tiled.error().message.c_str());
        QVERIFY(allFinite(*tiled));
        const double err = test::normalisedError(*tiled, *whole);
        qInfo("tiled encode: difference %.3g (mean %.3g)", err, meanAbsDifference(*tiled, *whole));
        QVERIFY2(err <= 0.8, qPrintable(QString("difference %1").arg(err)));
        QVERIFY(test::noValidationMessages());
    }

    // Opt-in timing of an SD-sized VAE (128, 256, 512, 512 channels, 2 res blocks, 32 groups):
    // ATELIER_VAE_BENCH=<a VAE .safetensors with CompVis names> decodes a 64 x 64 latent to
    // 512 x 512 and encodes it back with f16 activations, and reports times and peak memory.
    void sdSizedTiming()
    {
        const QByteArray path = qgetenv("ATELIER_VAE_BENCH");
        if (path.isEmpty())
            QSKIP("set ATELIER_VAE_BENCH to an SD-sized VAE file to time it");
        CheckpointOptions options;
        options.vaePath = path.toStdString();
        auto checkpoint = Checkpoint::open(test::goldenCheckpointPath("sd1"), options);
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        // A device of its own that records per-kernel times (validation off: this is a timing).
        vk::Device::Options deviceOptions;
        deviceOptions.profile = true;
        auto device = vk::Device::create(deviceOptions);
        QVERIFY2(device, device ? "" : device.error().message.c_str());
        auto vae = Vae::load(**device, **checkpoint, WeightPrecision::F16);
        QVERIFY2(vae, vae ? "" : vae.error().message.c_str());
        QVERIFY(!(*vae)->needsTiling(64, 64));
        const auto latent = test::randomFloats(size_t(4) * 64 * 64, 3401, -2.0f, 2.0f);
        {
            QElapsedTimer timer; // includes the pipeline compiles (about a second on lavapipe)
            timer.start();
            auto image = (*vae)->decode(latent, 64, 64);
            const qint64 decodeMs = timer.restart();
            QVERIFY2(image, image ? "" : image.error().message.c_str());
            QVERIFY(allFinite(*image));
            auto back = (*vae)->encode(*image, 512, 512);
            const qint64 encodeMs = timer.elapsed();
            QVERIFY2(back, back ? "" : back.error().message.c_str());
            QVERIFY(allFinite(*back));
            qInfo("SD-sized VAE, f16: decode 512 x 512 in %lld ms, encode in %lld ms (weights %llu MiB, device "
                  "memory held %llu MiB, process peak %s)",
                  (long long)decodeMs, (long long)encodeMs, (unsigned long long)((*vae)->weightBytes() >> 20),
                  (unsigned long long)((*device)->allocator().bytesReserved() >> 20), peakRss().c_str());
            qInfo("%s", (*device)->profiler().table().c_str());
        }
    }

    // Tiles too large for the device's memory halve, with their overlap, until they fit.
    void tilesShrinkToFit()
    {
        auto plan = planFittingVaeTiles(100, 60, VaeTiling{true, 64, 8}, [](int h, int w) { return h <= 20 && w <= 20; });
        QVERIFY2(plan, plan ? "" : plan.error().message.c_str());
        QCOMPARE(plan->tileHeight, 16);
        QCOMPARE(plan->tileWidth, 16);
        QCOMPARE(plan->ys.front(), 0);
        QCOMPARE(plan->ys[1], 14); // 16 - 2 of overlap
        QCOMPARE(plan->ys.back(), 100 - 16);
        // Nothing fits by the estimate (lavapipe reports a heap smaller than SD 1.5): 32-pixel tiles,
        // and the driver has the last word.
        auto none = planFittingVaeTiles(100, 60, VaeTiling{true, 64, 8}, [](int, int) { return false; });
        QVERIFY2(none, none ? "" : none.error().message.c_str());
        QCOMPARE(none->tileHeight, 32);
        QCOMPARE(none->ys[1], 32 - 8);
    }

    void refusesBadSizes()
    {
        auto vae = loadGolden("sd1", WeightPrecision::AsStored);
        const auto image = test::randomFloats(size_t(60) * 64 * 3, 3301);
        auto odd = vae->encode(image, 60, 64);
        QVERIFY(!odd);
        QCOMPARE(int(odd.error().code), int(ErrorCode::InvalidArgument));
        QVERIFY2(odd.error().message.find("multiples of 8") != std::string::npos, odd.error().message.c_str());
        auto short_ = vae->encode(std::vector<float>(100), 64, 64);
        QVERIFY(!short_);
        auto latent = vae->decode(std::vector<float>(4 * 8 * 8 - 1), 8, 8);
        QVERIFY(!latent);
        QCOMPARE(int(latent.error().code), int(ErrorCode::InvalidArgument));
        auto tiles = vae->decode(std::vector<float>(4 * 8 * 8), 8, 8, VaeTiling{true, 4, 2});
        QVERIFY(!tiles);
        QVERIFY2(tiles.error().message.find("overlap") != std::string::npos, tiles.error().message.c_str());
        // A latent whose activations exceed a binding wants tiles.
        QVERIFY(vae->needsTiling(1024, 1024));
        QVERIFY(test::noValidationMessages());
    }
};

ATELIER_DIFFUSION_TEST(TestVae)
#include "vae_test.moc"

// The UNet against diffusers' UNet2DConditionModel on the golden checkpoints (goldens_unet.py):
// SD 1.x (epsilon, 8 heads, 1x1-conv projections) and SD 2.x (v, 64-wide heads, linear
// projections), a CFG batch of 2 at 16x16 and a single non-square 12x8 latent through the same
// model (the run state reallocates, then is reused).

#include "golden.h"
#include "test_device.h"

#include "diffusion/checkpoint.h"
#include "diffusion/unet.h"

#include <QElapsedTimer>
#include <QtTest>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

// Measured on lavapipe: sd1 2.1e-6 (16x16) and 1.2e-6 (12x8), sd2 1.1e-6 and 1.4e-6 (f32 activations,
// the same f16-representable weights as diffusers' float32 modules).
constexpr double kTolerance = 1e-5;

struct GoldenPrediction {
    std::vector<float> x, context, expected;
    int batch, height, width, tokens;
    double timestep;
};

GoldenPrediction readPrediction(const test::GoldenFile& golden, const std::string& suffix)
{
    GoldenPrediction p;
    p.x = golden.floats("x" + suffix);
    p.context = golden.floats("context" + suffix);
    p.expected = golden.floats("out" + suffix);
    p.timestep = golden.floats("timestep" + suffix)[0];
    const std::vector<int64_t> xs = golden.shape("x" + suffix);
    p.batch = int(xs[0]);
    p.height = int(xs[2]);
    p.width = int(xs[3]);
    p.tokens = int(golden.shape("context" + suffix)[1]);
    return p;
}

Result<std::vector<float>> run(UNet& unet, const GoldenPrediction& p)
{
    return unet.predict(p.x, p.batch, p.height, p.width, p.timestep, p.context, p.tokens);
}

std::unique_ptr<UNet> loadGolden(const QString& family, WeightPrecision precision)
{
    auto checkpoint = Checkpoint::open(test::goldenCheckpointPath(family));
    if (!checkpoint)
        qFatal("%s", checkpoint.error().message.c_str());
    auto unet = UNet::load(*test::testDevice(), **checkpoint, precision);
    if (!unet)
        qFatal("%s", unet.error().message.c_str());
    return std::move(*unet);
}

} // namespace

class TestUNet : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY(test::testDevice()); }

    void matchesDiffusers_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<int>("precision");
        QTest::newRow("sd1") << "sd1" << int(WeightPrecision::AsStored);
        QTest::newRow("sd2") << "sd2" << int(WeightPrecision::AsStored);
        // The golden files hold f16 weights, so F16 binds the same numbers: this checks the path.
        QTest::newRow("sd1 f16") << "sd1" << int(WeightPrecision::F16);
    }

    void matchesDiffusers()
    {
        QFETCH(QString, family);
        QFETCH(int, precision);
        const test::GoldenFile golden("unet_" + family);
        auto unet = loadGolden(family, WeightPrecision(precision));
        QVERIFY(unet->weightBytes() > 0);

        const GoldenPrediction cfg = readPrediction(golden, "");
        QElapsedTimer timer;
        timer.start();
        auto out = run(*unet, cfg);
        QVERIFY2(out, out ? "" : out.error().message.c_str());
        const double error = test::normalisedError(*out, cfg.expected);
        qInfo("%s batch 2 at 16x16: normalised error %.3g, %lld ms (first call, pipelines included)",
              qPrintable(family), error, (long long)timer.elapsed());
        QVERIFY2(error < kTolerance, qPrintable(QString::number(error)));

        // Another shape reallocates the run state; the first shape again must give the same numbers.
        const GoldenPrediction single = readPrediction(golden, "2");
        auto out2 = run(*unet, single);
        QVERIFY2(out2, out2 ? "" : out2.error().message.c_str());
        const double error2 = test::normalisedError(*out2, single.expected);
        qInfo("%s batch 1 at 12x8: normalised error %.3g", qPrintable(family), error2);
        QVERIFY2(error2 < kTolerance, qPrintable(QString::number(error2)));

        timer.restart();
        auto again = run(*unet, cfg);
        QVERIFY2(again, again ? "" : again.error().message.c_str());
        qInfo("%s batch 2 at 16x16 again: %lld ms", qPrintable(family), (long long)timer.elapsed());
        QCOMPARE(*again, *out);
        QVERIFY(test::noValidationMessages());
    }

    void refusesBadInputs()
    {
        auto unet = loadGolden("sd1", WeightPrecision::AsStored);
        const int c = unet->config().inChannels, x = unet->config().contextDim;
        const std::vector<float> context(size_t(77 * x));
        // 3 levels: sides must be multiples of 4.
        const std::vector<float> odd(size_t(c * 10 * 8));
        auto refused = unet->predict(odd, 1, 10, 8, 999.0, context, 77);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.find("multiple of 4") != std::string::npos, refused.error().message.c_str());
        // A context of the wrong width.
        const std::vector<float> latent(size_t(c * 8 * 8));
        refused = unet->predict(latent, 1, 8, 8, 999.0, std::vector<float>(77 * (x + 1)), 77);
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.find("context") != std::string::npos, refused.error().message.c_str());
        QVERIFY(test::noValidationMessages());
    }
};

ATELIER_DIFFUSION_TEST(TestUNet)
#include "unet_test.moc"

// The golden checkpoints open through the single-file loader with the configuration
// golden_models.py built them with, so every golden test runs the shapes it means to.

#include "golden.h"

#include "diffusion/checkpoint.h"

#include <QtTest>

using namespace atelier;
using namespace atelier::diffusion;

class TestGoldenCheckpoints : public QObject {
    Q_OBJECT

private slots:
    void openWithTheirConfiguration_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<int>("generation");
        QTest::addColumn<int>("prediction");
        QTest::addColumn<int>("contextDim");
        QTest::addColumn<QList<int>>("heads");
        QTest::addColumn<int>("textActivation");
        QTest::newRow("sd1") << "sd1" << int(Generation::Sd1) << int(Prediction::Epsilon) << 32 << QList<int>{8, 8, 0}
                             << int(TextActivation::QuickGelu);
        QTest::newRow("sd2") << "sd2" << int(Generation::Sd2) << int(Prediction::V) << 64 << QList<int>{1, 1, 0}
                             << int(TextActivation::Gelu);
    }

    void openWithTheirConfiguration()
    {
        QFETCH(QString, family);
        QFETCH(int, generation);
        QFETCH(int, prediction);
        QFETCH(int, contextDim);
        QFETCH(QList<int>, heads);
        QFETCH(int, textActivation);
        auto checkpoint = Checkpoint::open(test::goldenCheckpointPath(family));
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        const CheckpointConfig& c = (*checkpoint)->config();
        QCOMPARE(int(c.generation), generation);
        QCOMPARE(int(c.prediction), prediction);
        QCOMPARE(c.unet.modelChannels, 32);
        QCOMPARE(c.unet.channelMult, (std::vector<int>{1, 2, 2}));
        QCOMPARE(c.unet.resBlocks, 1);
        QCOMPARE(c.unet.attention, (std::vector<bool>{true, true, false}));
        QCOMPARE(c.unet.heads, std::vector<int>(heads.begin(), heads.end()));
        QCOMPARE(c.unet.contextDim, contextDim);
        QCOMPARE(c.unet.normGroups, 32);
        QCOMPARE(c.vae.baseChannels, 16);
        QCOMPARE(c.vae.channelMult, (std::vector<int>{1, 2, 2, 2}));
        QCOMPARE(c.vae.downscale(), 8);
        QCOMPARE(c.text.width, contextDim);
        QCOMPARE(c.text.layers, 3);
        QCOMPARE(c.text.heads, 1);
        QCOMPARE(int(c.text.activation), textActivation);
    }
};

ATELIER_DIFFUSION_TEST(TestGoldenCheckpoints)
#include "golden_checkpoint_test.moc"

// Whole generations on the golden checkpoints: 4 guided Euler steps from seeded noise against
// diffusers + k-diffusion (goldens_pipeline.py), then what a user relies on: a seed gives the same
// bytes again, Cancel stops between steps, img2img runs the later steps only, bad requests are
// refused with a reason, and the PNG carries parameters A1111's parser reads back.

#include "golden.h"

#include "create/picture_png.h"
#include "diffusion/generation.h"
#include "diffusion/generation_json.h"
#include "diffusion/prompt_chunks.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/text_encoder.h"
#include "diffusion/vae.h"
#include "io/png_text.h"
#include "test_device.h"

#include <QtTest>

#include <atomic>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

std::unique_ptr<StableDiffusion> loadGolden(const QString& family, WeightPrecision precision = WeightPrecision::AsStored,
                                            vk::Device* device = test::testDevice())
{
    StableDiffusionOptions options;
    options.precision = precision;
    auto model = StableDiffusion::load(*device, test::goldenCheckpointPath(family), options);
    if (!model)
        qFatal("cannot load the golden %s: %s", qPrintable(family), model.error().message.c_str());
    return std::move(*model);
}

ChunkedPrompt promptOf(const std::vector<int32_t>& ids)
{
    ChunkedPrompt prompt;
    PromptChunk chunk;
    std::copy(ids.begin(), ids.end(), chunk.ids.begin());
    chunk.weights.fill(1.0f);
    prompt.chunks.push_back(chunk);
    return prompt;
}

GenerationRequest smallRequest()
{
    GenerationRequest r;
    r.prompt = QStringLiteral("a small red circle at the top left");
    r.negativePrompt = QStringLiteral("blurry");
    r.width = 64;
    r.height = 64;
    r.steps = 3;
    r.seed = 5;
    return r;
}

std::vector<float> gradientPicture(int width, int height)
{
    std::vector<float> rgb(size_t(width) * size_t(height) * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c)
                rgb[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)] =
                    c == 0 ? 2.0f * x / width - 1.0f : c == 1 ? 2.0f * y / height - 1.0f : 0.25f;
    return rgb;
}

} // namespace

class TestPipeline : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(test::testDevice(), "no Vulkan device"); }

    void eulerRunMatchesDiffusers_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<bool>("gpuPaths"); // test::gpuPathsDevice: on lavapipe, as a discrete GPU would
        QTest::newRow("sd1 epsilon") << "sd1" << false;
        QTest::newRow("sd2 v-prediction") << "sd2" << false;
        QTest::newRow("sd1 epsilon, GPU paths") << "sd1" << true;
        QTest::newRow("sd2 v-prediction, GPU paths") << "sd2" << true;
    }

    void eulerRunMatchesDiffusers()
    {
        QFETCH(QString, family);
        QFETCH(bool, gpuPaths);
        vk::Device* device = gpuPaths ? test::gpuPathsDevice() : test::testDevice();
        QVERIFY(device);
        const test::GoldenFile golden(QStringLiteral("pipeline_") + family);
        auto model = loadGolden(family, WeightPrecision::AsStored, device);
        Conditioning conditioning;
        ASSIGN_OR_FAIL(conditioning.cond, model->textEncoder().condition(promptOf(golden.ints("cond_ids"))));
        ASSIGN_OR_FAIL(conditioning.uncond, model->textEncoder().condition(promptOf(golden.ints("uncond_ids"))));
        conditioning.tokens = kChunkTokens;

        SamplingRequest request;
        request.latentWidth = 8;
        request.latentHeight = 8;
        request.steps = 4;
        request.cfgScale = golden.floats("cfg_scale")[0];
        request.sampler = {SamplerKind::Euler, ScheduleKind::Automatic};
        request.seed = uint64_t(golden.ints("seed")[0]);
        int steps = 0;
        GenerationCallbacks callbacks;
        callbacks.onStep = [&](const GenerationStep& s) {
            QCOMPARE(s.step, steps);
            QCOMPARE(s.preview.size(), size_t(8 * 8 * 3));
            ++steps;
        };
        auto latent = sampleLatent(*model, conditioning, request, callbacks);
        VERIFY_OK(latent);
        QCOMPARE(steps, 4);
        const double latentError = test::normalisedError(*latent, golden.floats("latent"));
        auto image = model->vae().decode(*latent, 8, 8);
        VERIFY_OK(image);
        const double imageError = test::normalisedError(*image, golden.floats("image"));
        qInfo("%s: latent error %.2e, image error %.2e", qPrintable(family), latentError, imageError);
        QVERIFY(latentError < 5e-5);
        QVERIFY(imageError < 5e-5);
        QVERIFY(test::noValidationMessages(device));
    }

    void aSeedGivesTheSameBytes()
    {
        auto model = loadGolden("sd1", WeightPrecision::F16);
        GenerationRequest r = smallRequest();
        auto first = generate(*model, r);
        VERIFY_OK(first);
        auto again = generate(*model, r);
        QVERIFY(again);
        QVERIFY(first->rgb == again->rgb);
        r.seed = 6;
        auto other = generate(*model, r);
        QVERIFY(other);
        QVERIFY(first->rgb != other->rgb);
        QCOMPARE(first->rgb.size(), size_t(64 * 64 * 3));
        QVERIFY(test::noValidationMessages());
    }

    void cancelStopsBetweenSteps()
    {
        auto model = loadGolden("sd1", WeightPrecision::F16);
        std::atomic<bool> cancel = false;
        int steps = 0;
        GenerationCallbacks callbacks;
        callbacks.cancel = &cancel;
        callbacks.onStep = [&](const GenerationStep&) {
            ++steps;
            cancel = true;
        };
        auto image = generate(*model, smallRequest(), callbacks);
        QVERIFY(!image);
        QCOMPARE(image.error().code, ErrorCode::Cancelled);
        QCOMPARE(steps, 1);
    }

    void img2imgRunsTheLaterSteps()
    {
        auto model = loadGolden("sd1", WeightPrecision::F16);
        GenerationRequest r = smallRequest();
        r.steps = 10;
        r.initImage = gradientPicture(64, 64);
        r.strength = 0.3;
        int steps = 0;
        GenerationCallbacks callbacks;
        callbacks.onStep = [&](const GenerationStep& s) { steps = s.steps; };
        auto image = generate(*model, r, callbacks);
        VERIFY_OK(image);
        QCOMPARE(steps, 4); // A1111: int(0.3 * 10) + 1 of the 10 steps' noise levels
        QCOMPARE(image->parameters.denoisingStrength.value_or(0), 0.3);
        r.initImage.resize(10);
        auto wrongSize = generate(*model, r);
        QVERIFY(!wrongSize);
        QVERIFY(QString::fromStdString(wrongSize.error().message).contains("64x64"));
    }

    void refusesWhatTheModelCannotDo_data()
    {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("steps");
        QTest::addColumn<double>("cfg");
        QTest::addColumn<QString>("message");
        QTest::newRow("width 60") << 60 << 3 << 7.0 << "multiple of";
        QTest::newRow("0 steps") << 64 << 0 << 7.0 << "steps";
        QTest::newRow("NaN cfg") << 64 << 3 << std::nan("") << "CFG";
    }

    void refusesWhatTheModelCannotDo()
    {
        QFETCH(int, width);
        QFETCH(int, steps);
        QFETCH(double, cfg);
        QFETCH(QString, message);
        static auto model = loadGolden("sd1", WeightPrecision::F16);
        GenerationRequest r = smallRequest();
        r.width = width;
        r.steps = steps;
        r.cfgScale = cfg;
        auto image = generate(*model, r);
        QVERIFY(!image);
        QCOMPARE(image.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(image.error().message).contains(message), image.error().message.c_str());
    }

    void pngCarriesA1111Parameters()
    {
        auto model = loadGolden("sd1", WeightPrecision::F16);
        GenerationRequest r = smallRequest();
        r.sampler = {SamplerKind::DpmPp2M, ScheduleKind::Karras};
        r.cfgScale = 6.5;
        auto image = generate(*model, r);
        VERIFY_OK(image);
        auto png = ui::encodePicturePng(*image, generationJson(r, *image));
        VERIFY_OK(png);
        QVERIFY(QImage::fromData(*png, "PNG").size() == QSize(64, 64));
        auto chunks = io::readPngText(*png);
        QVERIFY(chunks);
        QCOMPARE(chunks->size(), 2);
        QCOMPARE(chunks->at(0).keyword, QStringLiteral("parameters"));
        const QString text = chunks->at(0).text;
        QVERIFY2(text.startsWith("a small red circle at the top left\nNegative prompt: blurry\nSteps: 3, Sampler: DPM++ 2M, "
                                 "Schedule type: Karras, CFG scale: 6.5, Seed: 5, Size: 64x64, Model hash: "),
                 qPrintable(text));
        QVERIFY2(text.contains(", Model: golden_sd1"), qPrintable(text));
        auto parsed = parseA1111(text);
        QVERIFY(parsed);
        QCOMPARE(parsed->prompt, r.prompt);
        QCOMPARE(parsed->seed, quint64(5));
        QCOMPARE(parsed->modelHash.size(), 10);
        QCOMPARE(chunks->at(1).keyword, QStringLiteral("atelier"));
        QVERIFY(chunks->at(1).text.contains("\"seed\":\"5\""));
    }
};

ATELIER_DIFFUSION_TEST(TestPipeline)
#include "pipeline_test.moc"

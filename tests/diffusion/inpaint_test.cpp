// Inpainting on the golden checkpoints (issue 7): what a user notices is that pixels outside the
// mask and its feather come back as the same bytes while the masked area is repainted, with a
// regular model (latent blending) and a dedicated 9-channel one; only-masked crops paste back at
// full size; the fills differ; grow and feather shape the mask (the VkFFT blur against direct
// convolution); outpainting changes only the new area; bad requests say what is wrong.

#include "golden.h"
#include "test_models.h"

#include "diffusion/inpaint.h"
#include "diffusion/inpaint_crop.h"
#include "diffusion/inpaint_mask.h"
#include "diffusion/prompt_chunks.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/text_encoder.h"
#include "ops/fft.h"
#include "test_device.h"

#include <QtTest>

#include <atomic>
#include <cmath>
#include <map>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

InpaintRequest request(int width, int height)
{
    InpaintRequest r;
    r.generation.prompt = QStringLiteral("a small red circle");
    r.generation.negativePrompt = QStringLiteral("blurry");
    r.generation.width = width;
    r.generation.height = height;
    r.generation.steps = 3;
    r.generation.seed = 9;
    r.generation.strength = 1.0;
    r.generation.initImage = test::structuredPicture(width, height);
    r.mask = test::rectangleMask(width, height, width / 4, height / 4, width / 2, height / 2);
    r.feather = 2;
    return r;
}

struct Changes {
    int outsideChanged = 0;  // pixels farther than `reach` from the mask with any byte changed
    int outside = 0;
    int insideChanged = 0;   // mask pixels with any byte changed
    int inside = 0;
};

// Chebyshev distance to the nearest mask pixel > reach counts as outside.
Changes compare(const std::vector<uint8_t>& before, const std::vector<uint8_t>& after, const std::vector<float>& mask,
                int width, int height, int reach)
{
    Changes c;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            bool near = false;
            for (int dy = -reach; dy <= reach && !near; ++dy)
                for (int dx = -reach; dx <= reach && !near; ++dx) {
                    const int yy = y + dy, xx = x + dx;
                    near = yy >= 0 && yy < height && xx >= 0 && xx < width &&
                           mask[size_t(yy) * size_t(width) + size_t(xx)] > 0;
                }
            const size_t p = (size_t(y) * size_t(width) + size_t(x)) * 3;
            const bool changed = before[p] != after[p] || before[p + 1] != after[p + 1] || before[p + 2] != after[p + 2];
            if (mask[size_t(y) * size_t(width) + size_t(x)] >= 1.0f) {
                ++c.inside;
                c.insideChanged += changed;
            } else if (!near) {
                ++c.outside;
                c.outsideChanged += changed;
            }
        }
    return c;
}

// The clamped-edge Gaussian by direct convolution (the blur ops::GaussianBlur documents).
std::vector<float> referenceBlur(const std::vector<float>& x, int width, int height, float sigma)
{
    const int r = ops::GaussianBlur::radiusFor(sigma);
    std::vector<double> g(size_t(2 * r + 1));
    double sum = 0;
    for (int d = -r; d <= r; ++d)
        sum += g[size_t(d + r)] = std::exp(-double(d) * d / (2.0 * double(sigma) * sigma));
    for (double& v : g)
        v /= sum;
    std::vector<double> tmp(x.size());
    std::vector<float> out(x.size());
    for (int y = 0; y < height; ++y)
        for (int xx = 0; xx < width; ++xx) {
            double s = 0;
            for (int d = -r; d <= r; ++d)
                s += g[size_t(d + r)] * x[size_t(y) * size_t(width) + size_t(std::clamp(xx - d, 0, width - 1))];
            tmp[size_t(y) * size_t(width) + size_t(xx)] = s;
        }
    for (int y = 0; y < height; ++y)
        for (int xx = 0; xx < width; ++xx) {
            double s = 0;
            for (int d = -r; d <= r; ++d)
                s += g[size_t(d + r)] * tmp[size_t(std::clamp(y - d, 0, height - 1)) * size_t(width) + size_t(xx)];
            out[size_t(y) * size_t(width) + size_t(xx)] = float(s);
        }
    return out;
}

} // namespace

class TestInpaint : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(test::testDevice(), "no Vulkan device"); }

    void keepsOutsideRepaintsInside_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<double>("strength");
        QTest::addColumn<int>("sampler");
        const int eulerA = int(SamplerKind::EulerAncestral), ddim = int(SamplerKind::Ddim);
        QTest::newRow("regular sd1, latent blending") << "sd1" << 0.75 << eulerA;
        QTest::newRow("regular sd1, DDIM (ends above sigma 0)") << "sd1" << 0.75 << ddim;
        QTest::newRow("dedicated sd1 inpainting, 9 channels") << "sd1_inpaint" << 1.0 << eulerA;
    }

    void keepsOutsideRepaintsInside()
    {
        QFETCH(QString, family);
        QFETCH(double, strength);
        QFETCH(int, sampler);
        StableDiffusion& model = test::goldenModel(family);
        QCOMPARE(model.config().family, family == "sd1" ? ModelFamily::Sd1 : ModelFamily::Sd1Inpaint);
        InpaintRequest r = request(64, 64);
        r.generation.strength = strength;
        r.generation.sampler = {SamplerKind(sampler), ScheduleKind::Automatic};
        int steps = 0;
        GenerationCallbacks callbacks;
        callbacks.onStep = [&](const GenerationStep&) { ++steps; };
        ASSIGN_OR_FAIL(const GeneratedImage image, inpaint(model, r, callbacks));
        QCOMPARE(image.width, 64);
        QCOMPARE(image.height, 64);
        QVERIFY(steps > 0);
        const Changes c = compare(toBytes(r.generation.initImage), image.rgb, r.mask, 64, 64,
                                  ops::GaussianBlur::radiusFor(float(r.feather)));
        qInfo("%s: %d of %d outside pixels changed, %d of %d mask pixels changed", qPrintable(family),
              c.outsideChanged, c.outside, c.insideChanged, c.inside);
        QVERIFY(c.outside > 2000);
        QCOMPARE(c.outsideChanged, 0);
        QVERIFY(c.insideChanged > c.inside * 3 / 4);
        QCOMPARE(image.parameters.maskBlur, std::optional<int>(2));
        QCOMPARE(image.parameters.denoisingStrength, std::optional<double>(strength));
        QVERIFY(test::noValidationMessages());
    }

    // The 9-channel UNet input against diffusers' StableDiffusionInpaintPipeline order, [scaled
    // latent | mask | masked-picture latent], over 2 guided Euler steps (goldens_inpaint.py).
    void dedicatedInputMatchesDiffusers()
    {
        const test::GoldenFile reference(QStringLiteral("inpaint_sd1_inpaint"));
        StableDiffusion& model = test::goldenModel(QStringLiteral("sd1_inpaint"));
        auto promptOf = [](const std::vector<int32_t>& ids) {
            ChunkedPrompt prompt;
            PromptChunk chunk;
            std::copy(ids.begin(), ids.end(), chunk.ids.begin());
            chunk.weights.fill(1.0f);
            prompt.chunks.push_back(chunk);
            return prompt;
        };
        Conditioning conditioning;
        ASSIGN_OR_FAIL(conditioning.cond, model.textEncoder().condition(promptOf(reference.ints("cond_ids"))));
        ASSIGN_OR_FAIL(conditioning.uncond, model.textEncoder().condition(promptOf(reference.ints("uncond_ids"))));
        conditioning.tokens = kChunkTokens;
        SamplingRequest sampling;
        sampling.latentWidth = 8;
        sampling.latentHeight = 8;
        sampling.steps = 2;
        sampling.cfgScale = reference.floats("cfg_scale")[0];
        sampling.sampler = {SamplerKind::Euler, ScheduleKind::Automatic};
        sampling.seed = uint64_t(reference.ints("seed")[0]);
        sampling.extraChannels = reference.floats("mask");
        const std::vector<float> masked = reference.floats("masked_latent");
        sampling.extraChannels.insert(sampling.extraChannels.end(), masked.begin(), masked.end());
        ASSIGN_OR_FAIL(const Latent latent, sampleLatent(model, conditioning, sampling, {}));
        const double err = test::normalisedError(latent, reference.floats("latent"));
        qInfo("9-channel sampling against diffusers: normalised error %.2e", err);
        QVERIFY(err < 5e-5);
        // The wrong number of extra channels is refused.
        sampling.extraChannels.resize(4 * 64);
        QVERIFY(!sampleLatent(model, conditioning, sampling, {}).ok());
        QVERIFY(test::noValidationMessages());
    }

    void onlyMaskedPastesBackAtFullSize()
    {
        StableDiffusion& model = test::goldenModel(QStringLiteral("sd1"));
        // Not a multiple of 32: only the crop, at the model's size, goes through the networks.
        InpaintRequest r = request(150, 90);
        r.mask = test::rectangleMask(150, 90, 100, 50, 116, 66);
        r.onlyMasked = true;
        r.padding = 8;
        r.workSide = 64;  // the golden model's 512 takes minutes on lavapipe
        QElapsedTimer timer;
        timer.start();
        ASSIGN_OR_FAIL(const GeneratedImage image, inpaint(model, r));
        QCOMPARE(image.width, 150);
        QCOMPARE(image.height, 90);
        QCOMPARE(image.rgb.size(), size_t(150 * 90 * 3));
        const Changes c = compare(toBytes(r.generation.initImage), image.rgb, r.mask, 150, 90,
                                  ops::GaussianBlur::radiusFor(float(r.feather)));
        qInfo("only masked in %lld ms: %d of %d outside pixels changed, %d of %d mask pixels changed",
              timer.elapsed(), c.outsideChanged, c.outside, c.insideChanged, c.inside);
        QCOMPARE(c.outsideChanged, 0);
        QVERIFY(c.insideChanged > c.inside * 3 / 4);
        QVERIFY(test::noValidationMessages());
    }

    void cropBoxFollowsTheMask()
    {
        const std::vector<float> mask = test::rectangleMask(150, 90, 100, 50, 116, 66);
        ASSIGN_OR_FAIL(const CropBox box, maskBox(mask, 150, 90, 8));
        QCOMPARE(box, (CropBox{92, 42, 32, 32}));
        QCOMPARE(expandToAspect(box, 512, 256, 150, 90), (CropBox{76, 42, 64, 32}));
        QCOMPARE(expandToAspect(CropBox{140, 0, 10, 90}, 512, 512, 150, 90), (CropBox{60, 0, 90, 90}));
        int w = 0, h = 0;
        workSizeFor(CropBox{0, 0, 64, 32}, 512, 32, &w, &h);
        QCOMPARE(w, 736);
        QCOMPARE(h, 352);
        QVERIFY(!maskBox(std::vector<float>(150 * 90, 0.0f), 150, 90, 8).ok());
    }

    void fillModesDiffer()
    {
        StableDiffusion& model = test::goldenModel(QStringLiteral("sd1"));
        std::map<MaskedFill, std::vector<uint8_t>> results;
        const std::vector<uint8_t> before = toBytes(request(64, 64).generation.initImage);
        for (MaskedFill fill : {MaskedFill::Original, MaskedFill::Noise, MaskedFill::Blur}) {
            InpaintRequest r = request(64, 64);
            r.fill = fill;
            r.generation.strength = 0.6;
            ASSIGN_OR_FAIL(const GeneratedImage image, inpaint(model, r));
            const Changes c = compare(before, image.rgb, r.mask, 64, 64, ops::GaussianBlur::radiusFor(2.0f));
            QCOMPARE(c.outsideChanged, 0);
            QCOMPARE(image.parameters.extras.first().second, QString::fromLatin1(maskedFillName(fill)));
            results[fill] = image.rgb;
        }
        QVERIFY(results[MaskedFill::Original] != results[MaskedFill::Noise]);
        QVERIFY(results[MaskedFill::Original] != results[MaskedFill::Blur]);
        QVERIFY(results[MaskedFill::Noise] != results[MaskedFill::Blur]);
        QVERIFY(parseMaskedFill("blur").ok());
        QVERIFY(!parseMaskedFill("latent nothing").ok());
        QVERIFY(test::noValidationMessages());
    }

    void blurFillTakesTheSurroundings_data()
    {
        QTest::addColumn<int>("width");
        QTest::addColumn<int>("height");
        QTest::newRow("48x40, blurred as is") << 48 << 40;
        QTest::newRow("600x520, blurred at a third") << 600 << 520;
    }

    void blurFillTakesTheSurroundings()
    {
        // A hole in a flat picture is filled with that colour; pixels outside the hole are kept.
        QFETCH(int, width);
        QFETCH(int, height);
        std::vector<float> flat(size_t(width) * size_t(height) * 3);
        for (size_t i = 0; i < flat.size(); ++i)
            flat[i] = i % 3 == 0 ? 0.5f : -0.25f;
        const std::vector<float> mask = test::rectangleMask(width, height, width / 5, height / 4, width * 3 / 5, height * 5 / 8);
        std::vector<float> holed = flat;
        for (size_t p = 0; p < mask.size(); ++p)
            if (mask[p] > 0)
                holed[p * 3] = holed[p * 3 + 1] = holed[p * 3 + 2] = 1.0f;
        ASSIGN_OR_FAIL(const std::vector<float> filled,
                       fillFromSurroundings(*test::testDevice(), holed, mask, width, height));
        const double err = test::normalisedError(filled, flat);
        qInfo("%dx%d: normalised error %.2e", width, height, err);
        QVERIFY(err < 1e-4);
        QVERIFY(test::noValidationMessages());
    }

    void growAndFeatherShapeTheMask()
    {
        const int w = 40, h = 36;
        const std::vector<float> mask = test::rectangleMask(w, h, 12, 10, 24, 20);
        auto at = [w](const std::vector<float>& m, int x, int y) { return m[size_t(y) * size_t(w) + size_t(x)]; };
        const std::vector<float> grown = growMask(mask, w, h, 3);
        QCOMPARE(at(grown, 9, 15), 1.0f);   // 3 left of the edge
        QCOMPARE(at(grown, 8, 15), 0.0f);
        QCOMPARE(at(grown, 18, 22), 1.0f);  // 3 below
        QCOMPARE(at(grown, 9, 7), 0.0f);    // the corner is a disc's, not a square's
        const std::vector<float> shrunk = growMask(mask, w, h, -2);
        QCOMPARE(at(shrunk, 14, 15), 1.0f);
        QCOMPARE(at(shrunk, 13, 15), 0.0f);
        QCOMPARE(growMask(shrunk, w, h, 0), shrunk);
        // Soft random masks against the brute-force disc (max / min over dx^2 + dy^2 <= r^2).
        std::vector<float> random = test::randomFloats(size_t(23 * 19), 5u, 0.0f, 1.0f);
        for (int pixels : {1, 3, -2, 30}) {
            const int r = std::abs(pixels);
            std::vector<float> expected(random.size());
            for (int y = 0; y < 19; ++y)
                for (int x = 0; x < 23; ++x) {
                    float v = random[size_t(y * 23 + x)];
                    for (int dy = -r; dy <= r; ++dy)
                        for (int dx = -r; dx <= r; ++dx)
                            if (dx * dx + dy * dy <= r * r && y + dy >= 0 && y + dy < 19 && x + dx >= 0 && x + dx < 23) {
                                const float u = random[size_t((y + dy) * 23 + x + dx)];
                                v = pixels > 0 ? std::max(v, u) : std::min(v, u);
                            }
                    expected[size_t(y * 23 + x)] = v;
                }
            QCOMPARE(growMask(random, 23, 19, pixels), expected);
        }

        for (int feather : {1, 3, 6}) {
            ASSIGN_OR_FAIL(const std::vector<float> soft, featherMask(*test::testDevice(), grown, w, h, feather));
            // The reference snapped as featherMask snaps (within kMaskSnap of 0 or 1).
            std::vector<float> reference = referenceBlur(grown, w, h, float(feather));
            for (float& v : reference)
                v = v < kMaskSnap ? 0.0f : v > 1.0f - kMaskSnap ? 1.0f : v;
            double worst = 0;
            for (size_t i = 0; i < soft.size(); ++i)
                worst = std::max(worst, double(std::abs(soft[i] - reference[i])));
            const double err = test::normalisedError(soft, reference);
            qInfo("feather %d: normalised error %.2e, max abs %.2e", feather, err, worst);
            QVERIFY(err < 1e-4);
            QVERIFY(worst <= double(kMaskSnap) + 1e-5);
            // Far from the mask it is exactly 0 (the corner lies 7 and 9 pixels off the grown
            // mask, past the tail for feathers 1 and 3), inside its core exactly 1.
            if (feather <= 3) {
                QCOMPARE(at(soft, 0, 0), 0.0f);
            }
            if (feather == 1) {
                QCOMPARE(at(soft, 18, 15), 1.0f);
            }
        }
        QVERIFY(test::noValidationMessages());
    }

    void outpaintingChangesOnlyTheNewArea()
    {
        StableDiffusion& model = test::goldenModel(QStringLiteral("sd1"));
        const std::vector<float> small = test::structuredPicture(64, 32);
        ASSIGN_OR_FAIL(const ExtendedCanvas canvas, extendCanvas(small, 64, 32, CanvasExtension{0, 16, 32, 16}));
        QCOMPARE(canvas.width, 96);
        QCOMPARE(canvas.height, 64);
        InpaintRequest r = request(96, 64);
        r.generation.initImage = canvas.picture;
        r.mask = canvas.mask;
        r.feather = 0;
        ASSIGN_OR_FAIL(const GeneratedImage image, inpaint(model, r));
        const std::vector<uint8_t> old = toBytes(small);
        int oldChanged = 0, newChanged = 0, newPixels = 0;
        const std::vector<uint8_t> before = toBytes(canvas.picture);
        for (int y = 0; y < 64; ++y)
            for (int x = 0; x < 96; ++x) {
                const size_t p = (size_t(y) * 96 + size_t(x)) * 3;
                const bool changed = before[p] != image.rgb[p] || before[p + 1] != image.rgb[p + 1] ||
                                     before[p + 2] != image.rgb[p + 2];
                if (x < 64 && y >= 16 && y < 48) {
                    const size_t q = (size_t(y - 16) * 64 + size_t(x)) * 3;
                    oldChanged += image.rgb[p] != old[q] || image.rgb[p + 1] != old[q + 1] ||
                                  image.rgb[p + 2] != old[q + 2];
                } else {
                    ++newPixels;
                    newChanged += changed;
                }
            }
        qInfo("outpainting: %d old pixels changed, %d of %d new pixels changed", oldChanged, newChanged, newPixels);
        QCOMPARE(oldChanged, 0);
        QVERIFY(newChanged > newPixels * 3 / 4);
        QVERIFY(!extendCanvas(small, 64, 32, CanvasExtension{-1, 0, 0, 0}).ok());
        QVERIFY(test::noValidationMessages());
    }

    void cancelStopsBetweenSteps()
    {
        std::atomic<bool> cancel{false};
        GenerationCallbacks callbacks;
        callbacks.cancel = &cancel;
        int steps = 0;
        callbacks.onStep = [&](const GenerationStep&) {
            ++steps;
            cancel = true;
        };
        auto result = inpaint(test::goldenModel(QStringLiteral("sd1")), request(64, 64), callbacks);
        QVERIFY(!result.ok());
        QCOMPARE(result.error().code, ErrorCode::Cancelled);
        QCOMPARE(steps, 1);
        QVERIFY(test::noValidationMessages());
    }

    void badRequestsSayWhy_data()
    {
        QTest::addColumn<QString>("what");
        QTest::addColumn<QString>("message");
        QTest::newRow("odd size") << "odd" << "multiple of 32";
        QTest::newRow("mask size") << "mask" << "mask must have the picture's size 64x64";
        QTest::newRow("no picture") << "picture" << "picture must be 64x64 RGB";
        QTest::newRow("negative feather") << "feather" << "feather must be between";
        QTest::newRow("empty mask, only masked") << "empty" << "mask is empty";
        QTest::newRow("inpainting model without a mask") << "plain" << "needs a mask";
    }

    void badRequestsSayWhy()
    {
        QFETCH(QString, what);
        QFETCH(QString, message);
        InpaintRequest r = request(64, 64);
        if (what == "odd") {
            r = request(60, 60);
        } else if (what == "mask") {
            r.mask.resize(32 * 32);
        } else if (what == "picture") {
            r.generation.initImage.clear();
        } else if (what == "feather") {
            r.feather = -1;
        } else if (what == "empty") {
            r.onlyMasked = true;
            r.mask.assign(r.mask.size(), 0.0f);
        }
        Result<GeneratedImage> result = what == "plain"
            ? generate(test::goldenModel(QStringLiteral("sd1_inpaint")), r.generation)
            : inpaint(test::goldenModel(QStringLiteral("sd1")), r);
        QVERIFY(!result.ok());
        QVERIFY2(QString::fromStdString(result.error().message).contains(message),
                 result.error().message.c_str());
    }
};

ATELIER_DIFFUSION_TEST(TestInpaint)
#include "inpaint_test.moc"

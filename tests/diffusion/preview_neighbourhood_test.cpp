// The per-step preview's 3x3 neighbourhood map (issue 18). Before the first decoded preview, the
// preview is a map of the latent; the shapes model's decoder paints a latent pixel from its
// neighbours, so a map of each pixel's 3x3 neighbourhood (fitted by least squares like the affine
// one) follows the VAE closer once it has learnt from finished pictures. Through the real engine:
// on pictures the model paints, a neighbourhood map fitted on the others predicts a picture's
// decoded colours better than the affine map fitted on the same pairs, and the preview picks it;
// the fit recovers a known neighbourhood map, is deterministic, and stays finite on degenerate
// latents. With ATELIER_PREVIEW_EVALUATION=1, the table of the steps before the first decode in
// resources/shapes_model/README.md.

#include "golden.h"

#include "diffusion/generation.h"
#include "diffusion/preview_fit.h"
#include "diffusion/preview_map.h"
#include "diffusion/preview_steps.h"
#include "diffusion/sampling/sampler_kind.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/vae.h"
#include "test_device.h"

#include <QtTest>

#include <chrono>
#include <cmath>
#include <random>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

const std::string kShapesModel = ATELIER_DIFFUSION_TEST_DIR "/../../resources/shapes_model/atelier-shapes-sd1.safetensors";

const char* const kPrompts[] = {"a large yellow square in the centre on a purple background",
                                "a large red circle in the centre on a blue background",
                                "a small white triangle at the top left on a green background",
                                "two small orange stars on a cyan striped background",
                                "a large black cross on the right on a pink background"};

std::unique_ptr<StableDiffusion>& shapes()
{
    static std::unique_ptr<StableDiffusion> model;
    return model;
}

// Create's sampler (Euler a, CFG 7) at the model's 128 x 128.
GenerationRequest shapesRequest(const char* prompt, int steps)
{
    GenerationRequest r;
    r.prompt = QString::fromUtf8(prompt);
    r.width = r.height = 128;
    r.steps = steps;
    r.cfgScale = 7.0;
    r.sampler = SamplerChoice{SamplerKind::EulerAncestral, ScheduleKind::Automatic};
    r.seed = 3;
    return r;
}

// A picture's pairs: its latent [4, 16, 16] and the 8x8 block averages of the VAE's decode of it.
struct Painted {
    Latent latent;
    std::vector<float> targets;
};

std::vector<float> toFloats(const std::vector<uint8_t>& bytes)
{
    std::vector<float> out(bytes.size());
    for (size_t i = 0; i < bytes.size(); ++i)
        out[i] = float(bytes[i]) / 127.5f - 1.0f;
    return out;
}

// Mean |difference| in 0-255 steps between two RGB8 pictures of the same size, or a latent-size
// preview scaled up by repeating pixels.
double difference(const std::vector<uint8_t>& preview, int previewWidth, const std::vector<uint8_t>& picture, int width)
{
    const int scale = width / previewWidth;
    const int height = int(picture.size() / 3 / size_t(width));
    double sum = 0;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (int c = 0; c < 3; ++c)
                sum += std::abs(double(picture[(size_t(y) * size_t(width) + size_t(x)) * 3 + size_t(c)]) -
                                double(preview[(size_t(y / scale) * size_t(previewWidth) + size_t(x / scale)) * 3 +
                                               size_t(c)]));
    return sum / double(picture.size());
}

} // namespace

class TestPreviewNeighbourhood : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(test::testDevice(), "no Vulkan device");
        auto model = StableDiffusion::load(*test::testDevice(), kShapesModel, {});
        QVERIFY2(model, model ? "" : model.error().message.c_str());
        shapes() = std::move(*model);
    }
    void cleanupTestCase() { shapes().reset(); }

    // Targets made by a known 3x3 map, edges repeated as apply() repeats them: the fit finds it.
    void fitRecoversAKnownNeighbourhoodMap()
    {
        std::mt19937 random(7);
        std::normal_distribution<float> normal;
        LatentRgbMap known;
        known.radius = 1;
        known.weights.resize(size_t(known.inputs()) * 3);
        for (float& w : known.weights)
            w = 0.1f * normal(random);
        known.bias = {0.05f, -0.1f, 0.2f};
        const int width = 14, height = 11;
        Latent latent(size_t(4 * width * height));
        for (float& v : latent)
            v = normal(random);
        std::vector<float> target;
        std::vector<float> in(size_t(known.inputs()));
        for (int y = 0; y < height; ++y)
            for (int x = 0; x < width; ++x) {
                neighbourhood(latent, 4, width, height, x, y, 1, in.data());
                for (const float c : known.colour(in))
                    target.push_back(c);
            }
        LatentRgbFit fit(4);
        fit.add(latent, target, width, height);
        const LatentRgbMap map = fit.solve(1);
        QCOMPARE(map.source, std::string("fitted 3x3"));
        QCOMPARE(map.weights.size(), size_t(36 * 3));
        for (size_t i = 0; i < map.weights.size(); ++i)
            QVERIFY2(std::abs(map.weights[i] - known.weights[i]) < 5e-3, qPrintable(QString::number(i)));
        QVERIFY(fit.meanAbsError(map) < 0.6);
        // The affine map cannot follow it, and the choice says so on pairs it has not seen.
        QVERIFY(fit.meanAbsError(fit.solve(0)) > 5);
        PreviewFit chosen;
        chooseMap(fit, size_t(width * 3), chosen);
        QCOMPARE(chosen.map.radius, 1);
        QVERIFY(chosen.heldOutNeighbourhoodError < 1);
        QVERIFY(chosen.heldOutAffineError > 5);
    }

    void fitIsDeterministic()
    {
        std::mt19937 random(11);
        std::normal_distribution<float> normal;
        Latent latent(4 * 9 * 8);
        std::vector<float> target(3 * 9 * 8);
        for (float& v : latent)
            v = normal(random);
        for (float& v : target)
            v = std::tanh(normal(random));
        LatentRgbFit a(4), b(4);
        a.add(latent, target, 9, 8);
        b.add(latent, target, 9, 8);
        const LatentRgbMap first = a.solve(1), again = a.solve(1), other = b.solve(1);
        QVERIFY(first.valid());
        QCOMPARE(first.weights, again.weights);
        QCOMPARE(first.weights, other.weights);
        QCOMPARE(first.bias, other.bias);
    }

    // All-equal latents (a flat grey picture, or zeros) leave every weight undetermined: the
    // ridge keeps the system solvable and the map finite, painting the mean colour.
    void degenerateLatentsStayFinite_data()
    {
        QTest::addColumn<float>("value");
        QTest::newRow("zeros") << 0.0f;
        QTest::newRow("all 0.7") << 0.7f;
    }

    void degenerateLatentsStayFinite()
    {
        QFETCH(float, value);
        const int width = 8, height = 8;
        const Latent latent(size_t(4 * width * height), value);
        std::vector<float> target(size_t(3 * width * height));
        for (size_t i = 0; i < target.size(); ++i)
            target[i] = i % 3 == 0 ? 0.5f : -0.25f;
        LatentRgbFit fit(4);
        fit.add(latent, target, width, height);
        fit.add(latent, target, width, height);
        for (const int radius : {0, 1}) {
            const LatentRgbMap map = fit.solve(radius);
            QVERIFY(map.valid());
            for (const float w : map.weights)
                QVERIFY(std::isfinite(w));
            for (const float b : map.bias)
                QVERIFY(std::isfinite(b));
            QVERIFY(fit.meanAbsError(map) < 1);
            const std::vector<uint8_t> rgb = map.apply(latent, width, height);
            QCOMPARE(int(rgb[0]), 191); // 0.5 in [-1, 1]
            QCOMPARE(int(rgb[1]), 96);  // -0.25
        }
        PreviewFit chosen;
        chooseMap(fit, size_t(width * height), chosen);
        QVERIFY(std::isfinite(chosen.heldOutNeighbourhoodError) && std::isfinite(chosen.heldOutAffineError));
        QVERIFY(chosen.map.valid());
    }

    // Pictures the shapes model paints (Create's sampler in 10 steps), their final latents against
    // the VAE's decode of the same latents: for each, the maps fitted on the calibration and the
    // two other pictures' pairs, as the preview would have them after two pictures. Measured on
    // lavapipe, mean |RGB8 error| of 255, affine -> 3x3: yellow square 37.3 -> 31.8, red circle
    // 45.6 -> 42.4, white triangle 78.0 -> 66.6 (sum 0.875 of the affine's). With 6 steps the
    // pictures are rougher and two other pictures did not teach the 3x3 map enough (it lost on one).
    void neighbourhoodMapFollowsTheVae()
    {
        StableDiffusion& model = *shapes();
        LatentRgbFit calibration(4);
        auto fitted = fitPreviewMap(model.vae(), 64, &calibration);
        VERIFY_OK(fitted);
        model.preview().fit(model.vae()); // from here on the model learns every picture it paints
        std::vector<Painted> painted;
        for (int i = 0; i < 3; ++i) {
            auto image = generate(model, shapesRequest(kPrompts[i], 10));
            VERIFY_OK(image);
            painted.push_back({image->latent, averageBlocks(toFloats(image->rgb), 16, 16, 8)});
        }
        double affineSum = 0, neighbourhoodSum = 0;
        for (size_t i = 0; i < painted.size(); ++i) {
            LatentRgbFit pairs = calibration;
            for (size_t j = 0; j < painted.size(); ++j)
                if (j != i)
                    pairs.add(painted[j].latent, painted[j].targets, 16, 16);
            const size_t before = pairs.samples();
            pairs.add(painted[i].latent, painted[i].targets, 16, 16);
            const double affine = pairs.meanAbsError(pairs.solve(0, 0, before), before);
            const double neighbourhood = pairs.meanAbsError(pairs.solve(1, 0, before), before);
            qInfo("%s: affine %.1f, 3x3 %.1f of 255", kPrompts[i], affine, neighbourhood);
            QVERIFY(neighbourhood < affine);
            affineSum += affine;
            neighbourhoodSum += neighbourhood;
        }
        QVERIFY2(neighbourhoodSum < 0.95 * affineSum, qPrintable(QString("%1 %2").arg(neighbourhoodSum).arg(affineSum)));
        // The preview's own choice, after the calibration and the three pictures it learnt.
        const PreviewFit& fit = model.preview().fit(model.vae());
        qInfo("preview map after three pictures: %s (held out: affine %.1f, 3x3 %.1f, published %.1f)",
              fit.map.source.c_str(), fit.heldOutAffineError, fit.heldOutNeighbourhoodError, fit.heldOutPublishedError);
        QCOMPARE(fit.map.source, std::string("fitted 3x3"));
        QVERIFY(fit.heldOutNeighbourhoodError < fit.heldOutAffineError);
        // A latent like the pictures' gets the learnt map; one four times larger, as the first
        // steps' x0 estimates are, the calibration's.
        QCOMPARE(model.preview().mapFor(painted[0].latent).source, std::string("fitted 3x3"));
        Latent farOut = painted[0].latent;
        for (float& v : farOut)
            v *= 4;
        QCOMPARE(model.preview().mapFor(farOut).source, std::string("fitted"));
        QCOMPARE(model.preview().mapFor(farOut).weights, fitted->map.weights);
        QVERIFY(test::noValidationMessages());
    }

    // The table in resources/shapes_model/README.md (ATELIER_PREVIEW_EVALUATION=1; skipped
    // otherwise, about two minutes on lavapipe): Create's settings (128 px, 20 Euler a steps, CFG 7,
    // seed 3) on five prompts. Every step's x0 estimate is decoded by the VAE; the steps before the
    // first decoded preview (previewDecodeDue at Create's 15% share and the measured times) show
    // the map, so for those: (a) the affine map and (b) the 3x3 map against the VAE's decode of the
    // same x0, and (c) both against the final picture. The maps are fitted on the calibration and
    // the other four prompts' finished pictures, as after a few pictures in a session, and on the
    // calibration alone, as for the first picture after loading. (Learning the decoded previews'
    // pairs too gave 67.1 instead of 68.6 for (b) here, but where the share buys decodes of the
    // first steps, their far-out x0 estimates spoilt the map: 110 of 255 on a final picture.)
    void stepsBeforeTheFirstDecode()
    {
        if (!qEnvironmentVariableIsSet("ATELIER_PREVIEW_EVALUATION"))
            QSKIP("set ATELIER_PREVIEW_EVALUATION=1 to measure the map previews before the first decode");
        auto loaded = StableDiffusion::load(*test::testDevice(), kShapesModel, {});
        VERIFY_OK(loaded);
        StableDiffusion& model = **loaded;
        LatentRgbFit calibration(4);
        auto fitted = fitPreviewMap(model.vae(), 64, &calibration);
        VERIFY_OK(fitted);
        struct Run {
            std::vector<Latent> x0;                   // per step
            std::vector<std::vector<uint8_t>> decoded; // the VAE's decode of each x0, RGB8 128 x 128
            std::vector<uint8_t> final;
            Painted pairs;
            int firstDecode = 0;
        };
        std::vector<Run> runs;
        for (const char* prompt : kPrompts) {
            Run run;
            const GenerationRequest r = shapesRequest(prompt, 20);
            ASSIGN_OR_FAIL(const Conditioning conditioning, encodePrompts(model, r.prompt, {}, 1));
            SamplingRequest sampling;
            sampling.latentWidth = sampling.latentHeight = 16;
            sampling.steps = 20;
            sampling.cfgScale = r.cfgScale;
            sampling.sampler = r.sampler;
            sampling.seed = r.seed;
            sampling.blendDenoised = [&](Latent& denoised, double) { run.x0.push_back(denoised); };
            const auto start = std::chrono::steady_clock::now();
            ASSIGN_OR_FAIL(const Latent latent, sampleLatent(model, conditioning, sampling, {}));
            const double stepSeconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 20;
            QCOMPARE(int(run.x0.size()), 20);
            const auto decodeStart = std::chrono::steady_clock::now();
            ASSIGN_OR_FAIL(const std::vector<float> picture, model.vae().decode(latent, 16, 16));
            const double decodeSeconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - decodeStart).count();
            run.final = toBytes(picture);
            run.pairs = {latent, averageBlocks(picture, 16, 16, 8)};
            while (run.firstDecode < 19 &&
                   !previewDecodeDue(run.firstDecode, 20, 0, stepSeconds, decodeSeconds, 0.15))
                ++run.firstDecode;
            for (int step = 0; step < run.firstDecode; ++step) {
                ASSIGN_OR_FAIL(const std::vector<float> x0, model.vae().decode(run.x0[size_t(step)], 16, 16));
                run.decoded.push_back(toBytes(x0));
            }
            qInfo("%s: step %.2f s, decode %.2f s, first decoded preview at step %d (0-based)", prompt, stepSeconds,
                  decodeSeconds, run.firstDecode);
            runs.push_back(std::move(run));
        }
        std::vector<double> perStepAffine(20, 0), perStepNeighbourhood(20, 0), perStepGated(20, 0);
        std::vector<int> perStepCount(20, 0);
        double sums[8] = {};
        int steps = 0;
        for (size_t i = 0; i < runs.size(); ++i) {
            LatentRgbFit pairs = calibration;
            for (size_t j = 0; j < runs.size(); ++j)
                if (j != i)
                    pairs.add(runs[j].pairs.latent, runs[j].pairs.targets, 16, 16);
            const LatentRgbMap affine = pairs.solve(0), neighbourhood = pairs.solve(1);
            PreviewFit first;
            chooseMap(calibration, 0, first);
            const LatentRgbMap firstNeighbourhood = calibration.solve(1);
            // The preview's map per x0 (PreviewCalibration::mapFor): the calibration's for latents
            // far larger than the pictures learnt, the learnt one otherwise.
            double squares = 0, values = 0;
            for (size_t j = 0; j < runs.size(); ++j)
                if (j != i) {
                    for (const float v : runs[j].pairs.latent)
                        squares += double(v) * double(v);
                    values += double(runs[j].pairs.latent.size());
                }
            const double learntRms = std::sqrt(squares / values);
            double row[8] = {};
            for (int step = 0; step < runs[i].firstDecode; ++step) {
                const Latent& x0 = runs[i].x0[size_t(step)];
                const auto a = affine.apply(x0, 16, 16), b = neighbourhood.apply(x0, 16, 16);
                const LatentRgbMap& gatedMap =
                    latentRms(x0) > PreviewCalibration::kFarOut * learntRms ? first.map : neighbourhood;
                const auto g = gatedMap.apply(x0, 16, 16);
                const double values[8] = {difference(a, 16, runs[i].decoded[size_t(step)], 128),
                                          difference(b, 16, runs[i].decoded[size_t(step)], 128),
                                          difference(a, 16, runs[i].final, 128),
                                          difference(b, 16, runs[i].final, 128),
                                          difference(first.map.apply(x0, 16, 16), 16, runs[i].decoded[size_t(step)], 128),
                                          difference(firstNeighbourhood.apply(x0, 16, 16), 16,
                                                     runs[i].decoded[size_t(step)], 128),
                                          difference(g, 16, runs[i].decoded[size_t(step)], 128),
                                          difference(g, 16, runs[i].final, 128)};
                for (int k = 0; k < 8; ++k)
                    row[k] += values[k] / runs[i].firstDecode;
                perStepAffine[size_t(step)] += values[0];
                perStepNeighbourhood[size_t(step)] += values[1];
                perStepGated[size_t(step)] += values[6];
                ++perStepCount[size_t(step)];
            }
            for (int k = 0; k < 8; ++k)
                sums[k] += row[k] * runs[i].firstDecode;
            steps += runs[i].firstDecode;
            qInfo("| %s | %.2f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |", kPrompts[i], learntRms, row[0],
                  row[1], row[2], row[3], row[6], row[7], row[4], row[5]);
        }
        qInfo("| all %d steps before the first decode | | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |", steps,
              sums[0] / steps, sums[1] / steps, sums[2] / steps, sums[3] / steps, sums[6] / steps, sums[7] / steps,
              sums[4] / steps, sums[5] / steps);
        QString perStep;
        for (int step = 0; step < 20; ++step)
            if (perStepCount[size_t(step)] > 0)
                perStep += QString(" %1: %2, %3, %4;").arg(step + 1)
                               .arg(perStepAffine[size_t(step)] / perStepCount[size_t(step)], 0, 'f', 1)
                               .arg(perStepNeighbourhood[size_t(step)] / perStepCount[size_t(step)], 0, 'f', 1)
                               .arg(perStepGated[size_t(step)] / perStepCount[size_t(step)], 0, 'f', 1);
        qInfo("per step (1-based), affine, 3x3, the preview's choice against the decode of the same x0:%s",
              qPrintable(perStep));
        // The cost of a map preview of a 512 x 512 picture (a 64 x 64 latent) on the host.
        Latent big(4 * 64 * 64);
        for (size_t k = 0; k < big.size(); ++k)
            big[k] = runs[0].x0[10][k % runs[0].x0[10].size()];
        LatentRgbFit pairs = calibration;
        for (const Run& run : runs)
            pairs.add(run.pairs.latent, run.pairs.targets, 16, 16);
        for (const int radius : {0, 1}) {
            const LatentRgbMap map = pairs.solve(radius);
            const auto start = std::chrono::steady_clock::now();
            for (int k = 0; k < 20; ++k)
                QCOMPARE(map.apply(big, 64, 64).size(), size_t(64 * 64 * 3));
            qInfo("%s map of a 64 x 64 latent: %.2f ms", map.source.c_str(),
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count() / 20);
        }
        const auto start = std::chrono::steady_clock::now();
        PreviewFit refit;
        chooseMap(pairs, 256, refit);
        qInfo("choosing the map on %zu pairs: %.1f ms", pairs.samples(),
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    }
};

ATELIER_DIFFUSION_TEST(TestPreviewNeighbourhood)

#include "preview_neighbourhood_test.moc"

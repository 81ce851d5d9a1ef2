// Regional prompts (diffusion/regions.h): the per-pixel weights of each context, the --region and
// layout formats, and the UNet's masked cross-attention on the golden SD 1.x checkpoint, whose
// results must reduce exactly to a plain prediction where the masks make them one.

#include "golden.h"
#include "test_device.h"

#include "diffusion/checkpoint.h"
#include "diffusion/generation_parameters.h"
#include "diffusion/regions.h"
#include "diffusion/unet.h"

#include <QtTest>

#include <cmath>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

// Sums of the same f32 products in another order (each context's attention blended by weights).
constexpr double kTolerance = 1e-5;

double largestDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(double(a[i]) - b[i]));
    return worst;
}

std::vector<float> concat(const std::vector<float>& a, const std::vector<float>& b)
{
    std::vector<float> out(a);
    out.insert(out.end(), b.begin(), b.end());
    return out;
}

} // namespace

class TestRegions : public QObject {
    Q_OBJECT

private slots:
    void weightsSumToOneAndFollowTheBoxes()
    {
        // A 128x128 picture, a 16x16 latent, 3 levels (16, 8 and 4 cells a side).
        const std::vector<Region> regions{{0, 0, 64, 128, "left", {}, 1.0}, {96, 32, 128, 96, "right", {}, 0.5}};
        const RegionWeights w = regionWeights(regions, 128, 128, 16, 16, 3, 0.0);
        QCOMPARE(w.contexts, 3);
        QCOMPARE(int(w.levels.size()), 3);
        for (int level = 0; level < 3; ++level) {
            const int side = 16 >> level;
            const size_t pixels = size_t(side * side);
            QCOMPARE(w.levels[size_t(level)].size(), 3 * pixels);
            for (size_t p = 0; p < pixels; ++p) {
                double sum = 0;
                for (int c = 0; c < 3; ++c)
                    sum += w.levels[size_t(level)][size_t(c) * pixels + p];
                QVERIFY(std::abs(sum - 1.0) < 1e-6);
            }
        }
        const std::vector<float>& full = w.levels[0];
        auto at = [&](int context, int x, int y) { return full[size_t(context) * 256 + size_t(y * 16 + x)]; };
        QCOMPARE(at(1, 2, 8), 1.0f);  // inside the left half: the left region only
        QCOMPARE(at(0, 2, 8), 0.0f);
        QCOMPARE(at(2, 14, 8), 0.5f); // inside the right box at strength 0.5: half the base's
        QCOMPARE(at(0, 14, 8), 0.5f);
        QCOMPARE(at(0, 10, 1), 1.0f); // outside both: the base prompt
        // Feathered: the edge of the left half ramps over 16 pixels instead of jumping.
        const RegionWeights soft = regionWeights(regions, 128, 128, 16, 16, 3, 16.0);
        const float edge = soft.levels[0][256 + 7 * 16 + 8], inside = soft.levels[0][256 + 7 * 16 + 6];
        QVERIFY(edge > 0.05f && edge < 0.95f);
        QCOMPARE(inside, 1.0f);
        // Overlapping regions share a pixel instead of exceeding it.
        const std::vector<Region> overlap{{0, 0, 128, 128, "a", {}, 1.0}, {0, 0, 128, 128, "b", {}, 1.0}};
        const RegionWeights o = regionWeights(overlap, 128, 128, 16, 16, 1, 0.0);
        QCOMPARE(o.levels[0][0], 0.0f);
        QCOMPARE(o.levels[0][256], 0.5f);
        QCOMPARE(o.levels[0][512], 0.5f);
    }

    void regionsParseAndCheck()
    {
        auto r = parseRegion("0,16, 48,112:a large red circle: on the left");
        QVERIFY(r);
        QCOMPARE(r->x0, 0.0);
        QCOMPARE(r->y1, 112.0);
        QCOMPARE(r->prompt, QString("a large red circle: on the left"));
        for (const char* bad : {"0,16,48:a", "0,16,48,112", "0,16,48,112:", "a,b,c,d:x", ":x"})
            QVERIFY2(!parseRegion(bad), bad);

        const std::vector<Region> regions{{0, 16, 48, 112, "a red circle", "blurry", 0.75}, {80, 0, 128, 64, "a blue square", {}, 1.0}};
        auto back = parseLayout(layoutJson(regions));
        QVERIFY(back);
        QCOMPARE(*back, regions);
        for (const char* bad : {"", "[]", "{\"regions\": 3}", "{\"regions\": [{\"box\": [1, 2, 3]}]}",
                                "{\"regions\": [{\"box\": [0, 0, 1, \"x\"], \"prompt\": \"p\"}]}"})
            QVERIFY2(!parseLayout(bad), bad);

        // Kept in a picture's A1111 parameters as Atelier's "Regions" extra, and read back.
        GenerationParameters parameters;
        parameters.prompt = "a yellow background";
        parameters.extras.append({"Regions", QString::fromUtf8(layoutJson(regions))});
        auto reread = parseA1111(formatA1111(parameters));
        QVERIFY(reread);
        auto kept = regionsOf(*reread);
        QVERIFY(kept);
        QCOMPARE(*kept, regions);
        QVERIFY(regionsOf(GenerationParameters{}) && regionsOf(GenerationParameters{})->empty());

        QVERIFY(checkRegions(regions, 128, 128).ok());
        QVERIFY(!checkRegions(regions, 100, 128).ok()); // the second box leaves a 100-pixel picture
        std::vector<Region> empty = regions;
        empty[0].prompt = " ";
        QVERIFY(!checkRegions(empty, 128, 128).ok());
        std::vector<Region> strong = regions;
        strong[1].strength = 1.5;
        QVERIFY(!checkRegions(strong, 128, 128).ok());
        QVERIFY(!checkRegions(std::vector<Region>(kMaxRegionSlots, regions[0]), 128, 128).ok());
    }

    // On the golden SD 1.x UNet (a CFG batch of 2 at 16x16): every context the same gives the plain
    // prediction; a region over the whole picture at full strength gives its own prompt's.
    void unetBlendsContextsByTheirWeights()
    {
        vk::Device* device = test::testDevice();
        QVERIFY(device);
        auto checkpoint = Checkpoint::open(test::goldenCheckpointPath("sd1"));
        QVERIFY2(checkpoint, checkpoint ? "" : checkpoint.error().message.c_str());
        ASSIGN_OR_FAIL(auto unet, UNet::load(*device, **checkpoint, WeightPrecision::AsStored));
        const test::GoldenFile golden("unet_sd1");
        const std::vector<float> x = golden.floats("x"), context = golden.floats("context");
        const std::vector<int64_t> xs = golden.shape("x"), cs = golden.shape("context");
        const int batch = int(xs[0]), height = int(xs[2]), width = int(xs[3]), tokens = int(cs[1]);
        const double timestep = golden.floats("timestep")[0];
        std::vector<float> other(context);
        for (size_t i = 0; i < other.size(); ++i)
            other[i] = std::sin(float(i) * 0.37f) * 1.5f; // another prompt's conditioning
        const int levels = unet->config().levels();

        ASSIGN_OR_FAIL(const std::vector<float> plain, unet->predict(x, batch, height, width, timestep, context, tokens));
        ASSIGN_OR_FAIL(const std::vector<float> plainOther, unet->predict(x, batch, height, width, timestep, other, tokens));
        QVERIFY(largestDifference(plain, plainOther) > 1e-3); // the two prompts do differ

        const int pw = width * 8, ph = height * 8;
        const std::vector<Region> half{{0, 0, double(pw) / 2, double(ph), "left", {}, 1.0}};
        const RegionWeights halves = regionWeights(half, pw, ph, width, height, levels, 8.0);
        ASSIGN_OR_FAIL(const std::vector<float> same,
                       unet->predict(x, batch, height, width, timestep, concat(context, context), tokens, &halves));
        const double sameDiff = largestDifference(same, plain);
        qInfo("one prompt in both contexts: %.2e from the plain prediction", sameDiff);
        QVERIFY2(sameDiff <= kTolerance, qPrintable(QString("differs by %1").arg(sameDiff)));

        const std::vector<Region> whole{{0, 0, double(pw), double(ph), "everything", {}, 1.0}};
        const RegionWeights all = regionWeights(whole, pw, ph, width, height, levels, 0.0);
        ASSIGN_OR_FAIL(const std::vector<float> region,
                       unet->predict(x, batch, height, width, timestep, concat(context, other), tokens, &all));
        const double regionDiff = largestDifference(region, plainOther);
        qInfo("a region over everything: %.2e from its own prompt's prediction", regionDiff);
        QVERIFY2(regionDiff <= kTolerance, qPrintable(QString("differs by %1").arg(regionDiff)));

        // Half and half is neither prompt's picture; the plain prediction is unchanged afterwards.
        ASSIGN_OR_FAIL(const std::vector<float> mixed,
                       unet->predict(x, batch, height, width, timestep, concat(context, other), tokens, &halves));
        QVERIFY(largestDifference(mixed, plain) > 1e-4 && largestDifference(mixed, plainOther) > 1e-4);
        ASSIGN_OR_FAIL(const std::vector<float> again, unet->predict(x, batch, height, width, timestep, context, tokens));
        QCOMPARE(again, plain);

        // Weights that do not cover the latent, or a context count the weights do not have.
        RegionWeights wrong = halves;
        wrong.levels[1].pop_back();
        QVERIFY(!unet->predict(x, batch, height, width, timestep, concat(context, other), tokens, &wrong));
        QVERIFY(!unet->predict(x, batch, height, width, timestep, context, tokens, &halves));
        QVERIFY(test::noValidationMessages());
    }
};

ATELIER_DIFFUSION_TEST(TestRegions)
#include "regions_test.moc"

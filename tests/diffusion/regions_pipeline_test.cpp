// Regional prompts through whole runs other than txt2img (issue 20: "works with img2img and
// inpainting too"). No reference pipeline has regions, so the checks are what the masks imply. On
// the golden random-weight SD 1.x checkpoints: a region over the whole picture with the base prompt
// paints the plain run's picture (img2img, inpainting by latent blending, a 9-channel inpainting
// UNet, only-masked crops); in an only-masked crop a region outside the crop changes nothing and one
// inside repaints the mask only; boxes map into the crop's scaled pixels. On Atelier's shapes model
// (local, unlike a random UNet): an img2img region paints its object under its box, and a region in
// an only-masked crop paints it where its box is on the picture.

#include "golden.h"
#include "test_models.h"

#include "diffusion/generation.h"
#include "diffusion/inpaint.h"
#include "diffusion/inpaint_crop.h"
#include "diffusion/stable_diffusion.h"
#include "test_device.h"

#include <QtTest>

#include <array>
#include <cmath>
#include <map>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

const std::string kShapesModel = ATELIER_DIFFUSION_TEST_DIR "/../../resources/shapes_model/atelier-shapes-sd1.safetensors";

GenerationRequest img2img(int width, int height)
{
    GenerationRequest g;
    g.prompt = QStringLiteral("a small red circle");
    g.negativePrompt = QStringLiteral("blurry");
    g.width = width;
    g.height = height;
    g.steps = 4;
    g.seed = 11;
    g.sampler = {SamplerKind::Euler, ScheduleKind::Automatic};
    g.initImage = test::structuredPicture(width, height);
    g.strength = 0.8;
    return g;
}

int largestByteDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b)
{
    if (a.size() != b.size())
        return 256;
    int worst = 0;
    for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, std::abs(int(a[i]) - int(b[i])));
    return worst;
}

// The mean absolute byte difference of two RGB pictures over the pixels of [x0, x1) x [y0, y1).
double meanDifference(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b, int width, int x0, int y0, int x1,
                      int y1)
{
    double sum = 0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            for (size_t c = 0; c < 3; ++c) {
                const size_t i = (size_t(y) * size_t(width) + size_t(x)) * 3 + c;
                sum += std::abs(int(a[i]) - int(b[i]));
            }
    return sum / (3.0 * (x1 - x0) * (y1 - y0));
}

const QString kOtherPrompt = QStringLiteral("a large blue square in the dark, green stripes");

// Atelier's default image model (resources/shapes_model), 12 Euler steps at CFG 5.
StableDiffusion& shapesModel()
{
    static std::unique_ptr<StableDiffusion> model;
    if (!model) {
        StableDiffusionOptions options;
        options.precision = WeightPrecision::AsStored;
        auto loaded = StableDiffusion::load(*test::testDevice(), kShapesModel, options);
        if (!loaded)
            qFatal("cannot load the shapes model: %s", loaded.error().message.c_str());
        model = std::move(*loaded);
    }
    return *model;
}

GenerationRequest shapesRequest(int width, int height)
{
    GenerationRequest g;
    g.prompt = QStringLiteral("a large yellow circle in the centre on a yellow background"); // paints nothing
    g.width = width;
    g.height = height;
    g.steps = 12;
    g.cfgScale = 5.0;
    g.sampler = {SamplerKind::Euler, ScheduleKind::Uniform};
    g.seed = 1;
    return g;
}

const QString kRedCircle = QStringLiteral("a large red circle on the left on a yellow background");
constexpr std::array<int, 3> kYellow{250, 225, 20}, kRed{220, 20, 30}; // shapes_dataset.COLOURS

std::vector<float> plainPicture(int width, int height, std::array<int, 3> rgb)
{
    std::vector<float> picture(size_t(width) * size_t(height) * 3);
    for (size_t i = 0; i < picture.size(); ++i)
        picture[i] = float(rgb[i % 3]) / 127.5f - 1.0f;
    return picture;
}

// The pixels within shapes_dataset's foreground distance (70) of a colour, and their centroid.
struct ColourStats {
    int pixels = 0;
    double centreX = -1, centreY = -1;
};

ColourStats colourStats(const GeneratedImage& image, std::array<int, 3> colour)
{
    ColourStats s;
    double sx = 0, sy = 0;
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            const uint8_t* p = &image.rgb[(size_t(y) * size_t(image.width) + size_t(x)) * 3];
            const double d = std::hypot(p[0] - colour[0], p[1] - colour[1], p[2] - colour[2]);
            if (d < 70) {
                ++s.pixels;
                sx += x;
                sy += y;
            }
        }
    if (s.pixels) {
        s.centreX = sx / s.pixels;
        s.centreY = sy / s.pixels;
    }
    return s;
}

} // namespace

class TestRegionsPipeline : public QObject {
    Q_OBJECT

private slots:
    void initTestCase() { QVERIFY2(test::testDevice(), "no Vulkan device"); }

    // A region over the whole picture with the base prompt only runs the same cross-attention twice
    // and blends it with weights summing to 1: the picture is the plain run's within rounding.
    void aRegionOfTheBasePromptOverEverythingIsThePlainRun_data()
    {
        QTest::addColumn<QString>("family");
        QTest::addColumn<QString>("kind");
        QTest::newRow("img2img") << "sd1" << "img2img";
        QTest::newRow("inpaint, latent blending") << "sd1" << "inpaint";
        QTest::newRow("inpaint, 9-channel UNet") << "sd1_inpaint" << "inpaint";
        QTest::newRow("inpaint only masked") << "sd1" << "crop";
    }

    void aRegionOfTheBasePromptOverEverythingIsThePlainRun()
    {
        QFETCH(QString, family);
        QFETCH(QString, kind);
        StableDiffusion& model = test::goldenModel(family);
        const bool crop = kind == "crop";
        const int width = crop ? 96 : 64, height = 64;
        GenerationRequest g = img2img(width, height);
        InpaintRequest inpaintRequest;
        inpaintRequest.generation = g;
        inpaintRequest.generation.strength = family == "sd1_inpaint" ? 1.0 : 0.8;
        inpaintRequest.mask = test::rectangleMask(width, height, width / 4, 16, width / 2 + 8, 48);
        inpaintRequest.feather = 2;
        inpaintRequest.onlyMasked = crop;
        inpaintRequest.padding = 8;
        inpaintRequest.workSide = 64;
        auto run = [&](std::vector<Region> regions) -> Result<GeneratedImage> {
            if (kind == "img2img") {
                GenerationRequest r = g;
                r.regions = std::move(regions);
                return generate(model, r);
            }
            InpaintRequest r = inpaintRequest;
            r.generation.regions = std::move(regions);
            return inpaint(model, r);
        };
        ASSIGN_OR_FAIL(const GeneratedImage plain, run({}));
        ASSIGN_OR_FAIL(const GeneratedImage regional,
                       run({Region{0, 0, double(width), double(height), g.prompt, {}, 1.0}}));
        const int worst = largestByteDifference(plain.rgb, regional.rgb);
        qInfo("%s on %s: the whole-picture region differs from the plain run by at most %d of 255",
              qPrintable(kind), qPrintable(family), worst);
        QVERIFY2(worst <= 1, qPrintable(QString("%1 of 255").arg(worst)));
        // Not for want of the region reaching the UNet: with another prompt it repaints.
        ASSIGN_OR_FAIL(const GeneratedImage other,
                       run({Region{0, 0, double(width), double(height), kOtherPrompt, {}, 1.0}}));
        QVERIFY(largestByteDifference(plain.rgb, other.rgb) > 16);
        // The picture says it was made with the region.
        QVERIFY(regionsOf(regional.parameters) && regionsOf(regional.parameters)->size() == 1);
        QVERIFY(regionsOf(plain.parameters) && regionsOf(plain.parameters)->empty());
        QVERIFY(test::noValidationMessages());
    }

    // The crop of only-masked inpainting is a window on the picture at another scale: regions
    // follow it. A 64 x 64 crop at (88, 24) of a 160 x 96 picture is worked at 128 x 128.
    void regionsMapIntoTheCrop()
    {
        const CropBox box{88, 24, 64, 64};
        const std::vector<Region> regions{{88, 24, 120, 88, "left half of the crop", {}, 1.0},
                                          {0, 0, 40, 40, "far from the crop", {}, 1.0},
                                          {60, 40, 90, 60, "reaching into the crop", {}, 0.5},
                                          {150, 0, 160, 22, "beside the crop's corner, within the feather", {}, 1.0}};
        const std::vector<Region> mapped = regionsInCrop(regions, box, 128, 128, 8.0);
        QCOMPARE(int(mapped.size()), 3);
        QCOMPARE(mapped[0], (Region{0, 0, 64, 128, "left half of the crop", {}, 1.0}));
        QCOMPARE(mapped[1], (Region{-56, 32, 4, 72, "reaching into the crop", {}, 0.5}));
        QCOMPARE(mapped[2].prompt, regions[3].prompt);
        QCOMPARE(mapped[2].x0, 124.0);
        QCOMPARE(mapped[2].y1, -4.0);
        // Without feather the corner region, 2 pixels above the crop, is left out too.
        QCOMPARE(int(regionsInCrop(regions, box, 128, 128, 0.0).size()), 2);
        // Unequal scales: each axis its own.
        const std::vector<Region> wide = regionsInCrop({&regions[0], 1}, box, 256, 64, 0.0);
        QCOMPARE(wide[0], (Region{0, 0, 128, 64, "left half of the crop", {}, 1.0}));
    }

    void onlyMaskedInpaintingPutsRegionsWhereTheirBoxesAre()
    {
        StableDiffusion& model = test::goldenModel(QStringLiteral("sd1"));
        InpaintRequest r;
        r.generation = img2img(160, 96);
        r.generation.strength = 1.0;
        r.mask = test::rectangleMask(160, 96, 96, 32, 144, 80);
        r.feather = 0;
        r.onlyMasked = true;
        r.padding = 8;     // the crop: 64 x 64 at (88, 24)
        r.workSide = 128;  // worked at twice its size
        ASSIGN_OR_FAIL(const GeneratedImage plain, inpaint(model, r));

        // A region far from the crop cannot reach it: the same bytes.
        InpaintRequest outside = r;
        outside.generation.regions = {Region{0, 0, 40, 40, kOtherPrompt, {}, 1.0}};
        ASSIGN_OR_FAIL(const GeneratedImage untouched, inpaint(model, outside));
        QCOMPARE(untouched.rgb, plain.rgb);
        auto kept = regionsOf(untouched.parameters); // the picture still names it
        QVERIFY(kept && *kept == outside.generation.regions);

        // A region over part of the masked area repaints it; outside the mask nothing changes. (The
        // random UNet's self-attention spreads a change over its whole latent: where the region
        // lands is checked on the shapes model below.)
        InpaintRequest inside = r;
        inside.generation.regions = {Region{80, 16, 120, 96, kOtherPrompt, {}, 1.0}};
        ASSIGN_OR_FAIL(const GeneratedImage regional, inpaint(model, inside));
        const double changed = meanDifference(plain.rgb, regional.rgb, 160, 96, 32, 144, 80);
        qInfo("only masked with a region over the mask's left half: mean change %.2f in the mask", changed);
        QVERIFY(changed > 1.0);
        QCOMPARE(meanDifference(plain.rgb, regional.rgb, 160, 0, 0, 88, 96), 0.0);
        QCOMPARE(meanDifference(plain.rgb, regional.rgb, 160, 0, 0, 160, 24), 0.0);
        QVERIFY(test::noValidationMessages());
    }

    // On Atelier's shapes model, whose pictures are local: img2img of a plain yellow picture with a
    // region "a large red circle on the left" paints red inside the box and changes the left of the
    // picture more than the right, where the base prompt (a yellow circle on yellow) paints nothing.
    void onTheShapesModelAnImg2imgRegionPaintsUnderItsBox()
    {
        StableDiffusion& model = shapesModel();
        GenerationRequest g = shapesRequest(128, 128);
        g.initImage = plainPicture(128, 128, kYellow);
        g.strength = 0.9;
        ASSIGN_OR_FAIL(const GeneratedImage plain, generate(model, g));
        g.regions = {Region{0, 16, 48, 112, kRedCircle, {}, 1.0}};
        ASSIGN_OR_FAIL(const GeneratedImage regional, generate(model, g));
        const ColourStats red = colourStats(regional, kRed), plainRed = colourStats(plain, kRed);
        const double under = meanDifference(plain.rgb, regional.rgb, 128, 0, 0, 48, 128);
        const double beside = meanDifference(plain.rgb, regional.rgb, 128, 80, 0, 128, 128);
        qInfo("shapes model img2img at strength 0.9: %d red pixels (centroid x %.1f) with the region, %d without; "
              "mean change %.2f under the box, %.2f right of it", red.pixels, red.centreX, plainRed.pixels, under, beside);
        QVERIFY(red.pixels > 100);
        QVERIFY(red.centreX < 56);
        QVERIFY(plainRed.pixels < 20);
        QVERIFY2(under > 2 * beside, qPrintable(QString("%1 under, %2 beside").arg(under).arg(beside)));
        QVERIFY(test::noValidationMessages());
    }

    // Only-masked inpainting of a 160 x 160 yellow picture with the mask 96..160 x 80..144: the crop
    // (64 x 64) is worked at 128 x 128. A region over the crop's left half (picture x 96..128) paints
    // the red circle there; used unmapped, its box would fall on the crop's right edge (x 144..160).
    void onTheShapesModelACropRegionLandsWhereItsBoxIs()
    {
        StableDiffusion& model = shapesModel();
        InpaintRequest r;
        r.generation = shapesRequest(160, 160);
        r.generation.initImage = plainPicture(160, 160, kYellow);
        r.generation.strength = 1.0;
        r.mask = test::rectangleMask(160, 160, 96, 80, 160, 144);
        r.feather = 0;
        r.onlyMasked = true;
        r.padding = 0;
        r.workSide = 128;
        ASSIGN_OR_FAIL(const GeneratedImage plain, inpaint(model, r));
        r.generation.regions = {Region{96, 80, 128, 144, kRedCircle, {}, 1.0}};
        ASSIGN_OR_FAIL(const GeneratedImage regional, inpaint(model, r));
        const ColourStats red = colourStats(regional, kRed), plainRed = colourStats(plain, kRed);
        qInfo("shapes model, only masked: %d red pixels (centroid x %.1f, y %.1f) with the region, %d without",
              red.pixels, red.centreX, red.centreY, plainRed.pixels);
        QVERIFY(red.pixels > 100);
        QVERIFY(red.centreX > 96 && red.centreX < 128);
        QVERIFY(red.centreY > 80 && red.centreY < 144);
        QVERIFY(plainRed.pixels < 20);
        QVERIFY(test::noValidationMessages());
    }

    void inpaintingRefusesRegionsOutsideThePicture()
    {
        StableDiffusion& model = test::goldenModel(QStringLiteral("sd1"));
        InpaintRequest r;
        r.generation = img2img(64, 64);
        r.mask = test::rectangleMask(64, 64, 16, 16, 32, 32);
        r.generation.regions = {Region{0, 0, 96, 32, kOtherPrompt, {}, 1.0}};
        auto refused = inpaint(model, r);
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, ErrorCode::InvalidArgument);
        QVERIFY2(QString::fromStdString(refused.error().message).contains("inside the 64x64 picture"),
                 refused.error().message.c_str());
    }
};

ATELIER_DIFFUSION_TEST(TestRegionsPipeline)
#include "regions_pipeline_test.moc"

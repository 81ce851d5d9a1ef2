// Atelier's default image model (resources/shapes_model) through the real engine: it loads as an
// SD 1.x single file that says it was trained at 128x128; its pictures for one prompt per shape
// show the asked colour and shape in the asked place on the asked background (read back by a port
// of shapes_dataset.describe()); and the Vulkan engine paints what the PyTorch model paints from
// the same seed (goldens_shapes.py wrote the PyTorch picture).

#include "golden.h"

#include "diffusion/generation.h"
#include "diffusion/model_resolution.h"
#include "diffusion/sampling/sampler_kind.h"
#include "diffusion/stable_diffusion.h"
#include "test_device.h"

#include <QImage>
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <random>
#include <vector>

using namespace atelier;
using namespace atelier::diffusion;

namespace {

const std::string kModel = ATELIER_DIFFUSION_TEST_DIR "/../../resources/shapes_model/atelier-shapes-sd1.safetensors";

struct NamedColour {
    const char* name;
    std::array<float, 3> rgb;
};

// shapes_dataset.COLOURS
const NamedColour kColours[] = {
    {"red", {220, 20, 30}},    {"orange", {250, 120, 0}}, {"yellow", {250, 225, 20}}, {"green", {20, 160, 40}},
    {"cyan", {30, 210, 230}},  {"blue", {30, 60, 220}},   {"purple", {130, 40, 170}}, {"pink", {250, 130, 200}},
    {"white", {245, 245, 245}}, {"black", {15, 15, 15}},
};
constexpr float kForeground = 70.0f; // shapes_dataset.FOREGROUND_DISTANCE

float distance(const std::array<float, 3>& a, const std::array<float, 3>& b)
{
    return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

QString nearestColour(const std::array<float, 3>& rgb)
{
    const NamedColour* best = &kColours[0];
    for (const NamedColour& c : kColours)
        if (distance(c.rgb, rgb) < distance(best->rgb, rgb))
            best = &c;
    return best->name;
}

std::array<float, 3> median(std::vector<std::array<float, 3>> pixels)
{
    std::array<float, 3> m{};
    for (int c = 0; c < 3; ++c) {
        std::vector<float> channel;
        for (const auto& p : pixels)
            channel.push_back(p[size_t(c)]);
        std::nth_element(channel.begin(), channel.begin() + long(channel.size() / 2), channel.end());
        m[size_t(c)] = channel[channel.size() / 2];
    }
    return m;
}

using Outline = std::vector<std::array<double, 2>>;

// shapes_dataset.shape_polygon(shape, 0, 0, 1); a circle has no outline (an ellipse over its box).
Outline outline(const QString& shape)
{
    if (shape == "square")
        return {{-0.85, -0.85}, {0.85, -0.85}, {0.85, 0.85}, {-0.85, 0.85}};
    if (shape == "triangle")
        return {{0, -1}, {1, 0.8}, {-1, 0.8}};
    if (shape == "star") {
        Outline points;
        for (int k = 0; k < 10; ++k) {
            const double radius = k % 2 == 0 ? 1.0 : 0.42, angle = -M_PI / 2 + k * M_PI / 5;
            points.push_back({radius * std::cos(angle), radius * std::sin(angle) + 0.1});
        }
        return points;
    }
    if (shape == "cross") {
        const double a = 0.9, b = 0.32;
        return {{-b, -a}, {b, -a}, {b, -b}, {a, -b}, {a, b}, {b, b}, {b, a}, {-b, a}, {-b, b}, {-a, b}, {-a, -b}, {-b, -b}};
    }
    return {};
}

bool inside(const Outline& polygon, double x, double y)
{
    bool in = false;
    for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
        const auto& [xi, yi] = polygon[i];
        const auto& [xj, yj] = polygon[j];
        if ((yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi)
            in = !in;
    }
    return in;
}

struct Box {
    double lo[2] = {1e9, 1e9}, hi[2] = {-1e9, -1e9};
};

Box bounds(const Outline& polygon)
{
    Box box;
    for (const auto& p : polygon)
        for (int a = 0; a < 2; ++a) {
            box.lo[a] = std::min(box.lo[a], p[size_t(a)]);
            box.hi[a] = std::max(box.hi[a], p[size_t(a)]);
        }
    return box;
}

// Whether the ideal shape, stretched over a w x h box, covers more than half of pixel (px, py)
// (4 x 4 samples, as describe()'s 4x supersampled template). No outline: a circle.
bool covers(const Outline& polygon, const Box& box, int w, int h, int px, int py)
{
    int hits = 0;
    for (int j = 0; j < 4; ++j)
        for (int i = 0; i < 4; ++i) {
            const double u = (px + (i + 0.5) / 4) / w, v = (py + (j + 0.5) / 4) / h;
            hits += polygon.empty() ? (u - 0.5) * (u - 0.5) + (v - 0.5) * (v - 0.5) <= 0.25
                                    : inside(polygon, box.lo[0] + u * (box.hi[0] - box.lo[0]),
                                             box.lo[1] + v * (box.hi[1] - box.lo[1]));
        }
    return hits > 8;
}

// describe()'s classify_shape(): the shape whose ideal outline, stretched over the component's
// bounding box, overlaps it best (intersection over union).
QString classifyShape(const std::vector<int>& members, int width)
{
    int x0 = width, y0 = 1 << 30, x1 = -1, y1 = -1;
    for (const int p : members) {
        x0 = std::min(x0, p % width), x1 = std::max(x1, p % width);
        y0 = std::min(y0, p / width), y1 = std::max(y1, p / width);
    }
    const int w = x1 - x0 + 1, h = y1 - y0 + 1;
    std::vector<bool> mask(size_t(w * h), false);
    for (const int p : members)
        mask[size_t((p / width - y0) * w + p % width - x0)] = true;
    QString best;
    double bestIou = -1;
    for (const QString shape : {"circle", "square", "triangle", "star", "cross"}) {
        const Outline polygon = outline(shape);
        const Box box = bounds(polygon);
        int both = 0, either = 0;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                const bool t = covers(polygon, box, w, h, x, y), m = mask[size_t(y * w + x)];
                both += t && m;
                either += t || m;
            }
        const double iou = double(both) / std::max(1, either);
        if (iou > bestIou)
            best = shape, bestIou = iou;
    }
    return best;
}

struct Seen {
    QString background, colour, shape;
    int column = -1, row = -1;  // the main object's centroid in the 3x3 grid
};

// describe()'s background, and the main object's colour, shape and position.
Seen describe(const GeneratedImage& image)
{
    const int w = image.width, h = image.height;
    auto at = [&](int x, int y) {
        const uint8_t* p = &image.rgb[(size_t(y) * size_t(w) + size_t(x)) * 3];
        return std::array<float, 3>{float(p[0]), float(p[1]), float(p[2])};
    };
    std::vector<std::array<float, 3>> border;
    for (int i = 0; i < w; ++i) {
        border.push_back(at(i, 0));
        border.push_back(at(i, h - 1));
    }
    for (int i = 0; i < h; ++i) {
        border.push_back(at(0, i));
        border.push_back(at(w - 1, i));
    }
    std::map<QString, int> votes;
    for (const auto& p : border)
        ++votes[nearestColour(p)];
    Seen seen;
    seen.background = std::max_element(votes.begin(), votes.end(), [](auto& a, auto& b) { return a.second < b.second; })->first;
    std::vector<std::array<float, 3>> ofBackground;
    for (const auto& p : border)
        if (nearestColour(p) == seen.background)
            ofBackground.push_back(p);
    const std::array<float, 3> background = median(ofBackground);

    // The largest 4-connected component of foreground pixels.
    std::vector<int> label(size_t(w * h), -1);
    std::vector<int> largest;
    for (int start = 0; start < w * h; ++start) {
        if (label[size_t(start)] >= 0 || distance(at(start % w, start / w), background) <= kForeground)
            continue;
        std::vector<int> members, stack{start};
        label[size_t(start)] = start;
        while (!stack.empty()) {
            const int p = stack.back();
            stack.pop_back();
            members.push_back(p);
            const int x = p % w, y = p / w;
            for (const auto& [qx, qy] : {std::pair{x - 1, y}, {x + 1, y}, {x, y - 1}, {x, y + 1}}) {
                const int q = qy * w + qx;
                if (qx >= 0 && qx < w && qy >= 0 && qy < h && label[size_t(q)] < 0 &&
                    distance(at(qx, qy), background) > kForeground) {
                    label[size_t(q)] = start;
                    stack.push_back(q);
                }
            }
        }
        if (members.size() > largest.size())
            largest = std::move(members);
    }
    if (largest.size() < size_t(std::max(4, int(0.004 * w * h))))
        return seen;
    std::vector<std::array<float, 3>> pixels, inner;
    double sx = 0, sy = 0;
    for (const int p : largest) {
        pixels.push_back(at(p % w, p / w));
        if (distance(pixels.back(), background) > 2 * kForeground)
            inner.push_back(pixels.back());
        sx += p % w;
        sy += p / w;
    }
    seen.colour = nearestColour(median(inner.size() >= pixels.size() / 4 ? inner : pixels));
    seen.shape = classifyShape(largest, w);
    seen.column = std::min(2, int(sx / double(largest.size()) + 0.5) * 3 / w);
    seen.row = std::min(2, int(sy / double(largest.size()) + 0.5) * 3 / h);
    return seen;
}

std::unique_ptr<StableDiffusion>& model()
{
    static std::unique_ptr<StableDiffusion> loaded;
    return loaded;
}

GenerationRequest request(const QString& prompt, uint64_t seed)
{
    GenerationRequest r;
    r.prompt = prompt;
    r.width = r.height = model()->config().defaultResolution;
    r.steps = 20;
    r.cfgScale = 5.0;
    r.sampler = SamplerChoice{SamplerKind::Euler, ScheduleKind::Uniform};
    r.seed = seed;
    return r;
}

// The pixels of `image` inside [x0, x1) x [y0, y1), as a picture of their own.
GeneratedImage crop(const GeneratedImage& image, int x0, int y0, int x1, int y1)
{
    GeneratedImage out;
    out.width = x1 - x0;
    out.height = y1 - y0;
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x)
            for (int c = 0; c < 3; ++c)
                out.rgb.push_back(image.rgb[(size_t(y) * size_t(image.width) + size_t(x)) * 3 + size_t(c)]);
    return out;
}

} // namespace

class TestShapesModel : public QObject {
    Q_OBJECT

private slots:
    void initTestCase()
    {
        QVERIFY2(test::testDevice(), "no Vulkan device");
        StableDiffusionOptions options;
        options.precision = WeightPrecision::AsStored;
        auto loaded = StableDiffusion::load(*test::testDevice(), kModel, options);
        QVERIFY2(loaded, loaded ? "" : loaded.error().message.c_str());
        model() = std::move(*loaded);
    }
    void cleanupTestCase() { model().reset(); }

    void loadsAsA128PixelSd1Model()
    {
        QCOMPARE(QString(modelFamilyName(model()->config().family)), QString("SD 1.x"));
        QCOMPARE(model()->config().defaultResolution, 128);
        QCOMPARE(declaredResolution(kModel), std::optional<int>(128));
    }

    void paintsWhatThePromptAsks_data()
    {
        QTest::addColumn<QString>("prompt");
        QTest::addColumn<QString>("colour");
        QTest::addColumn<QString>("shape");
        QTest::addColumn<int>("column");
        QTest::addColumn<int>("row");
        QTest::addColumn<QString>("background");
        QTest::addColumn<quint64>("seed");
        QTest::newRow("circle") << "a large red circle in the centre on a blue background" << "red" << "circle" << 1 << 1 << "blue" << quint64(2);
        QTest::newRow("square") << "a large yellow square at the top left on a black background" << "yellow" << "square" << 0 << 0 << "black" << quint64(3);
        QTest::newRow("triangle") << "a large white triangle at the bottom right on a green background" << "white" << "triangle" << 2 << 2 << "green" << quint64(2);
        QTest::newRow("star") << "a large orange star on the left on a purple background" << "orange" << "star" << 0 << 1 << "purple" << quint64(3);
        QTest::newRow("cross") << "a large cyan cross at the top on a red background" << "cyan" << "cross" << 1 << 0 << "red" << quint64(2);
    }

    void paintsWhatThePromptAsks()
    {
        QFETCH(QString, prompt);
        QFETCH(QString, colour);
        QFETCH(QString, shape);
        QFETCH(int, column);
        QFETCH(int, row);
        QFETCH(QString, background);
        QFETCH(quint64, seed);
        auto image = generate(*model(), request(prompt, seed));
        QVERIFY2(image, image ? "" : image.error().message.c_str());
        const Seen seen = describe(*image);
        const QString what = QStringLiteral("seed %1: %2 %3 at (%4, %5) on %6")
                                 .arg(seed).arg(seen.colour, seen.shape).arg(seen.column).arg(seen.row).arg(seen.background);
        QVERIFY2(seen.background == background && seen.colour == colour && seen.shape == shape &&
                     seen.column == column && seen.row == row,
                 qPrintable(what));
    }

    // Regional prompts: a region's prompt paints its object inside its box, over a base prompt that
    // paints nothing of its own (a yellow circle on yellow), which alone leaves the picture empty.
    void regionPaintsItsObject_data()
    {
        QTest::addColumn<QString>("prompt");
        QTest::addColumn<QString>("colour");
        QTest::addColumn<QString>("shape");
        QTest::addColumn<quint64>("seed");
        QTest::newRow("red circle") << "a large red circle on the left on a yellow background" << "red" << "circle" << quint64(1);
        QTest::newRow("blue square") << "a large blue square on the left on a yellow background" << "blue" << "square" << quint64(2);
    }

    void regionPaintsItsObject()
    {
        QFETCH(QString, prompt);
        QFETCH(QString, colour);
        QFETCH(QString, shape);
        QFETCH(quint64, seed);
        GenerationRequest r = request(QStringLiteral("a large yellow circle in the centre on a yellow background"), seed);
        auto empty = generate(*model(), r);
        QVERIFY2(empty, empty ? "" : empty.error().message.c_str());
        QCOMPARE(describe(crop(*empty, 0, 0, 64, 128)).colour, QString());

        r.regions = {Region{0, 16, 48, 112, prompt, {}, 1.0}};
        auto image = generate(*model(), r);
        QVERIFY2(image, image ? "" : image.error().message.c_str());
        const Seen left = describe(crop(*image, 0, 0, 64, 128)), right = describe(crop(*image, 64, 0, 128, 128));
        qInfo("left half: %s %s on %s; right half: %s on %s", qPrintable(left.colour), qPrintable(left.shape),
              qPrintable(left.background), qPrintable(right.colour), qPrintable(right.background));
        QCOMPARE(left.colour, colour);
        QCOMPARE(left.shape, shape);
        QCOMPARE(left.background, QString("yellow"));
        QCOMPARE(right.background, QString("yellow"));
    }

    // Issue 20's evaluation (ATELIER_REGIONS_EVALUATION=N layouts; skipped otherwise, about 20 s a
    // layout on lavapipe): two objects of distinct colours and shapes in the left and right thirds,
    // each region's prompt in its box over a base prompt that paints nothing, against the same
    // objects asked for in one prompt. An object is right when its half of the picture shows its
    // colour and shape.
    void regionsEvaluation()
    {
        const int layouts = qEnvironmentVariableIntValue("ATELIER_REGIONS_EVALUATION");
        if (layouts <= 0)
            QSKIP("set ATELIER_REGIONS_EVALUATION=30 to run the regional-prompt evaluation");
        const QStringList colours = {"red", "orange", "yellow", "green", "cyan", "blue", "purple", "pink", "white", "black"};
        const QStringList shapes = {"circle", "square", "triangle", "star", "cross"};
        std::mt19937 random(20);
        auto pick = [&](const QStringList& from) { return from[int(random() % uint32_t(from.size()))]; };
        int objectsRight[2] = {0, 0}, layoutsRight[2] = {0, 0}, objects = 0;
        for (int i = 0; i < layouts; ++i) {
            const QString background = pick(colours);
            QString colour[2], shape[2];
            do {
                colour[0] = pick(colours), colour[1] = pick(colours);
            } while (colour[0] == background || colour[1] == background || colour[0] == colour[1]);
            do {
                shape[0] = pick(shapes), shape[1] = pick(shapes);
            } while (shape[0] == shape[1]);
            const char* side[2] = {"left", "right"};
            GenerationRequest r = request(QString("a large %1 circle in the centre on a %1 background").arg(background), uint64_t(i + 1));
            // ATELIER_REGIONS_EVALUATION_LOW=1: boxes below the top-right corner, where the model's
            // VAE paints its speck (issue 20's retraining item) and right-hand regions came out empty.
            const bool low = qEnvironmentVariableIsSet("ATELIER_REGIONS_EVALUATION_LOW");
            for (int k = 0; k < 2; ++k)
                r.regions.push_back(Region{k == 0 ? 0.0 : 80.0, low ? 48.0 : 16.0, k == 0 ? 48.0 : 128.0, low ? 128.0 : 112.0,
                                           QString("a large %1 %2 on the %3 on a %4 background")
                                               .arg(colour[k], shape[k], side[k], background), {}, 1.0});
            GenerationRequest plain = request(QString("a large %1 %2 on the left and a large %3 %4 on the right on a %5 background")
                                                  .arg(colour[0], shape[0], colour[1], shape[1], background), uint64_t(i + 1));
            for (int way = 0; way < 2; ++way) {
                auto image = generate(*model(), way == 0 ? r : plain);
                QVERIFY2(image, image ? "" : image.error().message.c_str());
                int right = 0;
                for (int k = 0; k < 2; ++k) {
                    const Seen seen = describe(crop(*image, k * 64, 0, k * 64 + 64, 128));
                    right += seen.colour == colour[k] && seen.shape == shape[k];
                }
                objectsRight[way] += right;
                layoutsRight[way] += right == 2;
            }
            objects += 2;
            qInfo("layout %d (%s %s | %s %s on %s): regions %d/%d, one prompt %d/%d", i + 1, qPrintable(colour[0]),
                  qPrintable(shape[0]), qPrintable(colour[1]), qPrintable(shape[1]), qPrintable(background),
                  objectsRight[0], objects, objectsRight[1], objects);
        }
        qInfo("%d layouts: with regions %d of %d objects right, %d layouts entirely; one prompt %d objects, %d layouts",
              layouts, objectsRight[0], objects, layoutsRight[0], objectsRight[1], layoutsRight[1]);
    }

    // Issue 20's regions with img2img (ATELIER_REGIONS_IMG2IMG_EVALUATION=N layouts; skipped
    // otherwise, about 25 s a layout on lavapipe): from a picture of one plain colour, regions "a
    // large red circle on the left" and "a large blue square on the right" in the left and right
    // thirds over a base prompt that paints nothing, against one prompt asking for both, at
    // denoising strengths 0.8 and 1.0. An object is right when its half shows its colour and shape.
    void regionsImg2imgEvaluation()
    {
        const int layouts = qEnvironmentVariableIntValue("ATELIER_REGIONS_IMG2IMG_EVALUATION");
        if (layouts <= 0)
            QSKIP("set ATELIER_REGIONS_IMG2IMG_EVALUATION=10 to run the img2img regional-prompt evaluation");
        const QStringList backgrounds = {"yellow", "green", "white", "black", "cyan", "purple", "pink", "orange"};
        const QString colour[2] = {"red", "blue"}, shape[2] = {"circle", "square"}, side[2] = {"left", "right"};
        const double strengths[2] = {0.8, 1.0};
        int objectsRight[2][2] = {}, layoutsRight[2][2] = {}; // [strength][regions, one prompt]
        for (int i = 0; i < layouts; ++i) {
            const QString background = backgrounds[i % backgrounds.size()];
            std::array<float, 3> rgb{};
            for (const NamedColour& c : kColours)
                if (background == c.name)
                    rgb = c.rgb;
            for (int s = 0; s < 2; ++s) {
                GenerationRequest r = request(QString("a large %1 circle in the centre on a %1 background").arg(background), uint64_t(i + 1));
                r.initImage.resize(size_t(r.width) * size_t(r.height) * 3);
                for (size_t p = 0; p < r.initImage.size(); ++p)
                    r.initImage[p] = rgb[p % 3] / 127.5f - 1.0f;
                r.strength = strengths[s];
                GenerationRequest plain = r;
                for (int k = 0; k < 2; ++k)
                    r.regions.push_back(Region{k == 0 ? 0.0 : 80.0, 16.0, k == 0 ? 48.0 : 128.0, 112.0,
                                               QString("a large %1 %2 on the %3 on a %4 background")
                                                   .arg(colour[k], shape[k], side[k], background), {}, 1.0});
                plain.prompt = QString("a large red circle on the left and a large blue square on the right on a %1 background").arg(background);
                for (int way = 0; way < 2; ++way) {
                    auto image = generate(*model(), way == 0 ? r : plain);
                    QVERIFY2(image, image ? "" : image.error().message.c_str());
                    int right = 0;
                    for (int k = 0; k < 2; ++k) {
                        const Seen seen = describe(crop(*image, k * 64, 0, k * 64 + 64, 128));
                        right += seen.colour == colour[k] && seen.shape == shape[k];
                    }
                    objectsRight[s][way] += right;
                    layoutsRight[s][way] += right == 2;
                    if (qEnvironmentVariableIsSet("ATELIER_EVALUATION_PICTURES"))
                        QImage(image->rgb.data(), image->width, image->height, image->width * 3, QImage::Format_RGB888)
                            .save(QString("%1/img2img_%2_%3_%4.png").arg(qEnvironmentVariable("ATELIER_EVALUATION_PICTURES"))
                                      .arg(i + 1).arg(strengths[s]).arg(way == 0 ? "regions" : "prompt"));
                }
                qInfo("layout %d on %s, strength %.1f: regions %d/%d objects, %d layouts; one prompt %d/%d, %d layouts",
                      i + 1, qPrintable(background), strengths[s], objectsRight[s][0], 2 * (i + 1), layoutsRight[s][0],
                      objectsRight[s][1], 2 * (i + 1), layoutsRight[s][1]);
            }
        }
        for (int s = 0; s < 2; ++s)
            qInfo("img2img at strength %.1f, %d layouts: with regions %d of %d objects right, %d layouts entirely; "
                  "one prompt %d objects, %d layouts", strengths[s], layouts, objectsRight[s][0], 2 * layouts,
                  layoutsRight[s][0], objectsRight[s][1], layoutsRight[s][1]);
    }

    // goldens_shapes.py: the same prompt, seed and sampler through the PyTorch model (float32).
    void paintsWhatPyTorchPaints()
    {
        test::GoldenFile golden("shapes_model");
        const std::vector<float> reference = golden.floats("image");
        const std::vector<int32_t> seed = golden.ints("seed");
        GenerationRequest r = request(QStringLiteral("a large red circle in the centre on a blue background"), uint64_t(seed[0]));
        auto image = generate(*model(), r);
        QVERIFY2(image, image ? "" : image.error().message.c_str());
        QCOMPARE(image->rgb.size(), reference.size());
        int largest = 0;
        double total = 0;
        for (size_t i = 0; i < reference.size(); ++i) {
            const int d = std::abs(int(image->rgb[i]) - int(reference[i]));
            largest = std::max(largest, d);
            total += d;
        }
        qInfo("Vulkan vs PyTorch: mean %.3f, largest %d of 255", total / double(reference.size()), largest);
        QVERIFY2(largest <= 2, qPrintable(QString("largest difference %1 of 255").arg(largest)));
    }
};

ATELIER_DIFFUSION_TEST(TestShapesModel)
#include "shapes_model_test.moc"

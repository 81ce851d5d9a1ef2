// Create's Layout mode with an init picture (issue 20: regions "work with img2img too"), as a user
// drives it on Atelier's shapes model: the init picture chosen with Choose… goes under the boxes
// with a note, a box drawn over it with its prompt, the denoising strength typed in; Generate runs
// img2img with the region (the red circle lands in its box on the plain yellow picture, and without
// the region nothing red is painted); the picture keeps the strength and the regions in its PNG
// (A1111's parameters and Atelier's JSON); Reuse parameters of the stored picture brings both back;
// ✕ takes the init picture from under the boxes.
//
// ATELIER_SCREENSHOTS=DIR writes what the window shows at each stage to DIR (for a person to look at).

#include "core/app_paths.h"
#include "window_fixture.h"
#include "shapes_colours.h"
#include "create/create_form.h"
#include "create/create_workspace.h"
#include "create/image_engine.h"
#include "create/layout_canvas.h"
#include "create/layout_mode.h"
#include "create/picture_view.h"
#include "diffusion/default_image_model.h"
#include "diffusion/generation_parameters.h"
#include "engine/compute_engine.h"
#include "file_dialog.h"
#include "io/png_text.h"
#include "store/database.h"
#include "store/picture_store.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QToolButton>
#include <QtTest>

#include <cmath>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 180000;

const QColor kYellow = test::kShapesYellow, kRed = test::kShapesRed;
using test::colourStats;
using test::ColourStats;

} // namespace

class TestCreateLayoutImg2img : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void regionsRepaintTheInitPicture();

private:
    template <typename T>
    T* find(const char* name) const
    {
        return test::childNamed<T>(mCreate.get(), name);
    }
    template <typename T>
    T* findByText(const QString& text) const
    {
        for (T* w : mCreate->findChildren<T*>())
            if (w->text() == text)
                return w;
        qFatal("no button %s", qPrintable(text));
    }
    void screenshot(const QString& name);
    // Generate, and the picture that comes back.
    ui::ImageResult generate();

    engine::ComputeEngine* mEngine = nullptr;
    std::unique_ptr<ui::CreateWorkspace> mCreate;
};

void TestCreateLayoutImg2img::initTestCase()
{
    test::useFreshSettings();
    QVERIFY(test::installModel(QStringLiteral(ATELIER_SHAPES_MODEL), diffusion::defaultImageModelPath()));
    mEngine = new engine::ComputeEngine(this);
    QVERIFY2(test::startEngine(*mEngine, kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestCreateLayoutImg2img::screenshot(const QString& name)
{
    const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS");
    QTest::qWait(50); // the layouts settle, as they would on screen before anyone looks
    if (!dir.isEmpty() && QDir().mkpath(dir))
        QVERIFY(mCreate->grab().save(dir + "/" + name + ".png"));
}

ui::ImageResult TestCreateLayoutImg2img::generate()
{
    QSignalSpy done(mCreate.get(), &ui::CreateWorkspace::pictureFinished);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    if (!done.wait(kPictureTimeoutMs))
        return {};
    return done.front().front().value<ui::ImageResult>();
}

void TestCreateLayoutImg2img::regionsRepaintTheInitPicture()
{
    mCreate = std::make_unique<ui::CreateWorkspace>(*mEngine);
    mCreate->resize(1280, 800);
    mCreate->show();
    QVERIFY(QTest::qWaitForWindowExposed(mCreate.get()));
    QCOMPARE(find<QComboBox>("imageModel")->currentText(), QStringLiteral("atelier-shapes-sd1"));
    find<QSpinBox>("width")->setValue(128);
    find<QSpinBox>("height")->setValue(128);
    find<QSpinBox>("steps")->setValue(12);
    find<QDoubleSpinBox>("cfgScale")->setValue(5.0);
    find<QComboBox>("sampler")->setCurrentText("Euler");
    find<QComboBox>("schedule")->setCurrentText("Uniform");
    find<QLineEdit>("seed")->setText("1");
    // The base prompt paints nothing of its own on this model.
    find<QPlainTextEdit>("prompt")->setPlainText("a large yellow circle in the centre on a yellow background");

    // The init picture: a plain yellow one, twice the picture's size (the request scales it down).
    QTemporaryDir dir;
    const QString initPath = dir.filePath("plain-yellow.png");
    QImage plainYellow(256, 256, QImage::Format_RGB888);
    plainYellow.fill(kYellow);
    QVERIFY(plainYellow.save(initPath));
    auto* strength = find<QDoubleSpinBox>("strength");
    QVERIFY(!strength->isEnabled());
    test::answerFileDialog(initPath);
    QTest::mouseClick(findByText<QPushButton>(QStringLiteral("Choose…")), Qt::LeftButton);
    QTRY_VERIFY(find<QLabel>("initImage")->text().startsWith("plain-yellow.png"));
    // The dialog has gone: the window is the user's again.
    mCreate->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(mCreate.get()));
    QVERIFY(strength->isEnabled());
    strength->selectAll();
    QTest::keyClicks(strength, "0.9");
    QCOMPARE(strength->value(), 0.9);

    // The Layout tab shows the init picture under the boxes, and says so.
    find<QTabWidget>("createTabs")->setCurrentWidget(mCreate->layoutMode());
    ui::LayoutCanvas* canvas = mCreate->layoutMode()->canvas();
    QVERIFY(QTest::qWaitForWindowExposed(canvas));
    auto* note = find<QLabel>("layoutInitNote");
    QVERIFY(note->isVisible());
    QVERIFY2(note->text().contains("plain-yellow.png") && note->text().contains("img2img"), qPrintable(note->text()));
    const QImage shown = canvas->grab().toImage();
    const QColor centre = shown.pixelColor(canvas->pictureRect().center().toPoint() + QPoint(3, 3));
    QVERIFY2(centre.red() > 120 && centre.green() > 100 && centre.blue() < 60, qPrintable(centre.name()));

    // A box over the left third, drawn with the mouse, with its prompt.
    const QPoint from = canvas->toWidget({0, 16}).toPoint(), to = canvas->toWidget({48, 112}).toPoint();
    QTest::mousePress(canvas, Qt::LeftButton, {}, from);
    for (int i = 1; i <= 4; ++i)
        QTest::mouseMove(canvas, from + (to - from) * i / 4);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, to);
    auto* regionPrompt = find<QLineEdit>("regionPrompt");
    QTRY_VERIFY(regionPrompt->hasFocus());
    QTest::keyClicks(regionPrompt, "a large red circle on the left on a yellow background");
    const std::vector<diffusion::Region> drawn = mCreate->layoutMode()->regions();
    QCOMPARE(int(drawn.size()), 1);
    QCOMPARE(drawn[0].x0, 0.0);
    QCOMPARE(drawn[0].x1, 48.0);
    screenshot("layout-img2img-before");

    QElapsedTimer clock;
    clock.start();
    const ui::ImageResult result = generate();
    QVERIFY2(!result.image.isNull(), "no picture came back");
    qInfo("img2img with a region in %.1f s", clock.elapsed() / 1000.0);
    const diffusion::GenerationRequest& g = result.request.generation;
    QCOMPARE(result.request.initImagePath, initPath); // (the pixels are dropped once sent)
    QCOMPARE(g.strength, 0.9);
    QVERIFY(g.regions == drawn);
    screenshot("layout-img2img-picture");
    find<QTabWidget>("createTabs")->setCurrentWidget(mCreate->layoutMode());
    screenshot("layout-img2img-after");

    // The region's red circle lands in its box on the yellow picture.
    const ColourStats red = colourStats(result.image, kRed);
    const ColourStats yellow = colourStats(result.image, kYellow);
    qInfo("red: %d pixels, centroid x %.1f; yellow: %d pixels", red.pixels, red.centreX, yellow.pixels);
    QVERIFY(red.pixels > 100);
    QVERIFY(red.centreX < 56);
    QVERIFY(yellow.pixels > 128 * 128 / 2); // the rest stays the init picture's yellow

    // The picture keeps the strength and the regions: A1111's parameters and Atelier's JSON.
    std::optional<diffusion::GenerationParameters> fromPng;
    QByteArray json;
    auto chunks = io::readPngText(result.png);
    QVERIFY(chunks.ok());
    for (const io::PngTextChunk& c : *chunks) {
        if (c.keyword == "parameters")
            if (auto parsed = diffusion::parseA1111(c.text); parsed.ok())
                fromPng = parsed.value();
        if (c.keyword == "atelier")
            json = c.text.toUtf8();
    }
    QVERIFY(fromPng);
    QCOMPARE(json, result.json);
    QCOMPARE(fromPng->denoisingStrength, std::optional<double>(0.9));
    auto pngRegions = diffusion::regionsOf(*fromPng);
    QVERIFY(pngRegions.ok() && *pngRegions == drawn);
    const QJsonObject record = QJsonDocument::fromJson(json).object();
    QCOMPARE(record.value("kind").toString(), QStringLiteral("img2img"));
    QCOMPARE(record.value("strength").toDouble(), 0.9);
    QCOMPARE(record.value("regions").toArray().size(), 1);
    QCOMPARE(record.value("regions").toArray()[0].toObject().value("box").toArray(), (QJsonArray{0, 16, 48, 112}));

    // Without the region, the same init picture, strength and seed paint nothing red: the region did.
    QTest::mouseClick(find<QToolButton>("clearLayout"), Qt::LeftButton);
    const ui::ImageResult plain = generate();
    QVERIFY2(!plain.image.isNull(), "no picture came back");
    QVERIFY(plain.request.generation.regions.empty());
    QCOMPARE(plain.request.generation.strength, 0.9);
    const int plainRed = colourStats(plain.image, kRed).pixels;
    qInfo("without the region: %d red pixels", plainRed);
    QVERIFY(plainRed < red.pixels / 10);

    // Reuse parameters of the stored picture (as the Library hands it over) brings back the
    // strength and the region.
    QTemporaryDir library;
    auto db = store::Database::open(library.filePath("atelier.sqlite3"));
    QVERIFY(db.ok());
    store::PictureStore pictures(**db, library.filePath("gallery"));
    auto stored = pictures.add(store::PictureRecord::fromParameters(result.parameters, store::PictureKind::Img2Img), result.png);
    QVERIFY(stored.ok());
    strength->setValue(0.3);
    QVERIFY(mCreate->layoutMode()->regions().empty());
    mCreate->setParameters(pictures.picture(stored->id)->parameters());
    QCOMPARE(strength->value(), 0.9);
    QVERIFY(mCreate->layoutMode()->regions() == drawn);
    // The init picture stays under the boxes (A1111's Reuse keeps the init picture too).
    find<QTabWidget>("createTabs")->setCurrentWidget(mCreate->layoutMode());
    QVERIFY(note->isVisible());
    screenshot("layout-img2img-reused");

    // ✕ starts from noise again: the note goes, and the last picture is under the boxes.
    QTest::mouseClick(findByText<QToolButton>(QStringLiteral("✕")), Qt::LeftButton);
    QVERIFY(!strength->isEnabled());
    QVERIFY(!note->isVisible());
    QVERIFY(mCreate->layoutMode()->initPicture().isEmpty());
    mCreate->imageEngine()->cancelAll();
    QTRY_VERIFY_WITH_TIMEOUT(!mCreate->imageEngine()->busy(), kPictureTimeoutMs);
    mCreate.reset();
}

QTEST_MAIN(TestCreateLayoutImg2img)
#include "tst_create_layout_img2img.moc"

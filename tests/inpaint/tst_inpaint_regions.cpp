// Inpaint's Regions tab (issue 20: regions "work with inpainting too"), as a user drives it on
// Atelier's shapes model: the picture being inpainted lies under the boxes, a box drawn with the
// mouse over its left third with its own prompt is sent with the repaint, and its red circle lands
// inside the box of the plain yellow picture (nothing red without it); the picture keeps the region
// in its PNG and brings it back when opened again; a box the picture cannot take is refused in the
// banner; outpainting moves the box with the picture.
//
// ATELIER_SCREENSHOTS=DIR writes what the window shows to DIR (for a person to look at).

#include "core/app_paths.h"
#include "window_fixture.h"
#include "shapes_colours.h"
#include "create/layout_canvas.h"
#include "create/layout_mode.h"
#include "create/region_layout.h"
#include "diffusion/default_image_model.h"
#include "diffusion/generation_parameters.h"
#include "engine/compute_engine.h"
#include "inpaint/inpaint_workspace.h"
#include "inpaint/mask_canvas.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFile>
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
#include <QUndoStack>
#include <QtTest>

#include <cmath>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 180000;

const QColor kYellow = test::kShapesYellow, kRed = test::kShapesRed;
using test::colourStats;
using test::ColourStats;

template <typename T>
T* find(QWidget* parent, const char* name)
{
    T* w = parent->findChild<T*>(QString::fromLatin1(name));
    if (!w)
        qFatal("no widget %s", name);
    return w;
}

} // namespace

class TestInpaintRegions : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void aRegionRepaintsItsBoxOfTheMask();

private:
    void screenshot(QWidget* widget, const QString& name);
    ui::ImageResult inpaint(ui::InpaintWorkspace* ws);

    engine::ComputeEngine* mEngine = nullptr;
};

void TestInpaintRegions::initTestCase()
{
    test::useFreshSettings();
    QVERIFY(test::installModel(QStringLiteral(ATELIER_SHAPES_MODEL), diffusion::defaultImageModelPath()));
    mEngine = new engine::ComputeEngine(this);
    QVERIFY2(test::startEngine(*mEngine, kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestInpaintRegions::screenshot(QWidget* widget, const QString& name)
{
    const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS");
    QTest::qWait(50);
    if (!dir.isEmpty() && QDir().mkpath(dir))
        QVERIFY(widget->grab().save(dir + "/" + name + ".png"));
}

ui::ImageResult TestInpaintRegions::inpaint(ui::InpaintWorkspace* ws)
{
    QSignalSpy done(ws, &ui::InpaintWorkspace::pictureFinished);
    QTest::mouseClick(find<QPushButton>(ws, "inpaintButton"), Qt::LeftButton);
    if (!done.wait(kPictureTimeoutMs))
        qWarning("no picture: %s", qPrintable(find<QLabel>(ws, "inpaintStatus")->text()));
    return done.isEmpty() ? ui::ImageResult{} : done.front().front().value<ui::ImageResult>();
}

void TestInpaintRegions::aRegionRepaintsItsBoxOfTheMask()
{
    QTemporaryDir dir;
    const QString path = dir.filePath("plain-yellow.png");
    QImage yellow(128, 128, QImage::Format_RGB888);
    yellow.fill(kYellow);
    QVERIFY(yellow.save(path));

    auto ws = std::make_unique<ui::InpaintWorkspace>(*mEngine);
    ws->resize(1200, 760);
    ws->show();
    QVERIFY(QTest::qWaitForWindowExposed(ws.get()));
    ws->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(ws.get()));
    QVERIFY(ws->setPicture(path));
    QCOMPARE(find<QComboBox>(ws.get(), "inpaintModel")->currentText(), QStringLiteral("atelier-shapes-sd1"));
    // The base prompt paints nothing of its own on this model.
    find<QPlainTextEdit>(ws.get(), "inpaintPrompt")->setPlainText("a large yellow circle in the centre on a yellow background");
    find<QSpinBox>(ws.get(), "inpaintSteps")->setValue(12);
    find<QDoubleSpinBox>(ws.get(), "inpaintCfgScale")->setValue(5.0);
    find<QComboBox>(ws.get(), "inpaintSampler")->setCurrentText("Euler");
    find<QLineEdit>(ws.get(), "inpaintSeed")->setText("1");
    find<QDoubleSpinBox>(ws.get(), "inpaintStrength")->setValue(0.9);
    ws->findChild<QAction*>("fillMask")->trigger(); // repaint the whole picture
    QVERIFY(!ws->canvas()->maskIsEmpty());

    // The Regions tab: the picture under the boxes, a box drawn over its left third.
    auto* tabs = find<QTabWidget>(ws.get(), "inpaintTabs");
    tabs->setCurrentWidget(ws->regions());
    ui::LayoutCanvas* canvas = ws->regions()->canvas();
    QVERIFY(QTest::qWaitForWindowExposed(canvas));
    QCOMPARE(canvas->pictureSize(), QSize(128, 128));
    const QColor centre = canvas->grab().toImage().pixelColor(canvas->pictureRect().center().toPoint() + QPoint(3, 3));
    QVERIFY2(centre.red() > 120 && centre.green() > 100 && centre.blue() < 60, qPrintable(centre.name()));
    const QPoint from = canvas->toWidget({0, 16}).toPoint(), to = canvas->toWidget({48, 112}).toPoint();
    QTest::mousePress(canvas, Qt::LeftButton, {}, from);
    for (int i = 1; i <= 4; ++i)
        QTest::mouseMove(canvas, from + (to - from) * i / 4);
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, to);
    auto* regionPrompt = find<QLineEdit>(ws->regions(), "regionPrompt");
    QTRY_VERIFY(regionPrompt->hasFocus());
    QTest::keyClicks(regionPrompt, "a large red circle on the left on a yellow background");
    QCOMPARE(tabs->tabText(1), QStringLiteral("Regions (1)"));
    const std::vector<diffusion::Region> drawn = ws->regions()->regions();
    QCOMPARE(int(drawn.size()), 1);
    QCOMPARE(drawn[0].x1, 48.0);
    screenshot(ws.get(), "inpaint-regions-before");

    const ui::ImageResult result = inpaint(ws.get());
    QVERIFY(!result.image.isNull());
    QVERIFY(result.request.generation.regions == drawn);
    const ColourStats red = colourStats(result.image, kRed);
    qInfo("inpaint with a region: %d red pixels, centroid x %.1f", red.pixels, red.centreX);
    QVERIFY(red.pixels > 100);
    QVERIFY(red.centreX < 56);
    QVERIFY(colourStats(result.image, kYellow).pixels > 128 * 128 / 2);
    // The picture keeps the region: A1111's parameters and Atelier's JSON.
    auto kept = diffusion::regionsOf(result.parameters);
    QVERIFY(kept.ok() && *kept == drawn);
    QCOMPARE(QJsonDocument::fromJson(result.json).object().value("regions").toArray().size(), 1);
    tabs->setCurrentIndex(0);
    screenshot(ws.get(), "inpaint-regions-result");

    // Without the region the same mask, prompt and seed paint nothing red: the region did.
    tabs->setCurrentWidget(ws->regions());
    QTest::mouseClick(find<QToolButton>(ws->regions(), "clearLayout"), Qt::LeftButton);
    QCOMPARE(tabs->tabText(1), QStringLiteral("Regions"));
    const ui::ImageResult plain = inpaint(ws.get());
    QVERIFY(!plain.image.isNull());
    QVERIFY(plain.request.generation.regions.empty());
    const int plainRed = colourStats(plain.image, kRed).pixels;
    qInfo("without the region: %d red pixels", plainRed);
    QVERIFY(plainRed < red.pixels / 10);

    // A box without a prompt is refused before anything runs, with the Regions tab in front.
    QTest::mouseClick(find<QToolButton>(ws->regions(), "layoutUndo"), Qt::LeftButton);
    ws->regions()->layout()->setPrompt(0, QString());
    tabs->setCurrentIndex(0);
    QVERIFY(!ws->generate());
    QCOMPARE(tabs->currentWidget(), ws->regions());
    const QString banner = find<QLabel>(ws.get(), "inpaintStatus")->text();
    QVERIFY2(banner.contains("region 1 has no prompt"), qPrintable(banner));
    QVERIFY(!ws->imageEngine()->busy());
    // Writing the prompt takes the stale error away.
    ws->regions()->layout()->setPrompt(0, QStringLiteral("a large blue square on the left on a yellow background"));
    QVERIFY(find<QLabel>(ws.get(), "inpaintStatus")->text().isEmpty());

    // Outpainting 64 pixels on the left moves the box with what it covers instead of stretching it.
    find<QComboBox>(ws.get(), "outpaintEdge")->setCurrentText("Left");
    QTest::mouseClick(find<QToolButton>(ws.get(), "extend64"), Qt::LeftButton);
    QCOMPARE(ws->canvas()->picture().size(), QSize(192, 128));
    QCOMPARE(ws->regions()->pictureSize(), QSize(192, 128));
    const std::vector<diffusion::Region> moved = ws->regions()->regions();
    QCOMPARE(int(moved.size()), 1);
    QCOMPARE(moved[0].x0, 64.0);
    QCOMPARE(moved[0].x1, 112.0);
    QCOMPARE(moved[0].y0, 16.0);
    QCOMPARE(moved[0].y1, 112.0);
    screenshot(ws.get(), "inpaint-regions-extended");
    // Undo takes the extension and the move back in one step, Redo brings both again.
    ws->canvas()->undoStack()->undo();
    QCOMPARE(ws->canvas()->picture().size(), QSize(128, 128));
    const std::vector<diffusion::Region> back = ws->regions()->regions();
    QCOMPARE(int(back.size()), 1);
    QCOMPARE(back[0].x0, 0.0);
    QCOMPARE(back[0].x1, 48.0);
    QCOMPARE(back[0].y0, 16.0);
    QCOMPARE(back[0].y1, 112.0);
    QCOMPARE(back[0].prompt, moved[0].prompt);
    ws->canvas()->undoStack()->redo();
    QCOMPARE(ws->canvas()->picture().size(), QSize(192, 128));
    QVERIFY(ws->regions()->regions() == moved);

    // A picture made with regions brings them along when it is opened (Send to Inpaint), as it
    // brings its prompt; the layout before is one undo step away.
    const QString made = dir.filePath("made-with-regions.png");
    QFile file(made);
    QVERIFY(file.open(QIODevice::WriteOnly) && file.write(result.png) == result.png.size());
    file.close();
    QVERIFY(ws->setPicture(made));
    QVERIFY2(ws->regions()->regions() == drawn, "the picture's regions did not come along");
    QCOMPARE(tabs->tabText(1), QStringLiteral("Regions (1)"));
    QTest::mouseClick(find<QToolButton>(ws->regions(), "layoutUndo"), Qt::LeftButton);
    QCOMPARE(ws->regions()->regions()[0].prompt, QStringLiteral("a large blue square on the left on a yellow background"));
}

QTEST_MAIN(TestInpaintRegions)
#include "tst_inpaint_regions.moc"

// Inpaint's rough edges from issue 18, through the real widgets: the mask's tint stands out on
// pictures of every colour, the progress says why fewer steps run than Steps asks for, and in a
// 1024 x 700 window every toolbar action (Continue from result too) can be reached.
// ATELIER_SCREENSHOTS=DIR keeps what the tests saw as PNGs.

#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "inpaint/inpaint_form.h"
#include "inpaint/inpaint_workspace.h"
#include "inpaint/mask_canvas.h"
#include "inpaint/mask_tint.h"
#include "main_window.h"

#include <QAction>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLineEdit>
#include <QMenu>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTemporaryDir>
#include <QTabWidget>
#include <QToolBar>
#include <QToolButton>
#include <QtTest>

#include <memory>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 180000;

void keepScreenshot(QWidget* widget, const QString& name)
{
    const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS");
    if (!dir.isEmpty())
        widget->grab().save(dir + "/" + name + ".png");
}

QImage solid(QRgb colour)
{
    QImage picture(128, 128, QImage::Format_RGB32);
    picture.fill(colour);
    return picture;
}

// The mean colour of a widget-space rectangle of a grab.
QRgb meanColour(const QImage& image, const QRect& rect)
{
    double r = 0, g = 0, b = 0;
    int n = 0;
    for (int y = rect.top(); y <= rect.bottom(); ++y)
        for (int x = rect.left(); x <= rect.right(); ++x) {
            const QRgb p = image.pixel(x, y);
            r += qRed(p);
            g += qGreen(p);
            b += qBlue(p);
            ++n;
        }
    return qRgb(int(r / n), int(g / n), int(b / n));
}

} // namespace

class TestInpaintPolish : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();

    void theMaskStandsOutOnEveryPicture_data();
    void theMaskStandsOutOnEveryPicture();
    void theStepsSayWhatTheStrengthRuns();
    void everyToolIsReachableIn1024x700();

private:
    engine::ComputeEngine* mEngine = nullptr;
    QTemporaryDir mFiles;
};

void TestInpaintPolish::initTestCase()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    QSettings().clear();
    QVERIFY(mFiles.isValid());
    const QString models = paths::modelsDir();
    QVERIFY(paths::ensureDir(models));
    const QString target = models + "/golden_sd1.safetensors";
    QFile::remove(target);
    QVERIFY(QFile::copy(QStringLiteral(ATELIER_GOLDEN_SD1), target));

    mEngine = new engine::ComputeEngine(this);
    QSignalSpy ready(mEngine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    mEngine->start(options);
    QVERIFY2(ready.wait(kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestInpaintPolish::theMaskStandsOutOnEveryPicture_data()
{
    QTest::addColumn<QImage>("picture");
    QTest::newRow("magenta") << solid(qRgb(235, 40, 200));
    QTest::newRow("pink") << solid(qRgb(220, 60, 170));
    QTest::newRow("green") << solid(qRgb(40, 200, 80));
    QTest::newRow("cyan") << solid(qRgb(0, 200, 255));
    QTest::newRow("yellow") << solid(qRgb(250, 220, 0));
    QTest::newRow("white") << solid(qRgb(255, 255, 255));
    QTest::newRow("black") << solid(qRgb(0, 0, 0));
}

void TestInpaintPolish::theMaskStandsOutOnEveryPicture()
{
    QFETCH(QImage, picture);
    // A stroke across the middle of the picture on the canvas, at the form's default opacity.
    auto canvas = std::make_unique<ui::MaskCanvas>();
    canvas->resize(256, 256);
    canvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(canvas.get()));
    ui::InpaintForm form;
    canvas->setOverlayOpacity(form.overlayOpacity());
    canvas->setPicture(picture);
    canvas->setBrushSize(40);
    canvas->setHardness(1.0);
    const QPoint from = canvas->toWidget(QPointF(10, 64)).toPoint();
    const QPoint to = canvas->toWidget(QPointF(118, 64)).toPoint();
    QTest::mousePress(canvas.get(), Qt::LeftButton, {}, from);
    QTest::mouseMove(canvas.get(), (from + to) / 2);
    QTest::mouseMove(canvas.get(), to);
    QTest::mouseRelease(canvas.get(), Qt::LeftButton, {}, to);
    QVERIFY(!canvas->maskIsEmpty());
    canvas->setCursor(Qt::BlankCursor);
    QTest::mouseMove(canvas.get(), QPoint(1, 1));

    const QImage shot = canvas->grab().toImage().convertToFormat(QImage::Format_RGB32);
    keepScreenshot(canvas.get(), QStringLiteral("mask_tint_%1").arg(QString::fromLatin1(QTest::currentDataTag()).replace(' ', '_')));
    // Painted strip (picture rows 56-72) against the untouched top (rows 4-20), left and right halves.
    auto area = [&](int x0, int y0, int x1, int y1) {
        return QRect(canvas->toWidget(QPointF(x0, y0)).toPoint(), canvas->toWidget(QPointF(x1, y1)).toPoint());
    };
    const QRgb painted = meanColour(shot, area(30, 58, 98, 70));
    const QRgb bare = meanColour(shot, area(30, 6, 98, 18));
    const double distance = ui::colourDistance(painted, bare);
    // At the default opacity the tinted strip must differ plainly from the picture (a tint of the
    // picture's own colour gives almost 0; a tenth of black to white is 76).
    QVERIFY2(distance > 100, qPrintable(QStringLiteral("painted %1 vs bare %2: distance %3")
                                            .arg(QColor(painted).name(), QColor(bare).name())
                                            .arg(distance)));
}

void TestInpaintPolish::theStepsSayWhatTheStrengthRuns()
{
    ui::InpaintWorkspace ws(*mEngine);
    ws.resize(1000, 700);
    ws.show();
    QVERIFY(QTest::qWaitForWindowExposed(&ws));
    const QString file = mFiles.filePath("picture.png");
    QVERIFY(solid(qRgb(40, 120, 200)).scaled(64, 64).save(file));
    QVERIFY(ws.setPicture(file));
    ws.canvas()->fillMask();
    auto* form = ws.form();
    form->findChild<QPlainTextEdit*>("inpaintPrompt")->setPlainText("a red circle");
    form->findChild<QSpinBox*>("inpaintSteps")->setValue(8);
    form->findChild<QDoubleSpinBox*>("inpaintStrength")->setValue(0.5);
    auto* bar = ws.findChild<QProgressBar*>("inpaintProgress");
    QStringList shown;
    connect(ws.imageEngine(), &ui::ImageEngine::preview, &ws, [&] { shown.append(bar->text()); });
    connect(ws.imageEngine(), &ui::ImageEngine::progress, &ws, [&] { shown.append(bar->text()); });
    QSignalSpy done(&ws, &ui::InpaintWorkspace::pictureFinished);
    QVERIFY(ws.generate());
    QVERIFY(done.wait(kPictureTimeoutMs));
    QVERIFY(!shown.isEmpty());
    // Strength 0.5 of 8 steps runs fewer (5 with A1111's rounding): the bar says how many of the 8
    // at every step, never only "Step n of 5".
    const QRegularExpression explained(QStringLiteral("^Step (\\d) of (\\d) \\(\\2 of 8 steps at strength 0.5\\)$"));
    int steps = 0;
    for (const QString& text : std::as_const(shown)) {
        if (!text.startsWith("Step"))
            continue;
        const QRegularExpressionMatch m = explained.match(text);
        QVERIFY2(m.hasMatch(), qPrintable(text));
        steps = m.captured(2).toInt();
    }
    QVERIFY2(steps >= 4 && steps < 8, qPrintable(shown.join(" | ")));
    QVERIFY2(shown.contains(QStringLiteral("Step %1 of %1 (%1 of 8 steps at strength 0.5)").arg(steps)),
             qPrintable(shown.join(" | ")));

    // At strength 1 every step runs, and the bar needs no word about it.
    shown.clear();
    form->findChild<QDoubleSpinBox*>("inpaintStrength")->setValue(1.0);
    form->findChild<QSpinBox*>("inpaintSteps")->setValue(3);
    QVERIFY(ws.generate());
    QVERIFY(done.wait(kPictureTimeoutMs));
    QVERIFY2(shown.contains("Step 3 of 3"), qPrintable(shown.join(" | ")));
}

void TestInpaintPolish::everyToolIsReachableIn1024x700()
{
    // The real window at 1024 x 700 on Inpaint with a picture: every action of its toolbars is shown
    // whole inside the window, none only behind a » menu.
    ui::MainWindow window(*mEngine);
    window.resize(1024, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* inpaintAction = window.findChild<QAction*>("inpaintAction");
    QVERIFY(inpaintAction);
    inpaintAction->trigger();
    auto* ws = window.findChild<ui::InpaintWorkspace*>();
    QVERIFY(ws);
    QCOMPARE(window.findChild<QStackedWidget*>("workspaces")->currentWidget(), ws);
    const QString file = mFiles.filePath("wide.png");
    QVERIFY(solid(qRgb(200, 180, 60)).scaled(192, 128).save(file));
    QVERIFY(ws->setPicture(file));
    QTest::qWait(50);
    QCOMPARE(window.size(), QSize(1024, 700));
    keepScreenshot(&window, "inpaint_1024x700");

    QStringList names;
    QStringList outOfSight;
    const QList<QToolBar*> bars = ws->findChildren<QToolBar*>();
    QVERIFY(bars.size() >= 1);
    // The mask's tools, then the Regions tab's (issue 20), each while its tab is on show.
    auto* tabs = ws->findChild<QTabWidget*>("inpaintTabs");
    QVERIFY(tabs);
    for (int tab = 0; tab < tabs->count(); ++tab) {
        tabs->setCurrentIndex(tab);
        QTest::qWait(20);
        for (QToolBar* bar : bars) {
            if (!bar->isVisibleTo(ws))
                continue; // on the other tab
            if (auto* more = bar->findChild<QToolButton*>("qt_toolbar_ext_button"))
                QVERIFY2(!more->isVisible(), qPrintable(bar->objectName() + " folds actions into its » menu"));
            for (QAction* action : bar->actions()) {
                if (action->isSeparator() || !action->isVisible())
                    continue; // a tool of the other tab
                names << action->objectName();
                QWidget* button = bar->widgetForAction(action);
                const bool shownWhole = button && button->isVisible() &&
                                        window.rect().contains(QRect(button->mapTo(&window, QPoint(0, 0)), button->size())) &&
                                        bar->rect().contains(button->geometry());
                if (!shownWhole)
                    outOfSight << action->text();
            }
        }
    }
    // The mask's tools only with the mask: over the regions the bar keeps Open… and Paste.
    auto* maskTools = ws->findChild<QToolBar*>("inpaintTools");
    auto shown = [&](const char* name) { return maskTools->findChild<QWidget*>(name)->isVisible(); };
    tabs->setCurrentIndex(1);
    QTRY_VERIFY(!shown("eraser") && !shown("invertMask") && !shown("fitPicture"));
    QVERIFY(shown("openPicture") && shown("pastePicture"));
    tabs->setCurrentIndex(0);
    QTRY_VERIFY(shown("eraser") && shown("invertMask") && shown("fitPicture"));
    for (const char* name : {"openPicture", "eraser", "undoMask", "fitPicture", "beforeAfter", "keepResult"})
        QVERIFY2(names.contains(name), name);
    QVERIFY2(outOfSight.isEmpty(), qPrintable("out of sight: " + outOfSight.join(", ")));
}

QTEST_MAIN(TestInpaintPolish)
#include "tst_inpaint_polish.moc"

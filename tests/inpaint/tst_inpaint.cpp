// The Inpaint workspace as a user drives it: the mask canvas under mouse, pen and wheel events,
// and (with a real compute engine and the golden SD 1.x checkpoint) a whole inpaint into the Library.

#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "inpaint/inpaint_form.h"
#include "inpaint/inpaint_record.h"
#include "inpaint/inpaint_workspace.h"
#include "inpaint/mask_canvas.h"
#include "inpaint/mask_shaping.h"
#include "store/database.h"
#include "store/picture_store.h"

#include "io/png_text.h"

#include <QBuffer>
#include <QClipboard>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QPointingDevice>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QToolButton>
#include <QTabletEvent>
#include <QUndoStack>
#include <QWheelEvent>
#include <QCheckBox>
#include <QSettings>
#include <QtTest>

#include <memory>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 180000;

// A 128 x 128 picture in a 256 x 256 canvas: fitted at zoom 2 with no margin, so picture point p
// is widget point 2p.
QImage testPicture()
{
    QImage picture(128, 128, QImage::Format_RGB32);
    for (int y = 0; y < 128; ++y)
        for (int x = 0; x < 128; ++x)
            picture.setPixel(x, y, qRgb(x * 2, y * 2, 128));
    return picture;
}

QPoint onScreen(QPointF picturePoint) { return (picturePoint * 2).toPoint(); }

int value(const QImage& mask, int x, int y) { return mask.constScanLine(y)[x]; }

int paintedPixels(const QImage& mask)
{
    int n = 0;
    for (int y = 0; y < mask.height(); ++y)
        for (int x = 0; x < mask.width(); ++x)
            n += value(mask, x, y) != 0;
    return n;
}

QByteArray pngBytes(const QImage& image)
{
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return png;
}

} // namespace

class TestInpaint : public QObject {
    Q_OBJECT

private slots:
    void theFormIsKeptAcrossRuns();
    void initTestCase();
    void init();
    void cleanup();

    void aDragPaintsAlongItsPathOnly();
    void eachStrokeIsOneUndoStep();
    void theEraserClearsWhereItGoes();
    void invertClearAndFill();
    void brushSizeAndHardnessShapeTheDab_data();
    void brushSizeAndHardnessShapeTheDab();
    void penPressureScalesTheBrush();
    void wheelZoomKeepsThePointUnderThePointer();
    void spaceDragAndMiddleDragPan();
    void growAndFeatherArePreviewedOnTheOverlay();
    void shapeMaskGrowsShrinksAndFeathers();
    void extendingAddsAMaskedStrip();

    // The workspace.
    void aPictureComesFromAFileOrTheClipboard();
    void ctrlZAndCtrlShiftZUndoAndRedoStrokes();
    void theFormDrivesTheBrushPreviewAndOutpainting();
    void inpaintWantsAPictureAndAMask();
    void inpaintKeepsEverythingOutsideTheMaskAndIsRecorded();
    void escapeCancelsAndShowsThePictureAgain();

private:
    void drag(const QList<QPointF>& picturePoints, Qt::MouseButton button = Qt::LeftButton);
    // A workspace on show, sized like a small window, with a picture.
    std::unique_ptr<ui::InpaintWorkspace> workspace(const QString& picturePath = {});
    void dragOn(ui::MaskCanvas* canvas, const QList<QPointF>& picturePoints);
    template <typename T>
    static T* find(QWidget* parent, const char* name)
    {
        T* w = parent->findChild<T*>(QString::fromLatin1(name));
        if (!w)
            qFatal("no widget %s", name);
        return w;
    }

    engine::ComputeEngine* mEngine = nullptr;
    QTemporaryDir mFiles;
    std::unique_ptr<ui::MaskCanvas> mCanvas;
};

void TestInpaint::initTestCase()
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

std::unique_ptr<ui::InpaintWorkspace> TestInpaint::workspace(const QString& picturePath)
{
    auto ws = std::make_unique<ui::InpaintWorkspace>(*mEngine);
    ws->resize(1000, 700);
    ws->show();
    if (!QTest::qWaitForWindowExposed(ws.get()))
        qFatal("the workspace did not show");
    ws->activateWindow();
    if (!picturePath.isEmpty() && !ws->setPicture(picturePath))
        qFatal("the picture did not open");
    return ws;
}

void TestInpaint::dragOn(ui::MaskCanvas* canvas, const QList<QPointF>& points)
{
    QTest::mousePress(canvas, Qt::LeftButton, {}, canvas->toWidget(points.first()).toPoint());
    for (qsizetype i = 1; i < points.size(); ++i)
        QTest::mouseMove(canvas, canvas->toWidget(points[i]).toPoint());
    QTest::mouseRelease(canvas, Qt::LeftButton, {}, canvas->toWidget(points.last()).toPoint());
}

void TestInpaint::init()
{
    mCanvas = std::make_unique<ui::MaskCanvas>();
    mCanvas->resize(256, 256);
    mCanvas->show();
    QVERIFY(QTest::qWaitForWindowExposed(mCanvas.get()));
    mCanvas->setPicture(testPicture());
    QCOMPARE(mCanvas->zoom(), 2.0);
    mCanvas->setBrushSize(10);
    mCanvas->setHardness(1.0);
}

void TestInpaint::cleanup() { mCanvas.reset(); }

void TestInpaint::drag(const QList<QPointF>& points, Qt::MouseButton button)
{
    QTest::mousePress(mCanvas.get(), button, {}, onScreen(points.first()));
    for (qsizetype i = 1; i < points.size(); ++i)
        QTest::mouseMove(mCanvas.get(), onScreen(points[i]));
    QTest::mouseRelease(mCanvas.get(), button, {}, onScreen(points.last()));
}

void TestInpaint::aDragPaintsAlongItsPathOnly()
{
    QVERIFY(mCanvas->maskIsEmpty());
    // A fast drag: three events 40 picture pixels apart still paint a continuous line.
    drag({{20, 64}, {60, 64}, {100, 64}});
    const QImage& mask = mCanvas->mask();
    QCOMPARE(mask.size(), QSize(128, 128));
    for (int x = 20; x <= 100; ++x) {
        QCOMPARE(value(mask, x, 64), 255);
        QCOMPARE(value(mask, x, 60), 255); // inside the 5-pixel radius
        QCOMPARE(value(mask, x, 70), 0);   // outside it
    }
    QCOMPARE(value(mask, 10, 64), 0);
    QCOMPARE(value(mask, 110, 64), 0);
    for (int y = 0; y < 128; ++y)
        for (int x = 0; x < 128; ++x)
            if (y < 58 || y > 70 || x < 14 || x > 106)
                QCOMPARE(value(mask, x, y), 0);
    QCOMPARE(mCanvas->undoStack()->count(), 1);
}

void TestInpaint::eachStrokeIsOneUndoStep()
{
    drag({{20, 20}, {100, 20}});
    const QImage first = mCanvas->mask().copy();
    mCanvas->setHardness(0.3);
    drag({{64, 10}, {64, 120}, {30, 120}});
    const QImage second = mCanvas->mask().copy();
    QVERIFY(second != first);
    QCOMPARE(mCanvas->undoStack()->count(), 2);

    mCanvas->undoStack()->undo();
    QCOMPARE(mCanvas->mask(), first);
    mCanvas->undoStack()->undo();
    QVERIFY(mCanvas->maskIsEmpty());
    mCanvas->undoStack()->redo();
    QCOMPARE(mCanvas->mask(), first);
    mCanvas->undoStack()->redo();
    QCOMPARE(mCanvas->mask(), second);
}

void TestInpaint::theEraserClearsWhereItGoes()
{
    mCanvas->fillMask();
    QCOMPARE(paintedPixels(mCanvas->mask()), 128 * 128);
    mCanvas->setErasing(true);
    drag({{64, 10}, {64, 118}});
    for (int y = 10; y <= 118; ++y) {
        QCOMPARE(value(mCanvas->mask(), 64, y), 0);
        QCOMPARE(value(mCanvas->mask(), 75, y), 255);
    }
    QCOMPARE(mCanvas->undoStack()->count(), 2);
    mCanvas->undoStack()->undo();
    QCOMPARE(paintedPixels(mCanvas->mask()), 128 * 128);
}

void TestInpaint::invertClearAndFill()
{
    mCanvas->setHardness(0.0);
    drag({{30, 30}, {90, 30}});
    const QImage painted = mCanvas->mask().copy();
    const int soft = value(painted, 60, 33); // on the soft edge
    QVERIFY2(soft > 0 && soft < 255, qPrintable(QString::number(soft)));

    mCanvas->invertMask();
    QCOMPARE(value(mCanvas->mask(), 60, 30), 255 - value(painted, 60, 30));
    QCOMPARE(value(mCanvas->mask(), 60, 33), 255 - soft);
    QCOMPARE(value(mCanvas->mask(), 5, 100), 255);
    mCanvas->clearMask();
    QVERIFY(mCanvas->maskIsEmpty());
    mCanvas->fillMask();
    QCOMPARE(paintedPixels(mCanvas->mask()), 128 * 128);
    QCOMPARE(mCanvas->undoStack()->count(), 4);
    mCanvas->undoStack()->undo();
    mCanvas->undoStack()->undo();
    mCanvas->undoStack()->undo();
    QCOMPARE(mCanvas->mask(), painted);
}

void TestInpaint::brushSizeAndHardnessShapeTheDab_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<double>("hardness");
    QTest::newRow("10 px, hard") << 10 << 1.0;
    QTest::newRow("30 px, hard") << 30 << 1.0;
    QTest::newRow("30 px, soft") << 30 << 0.0;
    QTest::newRow("30 px, half") << 30 << 0.5;
}

void TestInpaint::brushSizeAndHardnessShapeTheDab()
{
    QFETCH(int, size);
    QFETCH(double, hardness);
    mCanvas->setBrushSize(size);
    mCanvas->setHardness(hardness);
    QTest::mouseClick(mCanvas.get(), Qt::LeftButton, {}, onScreen({64, 64}));
    const QImage& mask = mCanvas->mask();
    const double r = size / 2.0;
    // The dab covers the disc of the brush's radius and nothing past it.
    const double area = M_PI * r * r;
    QVERIFY2(std::abs(paintedPixels(mask) - area) < 2 * M_PI * r + 4, qPrintable(QString::number(paintedPixels(mask))));
    QVERIFY(value(mask, 64, 64) >= 250); // the centre is (nearly) full however soft the brush
    QCOMPARE(value(mask, 64 + int(r) + 1, 64), 0);
    // Hardness: full strength up to hardness * radius, then a falling edge.
    const int at80 = value(mask, 64 + int(0.8 * r), 64);
    if (hardness == 1.0)
        QCOMPARE(at80, 255);
    else
        QVERIFY2(at80 > 0 && at80 < 160, qPrintable(QString::number(at80)));
    if (hardness == 0.5)
        QCOMPARE(value(mask, 64 + int(0.4 * r) - 1, 64), 255);
}

void TestInpaint::penPressureScalesTheBrush()
{
    mCanvas->setBrushSize(40);
    QPointingDevice pen(QStringLiteral("test pen"), 42, QInputDevice::DeviceType::Stylus,
                        QPointingDevice::PointerType::Pen,
                        QInputDevice::Capability::Position | QInputDevice::Capability::Pressure, 1, 3);
    auto penEvent = [&](QEvent::Type type, QPointF picturePoint, double pressure) {
        const QPointF at = onScreen(picturePoint);
        QTabletEvent event(type, &pen, at, mCanvas->mapToGlobal(at), pressure, 0, 0, 0, 0, 0, {},
                           type == QEvent::TabletMove ? Qt::NoButton : Qt::LeftButton,
                           type == QEvent::TabletRelease ? Qt::NoButton : Qt::LeftButton);
        QApplication::sendEvent(mCanvas.get(), &event);
        QVERIFY(event.isAccepted());
    };
    // Light at the left, full at the right.
    penEvent(QEvent::TabletPress, {30, 64}, 0.25);
    penEvent(QEvent::TabletMove, {40, 64}, 0.25);
    penEvent(QEvent::TabletMove, {90, 64}, 1.0);
    penEvent(QEvent::TabletRelease, {100, 64}, 1.0);
    const QImage& mask = mCanvas->mask();
    // At pressure 0.25 the 40-pixel brush paints a 10-pixel line; at 1 a 40-pixel one.
    QCOMPARE(value(mask, 35, 64 + 3), 255);
    QCOMPARE(value(mask, 35, 64 + 7), 0);
    QCOMPARE(value(mask, 95, 64 + 18), 255);
    QCOMPARE(mCanvas->undoStack()->count(), 1);
}

void TestInpaint::wheelZoomKeepsThePointUnderThePointer()
{
    const QPointF pointer(50, 70);
    const QPointF under = mCanvas->toPicture(pointer);
    QCOMPARE(under, QPointF(25, 35));
    QWheelEvent wheel(pointer, mCanvas->mapToGlobal(pointer), {}, {0, 240}, Qt::NoButton, {}, Qt::NoScrollPhase, false);
    QApplication::sendEvent(mCanvas.get(), &wheel);
    QCOMPARE(mCanvas->zoom(), 2.0 * 1.25 * 1.25);
    QCOMPARE(mCanvas->toPicture(pointer), under);
    // Painting after the zoom lands where the pointer is.
    QTest::mouseClick(mCanvas.get(), Qt::LeftButton, {}, mCanvas->toWidget({100, 20}).toPoint());
    QCOMPARE(value(mCanvas->mask(), 100, 20), 255);
}

void TestInpaint::spaceDragAndMiddleDragPan()
{
    mCanvas->setZoom(4.0, {0, 0});
    const QPointF before = mCanvas->toWidget({0, 0});
    QTest::keyPress(mCanvas.get(), Qt::Key_Space);
    drag({{40, 40}, {50, 45}});
    QTest::keyRelease(mCanvas.get(), Qt::Key_Space);
    QCOMPARE(mCanvas->toWidget({0, 0}), before + QPointF(20, 10));
    drag({{40, 40}, {30, 40}}, Qt::MiddleButton);
    QCOMPARE(mCanvas->toWidget({0, 0}), before + QPointF(0, 10));
    QVERIFY2(mCanvas->maskIsEmpty(), "panning paints nothing");
    QCOMPARE(mCanvas->undoStack()->count(), 0);
}

void TestInpaint::growAndFeatherArePreviewedOnTheOverlay()
{
    drag({{40, 64}, {88, 64}});
    const QPoint outside = onScreen({64, 75}); // 6 pixels past the stroke's edge
    const QColor plain = mCanvas->grab().toImage().pixelColor(outside);
    mCanvas->setShapingPreview(8, 0);
    const QColor grown = mCanvas->grab().toImage().pixelColor(outside);
    QVERIFY2(grown.red() > plain.red() + 40, "the grown mask tints past the painted edge");
    mCanvas->setShapingPreview(-4, 0);
    const QColor inside = mCanvas->grab().toImage().pixelColor(onScreen({64, 67}));
    mCanvas->setShapingPreview(0, 0);
    const QColor insideUnshaped = mCanvas->grab().toImage().pixelColor(onScreen({64, 67}));
    QVERIFY2(insideUnshaped.red() > inside.red() + 40, "a shrunk mask leaves its edge untinted");
    QVERIFY2(mCanvas->undoStack()->count() == 1, "the preview changes no mask");
}

void TestInpaint::shapeMaskGrowsShrinksAndFeathers()
{
    QImage mask(64, 64, QImage::Format_Grayscale8);
    mask.fill(0);
    for (int y = 12; y < 52; ++y)
        for (int x = 12; x < 52; ++x)
            mask.scanLine(y)[x] = 255;
    const QImage grown = ui::shapeMask(mask, 4, 0);
    QCOMPARE(paintedPixels(grown), 48 * 48);
    const QImage shrunk = ui::shapeMask(mask, -4, 0);
    QCOMPARE(paintedPixels(shrunk), 32 * 32);
    const QImage feathered = ui::shapeMask(mask, 0, 4);
    QCOMPARE(value(feathered, 32, 32), 255);
    QCOMPARE(value(feathered, 1, 1), 0);
    const int edge = value(feathered, 12, 32);
    QVERIFY2(edge > 64 && edge < 192, qPrintable(QString::number(edge)));
    const std::vector<float> floats = ui::maskToFloats(mask);
    QCOMPARE(floats.size(), size_t(64 * 64));
    QCOMPARE(floats[32 * 64 + 32], 1.0f);
    QCOMPARE(floats[0], 0.0f);
}

void TestInpaint::extendingAddsAMaskedStrip()
{
    drag({{20, 20}, {40, 20}});
    const QImage painted = mCanvas->mask().copy();
    mCanvas->extend(Qt::LeftEdge, 64);
    QCOMPARE(mCanvas->picture().size(), QSize(192, 128));
    QCOMPARE(mCanvas->mask().size(), QSize(192, 128));
    QCOMPARE(value(mCanvas->mask(), 10, 100), 255);             // the new strip is masked
    QCOMPARE(value(mCanvas->mask(), 64 + 30, 20), 255);         // the stroke moved with the picture
    QCOMPARE(value(mCanvas->mask(), 64 + 100, 100), 0);
    QCOMPARE(mCanvas->picture().pixel(10, 50), testPicture().pixel(0, 50)); // stretched from the edge
    QCOMPARE(mCanvas->picture().pixel(64 + 90, 50), testPicture().pixel(90, 50));
    mCanvas->undoStack()->undo();
    QCOMPARE(mCanvas->picture().size(), QSize(128, 128));
    QCOMPARE(mCanvas->mask(), painted);
}

// --- the workspace

void TestInpaint::aPictureComesFromAFileOrTheClipboard()
{
    const QString path = mFiles.filePath("gradient.png");
    QVERIFY(testPicture().save(path));
    auto ws = workspace(path);
    QCOMPARE(ws->canvas()->picture().size(), QSize(128, 128));
    QCOMPARE(ws->picturePath(), QFileInfo(path).absoluteFilePath());
    QVERIFY(find<QLabel>(ws.get(), "inpaintStatus")->text().contains("gradient.png (128 × 128)"));
    // The brush fits the picture: a tenth of a 128-pixel one, not the 48 pixels of a 512-pixel one.
    QCOMPARE(ws->form()->brushSize(), 12);
    QCOMPARE(ws->canvas()->brushSize(), 12);
    dragOn(ws->canvas(), {{20, 20}, {60, 60}});
    QVERIFY(!ws->canvas()->maskIsEmpty());

    QImage copied(96, 64, QImage::Format_RGB32);
    copied.fill(Qt::darkGreen);
    QGuiApplication::clipboard()->setImage(copied);
    QTest::keyClick(ws->canvas(), Qt::Key_V, Qt::ControlModifier);
    QCOMPARE(ws->canvas()->picture().size(), QSize(96, 64));
    QCOMPARE(ws->canvas()->picture().pixel(10, 10), copied.pixel(10, 10));
    QVERIFY2(ws->canvas()->maskIsEmpty(), "a new picture starts with an empty mask");
    QCOMPARE(ws->canvas()->undoStack()->count(), 0);
    QVERIFY(ws->picturePath().isEmpty());

    // A picture file dropped on the workspace opens, path and all.
    QMimeData dropped;
    dropped.setUrls({QUrl::fromLocalFile(path)});
    QDragEnterEvent enter(QPoint(500, 300), Qt::CopyAction, &dropped, Qt::LeftButton, {});
    QApplication::sendEvent(ws.get(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(500, 300), Qt::CopyAction, &dropped, Qt::LeftButton, {});
    QApplication::sendEvent(ws.get(), &drop);
    QCOMPARE(ws->canvas()->picture().size(), QSize(128, 128));
    QCOMPARE(ws->picturePath(), QFileInfo(path).absoluteFilePath());

    // A picture with A1111 parameters (one of Atelier's, or A1111's) brings its prompt along.
    {
        QByteArray png;
        QBuffer buffer(&png);
        QVERIFY(buffer.open(QIODevice::WriteOnly) && testPicture().save(&buffer, "PNG"));
        auto made = io::addPngText(png, {{QStringLiteral("parameters"),
                                          QStringLiteral("a red circle on a blue background\nNegative prompt: stripes\n"
                                                         "Steps: 20, Sampler: Euler a, CFG scale: 7, Seed: 5, Size: "
                                                         "128x128, Model: shapes")}});
        QVERIFY(made);
        QFile file(mFiles.filePath("made.png"));
        QVERIFY(file.open(QIODevice::WriteOnly) && file.write(made.value()) == made.value().size());
    }
    auto* prompt = ws->form()->promptEdit();
    prompt->setPlainText(QStringLiteral("something typed before"));
    QVERIFY(ws->setPicture(mFiles.filePath("made.png")));
    QCOMPARE(prompt->toPlainText(), QStringLiteral("a red circle on a blue background"));
    QVERIFY(ws->setPicture(path)); // no parameters: the prompt stays as it was
    QCOMPARE(prompt->toPlainText(), QStringLiteral("a red circle on a blue background"));

    QVERIFY(!ws->setPicture(mFiles.filePath("missing.png")));
    QVERIFY(find<QLabel>(ws.get(), "inpaintStatus")->text().startsWith("Cannot open"));
    QCOMPARE(ws->canvas()->picture().size(), QSize(128, 128)); // the open picture stays
}

void TestInpaint::ctrlZAndCtrlShiftZUndoAndRedoStrokes()
{
    const QString path = mFiles.filePath("gradient.png");
    QVERIFY(testPicture().save(path));
    auto ws = workspace(path);
    ui::MaskCanvas* canvas = ws->canvas();
    dragOn(canvas, {{20, 30}, {100, 30}});
    const QImage first = canvas->mask().copy();
    dragOn(canvas, {{64, 10}, {64, 110}});
    const QImage second = canvas->mask().copy();
    QTest::keyClick(canvas, Qt::Key_Z, Qt::ControlModifier);
    QCOMPARE(canvas->mask(), first);
    QTest::keyClick(canvas, Qt::Key_Z, Qt::ControlModifier);
    QVERIFY(canvas->maskIsEmpty());
    QTest::keyClick(canvas, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
    QCOMPARE(canvas->mask(), first);
    QTest::mouseClick(find<QToolButton>(ws.get(), "redoMask"), Qt::LeftButton);
    QCOMPARE(canvas->mask(), second);
    QVERIFY(!find<QToolButton>(ws.get(), "redoMask")->isEnabled());
    // The eraser button (E) turns the next stroke into an eraser stroke.
    QTest::keyClick(canvas, Qt::Key_E);
    QTRY_VERIFY(canvas->erasing()); // a button's shortcut clicks it a moment later
    dragOn(canvas, {{64, 10}, {64, 110}});
    QCOMPARE(value(canvas->mask(), 64, 60), 0);
    QCOMPARE(value(canvas->mask(), 30, 30), 255);
}

void TestInpaint::theFormDrivesTheBrushPreviewAndOutpainting()
{
    const QString path = mFiles.filePath("gradient.png");
    QVERIFY(testPicture().save(path));
    auto ws = workspace(path);
    find<QSpinBox>(ws.get(), "brushSize")->setValue(20);
    QCOMPARE(ws->canvas()->brushSize(), 20);
    find<QSpinBox>(ws.get(), "feather")->setValue(0);
    dragOn(ws->canvas(), {{40, 64}, {88, 64}});
    const QPoint outside = ws->canvas()->toWidget({64, 80}).toPoint(); // 6 px past the edge
    const QColor before = ws->canvas()->grab().toImage().pixelColor(outside);
    find<QSpinBox>(ws.get(), "grow")->setValue(10);
    const QColor grown = ws->canvas()->grab().toImage().pixelColor(outside);
    QVERIFY2(grown.red() > before.red() + 40, "growing the mask in the form tints past the painted edge at once");

    find<QComboBox>(ws.get(), "outpaintEdge")->setCurrentIndex(1); // right
    QTest::mouseClick(find<QToolButton>(ws.get(), "extend128"), Qt::LeftButton);
    QCOMPARE(ws->canvas()->picture().size(), QSize(256, 128));
    QCOMPARE(value(ws->canvas()->mask(), 200, 5), 255);
    QCOMPARE(value(ws->canvas()->mask(), 64, 5), 0);
}

void TestInpaint::inpaintWantsAPictureAndAMask()
{
    auto ws = workspace();
    QVERIFY(!ws->generate());
    QVERIFY(find<QLabel>(ws.get(), "inpaintStatus")->text().startsWith("Open a picture first"));
    const QString path = mFiles.filePath("gradient.png");
    QVERIFY(testPicture().save(path));
    QVERIFY(ws->setPicture(path));
    QVERIFY(!ws->generate());
    QVERIFY(find<QLabel>(ws.get(), "inpaintStatus")->text().startsWith("Paint over what should change"));
    QVERIFY(!ws->imageEngine()->busy());
}

void TestInpaint::inpaintKeepsEverythingOutsideTheMaskAndIsRecorded()
{
    // The source picture is in the Library, so the inpaint is recorded as its child.
    auto database = store::Database::open(mFiles.filePath("atelier.sqlite"));
    QVERIFY2(database.ok(), database.ok() ? "" : database.error().message.c_str());
    store::PictureStore pictures(*database.value(), mFiles.filePath("gallery"));
    diffusion::GenerationParameters made;
    made.prompt = QStringLiteral("a gradient");
    made.width = 64;
    made.height = 64;
    made.steps = 2;
    made.seed = 3;
    const QImage source = testPicture().scaled(64, 64);
    auto parent = pictures.add(store::PictureRecord::fromParameters(made, store::PictureKind::Txt2Img), pngBytes(source));
    QVERIFY(parent.ok());

    auto ws = workspace(pictures.absolutePath(parent->file));
    find<QPlainTextEdit>(ws.get(), "inpaintPrompt")->setPlainText("a red circle");
    find<QSpinBox>(ws.get(), "inpaintSteps")->setValue(3);
    find<QLineEdit>(ws.get(), "inpaintSeed")->setText("7");
    find<QSpinBox>(ws.get(), "feather")->setValue(2);
    find<QSpinBox>(ws.get(), "brushSize")->setValue(16);
    dragOn(ws->canvas(), {{44, 20}, {44, 44}});
    const QImage mask = ws->canvas()->mask().copy();
    const QImage original = ws->canvas()->picture().copy();

    QSignalSpy previews(ws->imageEngine(), &ui::ImageEngine::preview);
    QSignalSpy done(ws.get(), &ui::InpaintWorkspace::pictureFinished);
    // While it runs, the canvas shows each preview through the mask: far from it, the original.
    QList<QColor> farDuringPreviews;
    connect(ws->imageEngine(), &ui::ImageEngine::preview, this, [&] {
        const QPoint far = ws->canvas()->toWidget({5.5, 5.5}).toPoint();
        farDuringPreviews << ws->canvas()->grab().toImage().pixelColor(far);
    });
    QTest::mouseClick(find<QPushButton>(ws.get(), "inpaintButton"), Qt::LeftButton);
    QVERIFY(ws->imageEngine()->busy());
    QVERIFY2(done.wait(kPictureTimeoutMs), qPrintable(find<QLabel>(ws.get(), "inpaintStatus")->text()));
    QVERIFY(previews.count() > 0);
    QCOMPARE(farDuringPreviews.size(), previews.count());
    for (const QColor& c : farDuringPreviews)
        QCOMPARE(c.rgb(), original.pixel(5, 5));
    const auto result = done.first().at(0).value<ui::ImageResult>();
    const QByteArray maskPng = done.first().at(1).toByteArray();
    QCOMPARE(result.image.size(), QSize(64, 64));

    // Every pixel farther from the mask than its feather reaches (4 sigma) is the original's;
    // inside, the picture changed.
    const QImage reach = ui::shapeMask(mask, 8, 0);
    int changedInside = 0;
    for (int y = 0; y < 64; ++y) {
        for (int x = 0; x < 64; ++x) {
            const bool same = result.image.pixel(x, y) == original.pixel(x, y);
            if (value(reach, x, y) == 0 && !same)
                QFAIL(qPrintable(QString("pixel %1,%2 outside the mask changed").arg(x).arg(y)));
            changedInside += value(mask, x, y) == 255 && !same;
        }
    }
    QVERIFY2(changedInside > 100, qPrintable(QString::number(changedInside)));

    // The canvas shows the result, and the original at a click.
    QCOMPARE(ws->result(), result.image);
    auto* beforeAfter = find<QToolButton>(ws.get(), "beforeAfter");
    QVERIFY(beforeAfter->isEnabled() && beforeAfter->isChecked());
    const QPoint inMask = ws->canvas()->toWidget({44, 32}).toPoint();
    const QColor shownResult = ws->canvas()->grab().toImage().pixelColor(inMask);
    QTest::mouseClick(beforeAfter, Qt::LeftButton);
    QVERIFY(!beforeAfter->isChecked());
    QVERIFY(ws->canvas()->grab().toImage().pixelColor(inMask) != shownResult);

    // Recorded in the Library: an inpaint, child of its source, with its mask beside it.
    auto record = ui::inpaintRecord(pictures, result, maskPng);
    QVERIFY2(record.ok(), record.ok() ? "" : record.error().message.c_str());
    auto added = pictures.add(record.value(), result.png);
    QVERIFY(added.ok());
    auto stored = pictures.picture(added->id);
    QVERIFY(stored.ok());
    QCOMPARE(stored->kind, store::PictureKind::Inpaint);
    QCOMPARE(stored->parentId, parent->id);
    QCOMPARE(stored->seed, quint64(7));
    QVERIFY(stored->strength.has_value());
    QCOMPARE(QImage(pictures.absolutePath(stored->file)).size(), QSize(64, 64));
    const QImage savedMask = QImage(pictures.absolutePath(stored->maskFile)).convertToFormat(QImage::Format_Grayscale8);
    QCOMPARE(savedMask, mask);
}

void TestInpaint::escapeCancelsAndShowsThePictureAgain()
{
    const QString path = mFiles.filePath("small.png");
    QVERIFY(testPicture().scaled(64, 64).save(path));
    auto ws = workspace(path);
    find<QSpinBox>(ws.get(), "inpaintSteps")->setValue(150);
    find<QDoubleSpinBox>(ws.get(), "inpaintStrength")->setValue(1.0);
    dragOn(ws->canvas(), {{10, 10}, {50, 50}});
    QSignalSpy previews(ws->imageEngine(), &ui::ImageEngine::preview);
    QSignalSpy cancelled(ws->imageEngine(), &ui::ImageEngine::cancelled);
    QVERIFY(ws->generate());
    QVERIFY(!ws->generate()); // one at a time
    QVERIFY(previews.wait(kPictureTimeoutMs));
    QTest::keyClick(ws->canvas(), Qt::Key_Escape);
    QVERIFY(cancelled.wait(kPictureTimeoutMs));
    QVERIFY(previews.count() < 150);
    QCOMPARE(find<QLabel>(ws.get(), "inpaintStatus")->text(), QStringLiteral("Cancelled"));
    QVERIFY(ws->result().isNull());
    QTRY_VERIFY(!ws->imageEngine()->busy());
}

void TestInpaint::theFormIsKeptAcrossRuns()
{
    {
        ui::InpaintForm form;
        form.findChild<QPlainTextEdit*>("inpaintPrompt")->setPlainText("a blue door");
        form.findChild<QSpinBox*>("inpaintSteps")->setValue(13);
        form.findChild<QLineEdit*>("inpaintSeed")->setText("4242");
        form.findChild<QCheckBox*>("onlyMasked")->setChecked(true);
        form.findChild<QComboBox*>("maskedFill")->setCurrentIndex(2);
        form.remember();
    }
    ui::InpaintForm again;
    QCOMPARE(again.findChild<QPlainTextEdit*>("inpaintPrompt")->toPlainText(), QStringLiteral("a blue door"));
    QCOMPARE(again.findChild<QSpinBox*>("inpaintSteps")->value(), 13);
    QCOMPARE(again.findChild<QLineEdit*>("inpaintSeed")->text(), QStringLiteral("4242"));
    QVERIFY(again.findChild<QCheckBox*>("onlyMasked")->isChecked());
    QCOMPARE(again.findChild<QComboBox*>("maskedFill")->currentIndex(), 2);
    QSettings().clear(); // the other tests start from the defaults
}

QTEST_MAIN(TestInpaint)
#include "tst_inpaint.moc"

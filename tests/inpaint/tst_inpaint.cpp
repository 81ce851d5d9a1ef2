// The Inpaint workspace as a user drives it: the mask canvas under mouse, pen and wheel events,
// and (with a real compute engine and the golden SD 1.x checkpoint) a whole inpaint into the Library.

#include "inpaint/mask_canvas.h"
#include "inpaint/mask_shaping.h"

#include <QPointingDevice>
#include <QSignalSpy>
#include <QTabletEvent>
#include <QUndoStack>
#include <QWheelEvent>
#include <QtTest>

#include <memory>

using namespace atelier;

namespace {

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

} // namespace

class TestInpaint : public QObject {
    Q_OBJECT

private slots:
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

private:
    void drag(const QList<QPointF>& picturePoints, Qt::MouseButton button = Qt::LeftButton);

    std::unique_ptr<ui::MaskCanvas> mCanvas;
};

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
    const QImage feathered = ui::shapeMask(mask, 0, 8);
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

QTEST_MAIN(TestInpaint)
#include "tst_inpaint.moc"

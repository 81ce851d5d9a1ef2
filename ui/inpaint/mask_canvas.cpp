#include "inpaint/mask_canvas.h"

#include "inpaint/mask_shaping.h"
#include "inpaint/mask_tint.h"

#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QTabletEvent>
#include <QUndoCommand>
#include <QUndoStack>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace atelier::ui {

namespace {
constexpr double kMinZoom = 0.05;
constexpr double kMaxZoom = 32.0;
} // namespace

// One stroke (or invert, clear, fill): the mask's rectangle before and after.
class MaskEdit final : public QUndoCommand {
public:
    MaskEdit(MaskCanvas* canvas, QRect rect, QImage before, QImage after, const QString& text)
        : QUndoCommand(text), mCanvas(canvas), mRect(rect), mBefore(std::move(before)), mAfter(std::move(after))
    {
    }
    void undo() override { mCanvas->replaceMask(mRect, mBefore); }
    void redo() override { mCanvas->replaceMask(mRect, mAfter); }

private:
    MaskCanvas* mCanvas;
    QRect mRect;
    QImage mBefore;
    QImage mAfter;
};

// Outpainting's larger canvas, or a result to continue from: the whole picture and mask before and after.
class PictureChange final : public QUndoCommand {
public:
    PictureChange(MaskCanvas* canvas, QImage picture, QImage mask, const QString& text)
        : QUndoCommand(text), mCanvas(canvas), mBefore{canvas->mPicture, canvas->mMask}, mAfter{picture, mask}
    {
    }
    void undo() override { mCanvas->replacePicture(mBefore.picture, mBefore.mask); }
    void redo() override { mCanvas->replacePicture(mAfter.picture, mAfter.mask); }

private:
    struct State {
        QImage picture;
        QImage mask;
    };
    MaskCanvas* mCanvas;
    State mBefore;
    State mAfter;
};

MaskCanvas::MaskCanvas(QWidget* parent)
    : QWidget(parent)
    , mUndo(new QUndoStack(this))
{
    setObjectName("maskCanvas");
    setFocusPolicy(Qt::StrongFocus);
    setMouseTracking(true);
    setAttribute(Qt::WA_TabletTracking);
    setCursor(Qt::CrossCursor);
}

void MaskCanvas::setPicture(const QImage& picture)
{
    mUndo->clear();
    mPicture = picture.convertToFormat(QImage::Format_RGB32);
    mMask = QImage(mPicture.size(), QImage::Format_Grayscale8);
    mMask.fill(0);
    mShownResult = {};
    mTint = contrastingTint(mPicture);
    rebuildOverlay();
    fit();
    emit pictureChanged();
    emit maskChanged();
}

bool MaskCanvas::maskIsEmpty() const
{
    for (int y = 0; y < mMask.height(); ++y) {
        const uchar* row = mMask.constScanLine(y);
        if (std::any_of(row, row + mMask.width(), [](uchar v) { return v != 0; }))
            return false;
    }
    return true;
}

void MaskCanvas::setBrushSize(int size)
{
    mBrushSize = std::clamp(size, 1, 1024);
    update();
}

void MaskCanvas::setHardness(double hardness) { mHardness = std::clamp(hardness, 0.0, 1.0); }

void MaskCanvas::setErasing(bool erasing) { mErasing = erasing; }

void MaskCanvas::setOverlayOpacity(double opacity)
{
    mOpacity = std::clamp(opacity, 0.0, 1.0);
    rebuildOverlay();
}

void MaskCanvas::setShapingPreview(int grow, int feather)
{
    if (grow == mGrow && feather == mFeather)
        return;
    mGrow = grow;
    mFeather = std::max(0, feather);
    rebuildOverlay();
}

void MaskCanvas::setShownResult(const QImage& result)
{
    mShownResult = result;
    update();
}

// --- editing

void MaskCanvas::pushWholeMaskEdit(const QImage& after, const QString& text)
{
    if (mMask.isNull() || after == mMask)
        return;
    mUndo->push(new MaskEdit(this, mMask.rect(), mMask, after, text));
}

void MaskCanvas::invertMask()
{
    QImage after = mMask;
    after.invertPixels();
    pushWholeMaskEdit(after, tr("Invert mask"));
}

void MaskCanvas::clearMask()
{
    QImage after = mMask;
    after.fill(0);
    pushWholeMaskEdit(after, tr("Clear mask"));
}

void MaskCanvas::fillMask()
{
    QImage after = mMask;
    after.fill(255);
    pushWholeMaskEdit(after, tr("Fill mask"));
}

void MaskCanvas::extend(Qt::Edge edge, int pixels)
{
    if (mPicture.isNull() || pixels <= 0)
        return;
    const bool horizontal = edge == Qt::LeftEdge || edge == Qt::RightEdge;
    const QSize size = mPicture.size() + (horizontal ? QSize(pixels, 0) : QSize(0, pixels));
    const QPoint at(edge == Qt::LeftEdge ? pixels : 0, edge == Qt::TopEdge ? pixels : 0);
    const int w = mPicture.width();
    const int h = mPicture.height();
    // The new strip and the old edge it is stretched from.
    QRect strip, source;
    switch (edge) {
    case Qt::LeftEdge: strip = {0, 0, pixels, h}; source = {0, 0, 1, h}; break;
    case Qt::RightEdge: strip = {w, 0, pixels, h}; source = {w - 1, 0, 1, h}; break;
    case Qt::TopEdge: strip = {0, 0, w, pixels}; source = {0, 0, w, 1}; break;
    case Qt::BottomEdge: strip = {0, h, w, pixels}; source = {0, h - 1, w, 1}; break;
    }
    QImage picture(size, QImage::Format_RGB32);
    QImage mask(size, QImage::Format_Grayscale8);
    mask.fill(0);
    {
        QPainter p(&picture);
        p.drawImage(at, mPicture);
        p.drawImage(strip, mPicture, source);
        QPainter m(&mask);
        m.drawImage(at, mMask);
        m.fillRect(strip, Qt::white);
    }
    mUndo->push(new PictureChange(this, picture, mask, tr("Extend by %1 px").arg(pixels)));
}

void MaskCanvas::replacePictureKeepingMask(const QImage& picture)
{
    if (mPicture.isNull() || picture.size() != mPicture.size())
        return;
    mUndo->push(new PictureChange(this, picture.convertToFormat(QImage::Format_RGB32), mMask,
                                  tr("Continue from result")));
}

void MaskCanvas::replaceMask(const QRect& rect, const QImage& pixels)
{
    for (int y = 0; y < rect.height(); ++y)
        std::copy_n(pixels.constScanLine(y), rect.width(), mMask.scanLine(rect.y() + y) + rect.x());
    mGrow || mFeather ? rebuildOverlay() : updateOverlay(rect);
    emit maskChanged();
}

void MaskCanvas::replacePicture(const QImage& picture, const QImage& mask)
{
    mPicture = picture;
    mMask = mask;
    mShownResult = {};
    mTint = contrastingTint(mPicture);
    rebuildOverlay();
    fit();
    emit pictureChanged();
    emit maskChanged();
}

void MaskCanvas::stroke(const QList<QPointF>& points, double pressure)
{
    if (points.isEmpty())
        return;
    beginStroke(points.first(), pressure);
    for (qsizetype i = 1; i < points.size(); ++i)
        continueStroke(points[i], pressure);
    endStroke();
}

void MaskCanvas::beginStroke(QPointF point, double pressure)
{
    if (mPicture.isNull())
        return;
    mShownResult = {};
    mStroking = true;
    mBeforeStroke = mMask;
    mStrokeRect = {};
    mLastDab = point;
    mLastPressure = pressure;
    mCarry = 0;
    dab(point, mBrushSize / 2.0 * pressure);
}

// Dabs every quarter radius along the segment, so a fast drag still paints a continuous line; the
// pressure goes from the last event's to this one's along the way.
void MaskCanvas::continueStroke(QPointF point, double pressure)
{
    if (!mStroking)
        return;
    const QPointF delta = point - mLastDab;
    const double length = std::hypot(delta.x(), delta.y());
    auto radiusAt = [&](double t) { return mBrushSize / 2.0 * (mLastPressure + (pressure - mLastPressure) * t); };
    double walked = std::max(1.0, radiusAt(0) * 0.25) - mCarry;
    double lastAt = -mCarry;
    while (walked <= length) {
        const double t = walked / length;
        dab(mLastDab + delta * t, radiusAt(t));
        lastAt = walked;
        walked += std::max(1.0, radiusAt(t) * 0.25);
    }
    mCarry = length - lastAt;
    mLastDab = point;
    mLastPressure = pressure;
}

void MaskCanvas::endStroke()
{
    if (!mStroking)
        return;
    mStroking = false;
    const QRect rect = mStrokeRect;
    if (rect.isEmpty())
        return;
    QImage before = mBeforeStroke.copy(rect);
    mBeforeStroke = {};
    mUndo->push(new MaskEdit(this, rect, std::move(before), mMask.copy(rect),
                             mErasing ? tr("Erase") : tr("Paint mask")));
}

// A round dab: full strength inside hardness * radius, easing to nothing at the radius. The brush
// keeps the strongest value a pixel was given in this stroke (no build-up where dabs overlap); the
// eraser the weakest.
void MaskCanvas::dab(QPointF center, double radius)
{
    radius = std::max(radius, 0.5);
    const double inner = mHardness * radius;
    const QRect box = QRect(QPoint(int(std::floor(center.x() - radius)), int(std::floor(center.y() - radius))),
                            QPoint(int(std::ceil(center.x() + radius)), int(std::ceil(center.y() + radius))))
                          .intersected(mMask.rect());
    if (box.isEmpty())
        return;
    for (int y = box.top(); y <= box.bottom(); ++y) {
        uchar* row = mMask.scanLine(y);
        for (int x = box.left(); x <= box.right(); ++x) {
            const double d = std::hypot(x + 0.5 - center.x(), y + 0.5 - center.y());
            if (d >= radius)
                continue;
            double a = 1.0;
            if (d > inner) {
                const double t = (radius - d) / (radius - inner);
                a = t * t * (3 - 2 * t);
            }
            const int v = int(std::lround(255 * a));
            row[x] = mErasing ? uchar(std::min<int>(row[x], 255 - v)) : uchar(std::max<int>(row[x], v));
        }
    }
    mStrokeRect |= box;
    updateOverlay(box);
    emit maskChanged();
}

// --- drawing

void MaskCanvas::rebuildOverlay()
{
    mOverlay = QImage(mMask.size(), QImage::Format_ARGB32_Premultiplied);
    updateOverlay(mMask.rect());
}

void MaskCanvas::updateOverlay(const QRect& rect)
{
    if (mMask.isNull())
        return;
    const bool shaped = mGrow != 0 || mFeather > 0;
    const QImage source = shaped && !mStroking ? shapeMask(mMask, mGrow, mFeather) : mMask;
    const QRect area = shaped && !mStroking ? mMask.rect() : rect;
    for (int y = area.top(); y <= area.bottom(); ++y) {
        const uchar* in = source.constScanLine(y);
        auto* out = reinterpret_cast<QRgb*>(mOverlay.scanLine(y));
        for (int x = area.left(); x <= area.right(); ++x) {
            const int alpha = int(in[x] * mOpacity + 0.5);
            out[x] = qRgba(mTint.red() * alpha / 255, mTint.green() * alpha / 255, mTint.blue() * alpha / 255, alpha);
        }
    }
    update();
}

double MaskCanvas::fitZoom() const
{
    if (mPicture.isNull())
        return 1.0;
    return std::min({double(width()) / mPicture.width(), double(height()) / mPicture.height(), 8.0});
}

void MaskCanvas::fit()
{
    mFitted = true;
    mZoom = fitZoom();
    mOffset = QPointF((width() - mPicture.width() * mZoom) / 2, (height() - mPicture.height() * mZoom) / 2);
    update();
}

void MaskCanvas::setZoom(double zoom, QPointF anchor)
{
    const QPointF under = toPicture(anchor);
    mZoom = std::clamp(zoom, kMinZoom, kMaxZoom);
    mOffset = anchor - under * mZoom;
    mFitted = false;
    update();
}

QPointF MaskCanvas::toPicture(QPointF widgetPoint) const { return (widgetPoint - mOffset) / mZoom; }

QPointF MaskCanvas::toWidget(QPointF picturePoint) const { return picturePoint * mZoom + mOffset; }

void MaskCanvas::resizeEvent(QResizeEvent* event)
{
    QWidget::resizeEvent(event);
    if (mFitted)
        fit();
}

void MaskCanvas::paintEvent(QPaintEvent*)
{
    QPainter p(this);
    p.fillRect(rect(), palette().color(QPalette::Dark));
    if (mPicture.isNull()) {
        p.setPen(palette().color(QPalette::BrightText));
        p.drawText(rect().adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
                   tr("Open a picture (Ctrl+O), paste one (Ctrl+V) or drop it here, then paint over what "
                      "should change."));
        return;
    }
    const QRectF target(mOffset, QSizeF(mPicture.size()) * mZoom);
    p.setRenderHint(QPainter::SmoothPixmapTransform, mZoom < 1.0);
    if (!mShownResult.isNull()) {
        p.drawImage(target, mShownResult);
        return;
    }
    p.drawImage(target, mPicture);
    p.drawImage(target, mOverlay);
    if (mCursor.x() >= 0 && !mSpaceHeld && !mPanning) {
        const double r = mBrushSize / 2.0 * mZoom;
        p.setRenderHint(QPainter::Antialiasing);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(Qt::black, 1.5));
        p.drawEllipse(mCursor, r, r);
        p.setPen(QPen(mErasing ? Qt::cyan : Qt::white, 1, Qt::DashLine));
        p.drawEllipse(mCursor, r, r);
    }
}

// --- input

void MaskCanvas::wheelEvent(QWheelEvent* event)
{
    if (mPicture.isNull())
        return;
    const double steps = event->angleDelta().y() / 120.0;
    setZoom(mZoom * std::pow(1.25, steps), event->position());
    event->accept();
}

void MaskCanvas::mousePressEvent(QMouseEvent* event)
{
    setFocus(Qt::MouseFocusReason);
    if (event->button() == Qt::MiddleButton || (event->button() == Qt::LeftButton && mSpaceHeld)) {
        mPanning = true;
        mPanStart = event->position();
        setCursor(Qt::ClosedHandCursor);
        update();
        return;
    }
    if (event->button() == Qt::LeftButton)
        beginStroke(toPicture(event->position()), 1.0);
}

void MaskCanvas::mouseMoveEvent(QMouseEvent* event)
{
    mCursor = event->position();
    if (mPanning) {
        mOffset += event->position() - mPanStart;
        mPanStart = event->position();
        mFitted = false;
        update();
        return;
    }
    if (mStroking)
        continueStroke(toPicture(event->position()), 1.0);
    update();
}

void MaskCanvas::mouseReleaseEvent(QMouseEvent* event)
{
    if (mPanning && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
        mPanning = false;
        setCursor(mSpaceHeld ? Qt::OpenHandCursor : Qt::CrossCursor);
        return;
    }
    if (event->button() == Qt::LeftButton) {
        continueStroke(toPicture(event->position()), 1.0);
        endStroke();
    }
}

void MaskCanvas::tabletEvent(QTabletEvent* event)
{
    const QPointF at = toPicture(event->position());
    const double pressure = std::clamp(event->pressure(), 0.05, 1.0);
    mCursor = event->position();
    switch (event->type()) {
    case QEvent::TabletPress:
        if (!mSpaceHeld)
            beginStroke(at, pressure);
        break;
    case QEvent::TabletMove:
        continueStroke(at, pressure);
        update();
        break;
    case QEvent::TabletRelease:
        continueStroke(at, pressure);
        endStroke();
        break;
    default:
        return;
    }
    event->accept(); // no mouse events are made from it
}

void MaskCanvas::keyPressEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space) {
        if (!event->isAutoRepeat()) {
            mSpaceHeld = true;
            setCursor(Qt::OpenHandCursor);
            update();
        }
        return;
    }
    QWidget::keyPressEvent(event);
}

void MaskCanvas::keyReleaseEvent(QKeyEvent* event)
{
    if (event->key() == Qt::Key_Space) {
        if (!event->isAutoRepeat()) {
            mSpaceHeld = false;
            mPanning = false;
            setCursor(Qt::CrossCursor);
            update();
        }
        return;
    }
    QWidget::keyReleaseEvent(event);
}

void MaskCanvas::leaveEvent(QEvent* event)
{
    mCursor = {-1, -1};
    update();
    QWidget::leaveEvent(event);
}

} // namespace atelier::ui

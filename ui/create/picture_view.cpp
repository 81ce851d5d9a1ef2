#include "create/picture_view.h"

#include <QMouseEvent>
#include <QPainter>
#include <QWheelEvent>

#include <algorithm>
#include <cmath>

namespace atelier::ui {

PictureView::PictureView(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("pictureView");
    setMinimumSize(120, 120);
    setCursor(Qt::OpenHandCursor);
}

void PictureView::setImage(const QImage& image, QSize displaySize)
{
    mImage = image;
    mDisplaySize = displaySize.isValid() ? displaySize : image.size();
    update();
}

void PictureView::setPlaceholder(const QString& text)
{
    mPlaceholder = text;
    update();
}

void PictureView::fit()
{
    mFitted = true;
    update();
}

double PictureView::fitZoom() const
{
    if (mDisplaySize.isEmpty())
        return 1.0;
    return std::min({1.0 * width() / mDisplaySize.width(), 1.0 * height() / mDisplaySize.height(), 4.0});
}

double PictureView::zoom() const { return mFitted ? fitZoom() : mZoom; }

void PictureView::setZoom(double zoom, QPointF anchor)
{
    const QRectF before = pictureRect();
    const double z = std::clamp(zoom, 0.05, 32.0);
    // Keep the picture point under the anchor where it is.
    const QPointF picturePoint = (anchor - before.topLeft()) / this->zoom();
    mZoom = z;
    mFitted = false;
    mOffset = anchor - picturePoint * z;
    update();
}

QRectF PictureView::pictureRect() const
{
    const QSizeF size = QSizeF(mDisplaySize) * zoom();
    if (mFitted)
        return QRectF(QPointF((width() - size.width()) / 2, (height() - size.height()) / 2), size);
    return QRectF(mOffset, size);
}

void PictureView::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().window().color().darker(108));
    if (mImage.isNull()) {
        painter.setPen(palette().placeholderText().color());
        painter.drawText(rect().adjusted(24, 24, -24, -24), Qt::AlignCenter | Qt::TextWordWrap, mPlaceholder);
        return;
    }
    // Upscaled previews smooth; the finished picture past 100% shows its pixels.
    const bool preview = mImage.size() != mDisplaySize;
    painter.setRenderHint(QPainter::SmoothPixmapTransform, preview || zoom() < 1.0);
    painter.drawImage(pictureRect(), mImage);
}

void PictureView::wheelEvent(QWheelEvent* event)
{
    if (mImage.isNull())
        return;
    const double steps = event->angleDelta().y() / 120.0;
    setZoom(zoom() * std::pow(1.25, steps), event->position());
    event->accept();
}

void PictureView::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || mImage.isNull())
        return;
    if (mFitted) {
        mOffset = pictureRect().topLeft();
        mZoom = fitZoom();
        mFitted = false;
    }
    mDragging = true;
    mDragStart = event->position() - mOffset;
    setCursor(Qt::ClosedHandCursor);
}

void PictureView::mouseMoveEvent(QMouseEvent* event)
{
    if (!mDragging)
        return;
    mOffset = event->position() - mDragStart;
    update();
}

void PictureView::mouseReleaseEvent(QMouseEvent*)
{
    mDragging = false;
    setCursor(Qt::OpenHandCursor);
}

void PictureView::mouseDoubleClickEvent(QMouseEvent*) { fit(); }

} // namespace atelier::ui

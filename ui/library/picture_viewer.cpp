#include "library/picture_viewer.h"

#include <QGraphicsPixmapItem>
#include <QImageReader>
#include <QKeyEvent>
#include <QWheelEvent>
#include <QtConcurrent>

namespace atelier::ui {

namespace {
constexpr double kMinZoom = 0.02;
constexpr double kMaxZoom = 32;
constexpr double kWheelStep = 1.25; // per notch

QImage readWhole(const QString& path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    return reader.read();
}
} // namespace

PictureViewer::PictureViewer(QWidget* parent)
    : QGraphicsView(parent)
    , mItem(new QGraphicsPixmapItem)
{
    setObjectName("pictureViewer");
    setScene(new QGraphicsScene(this));
    scene()->addItem(mItem);
    mItem->setTransformationMode(Qt::SmoothTransformation);
    setDragMode(QGraphicsView::ScrollHandDrag);
    setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
    setRenderHint(QPainter::SmoothPixmapTransform);
    setBackgroundBrush(palette().dark());
    setFrameShape(QFrame::NoFrame);
    connect(&mLoading, &QFutureWatcher<QImage>::finished, this, [this] {
        if (mLoading.isCanceled() || mLoading.future().resultCount() == 0)
            return;
        mItem->setPixmap(QPixmap::fromImage(mLoading.result()));
        scene()->setSceneRect(mItem->boundingRect());
        fit();
    });
}

void PictureViewer::open(const QString& path)
{
    mItem->setPixmap({});
    mFitted = true;
    mLoading.setFuture(QtConcurrent::run(readWhole, path));
}

bool PictureViewer::loaded() const { return !mItem->pixmap().isNull(); }

double PictureViewer::zoom() const { return transform().m11(); }

void PictureViewer::fit()
{
    mFitted = true;
    if (!loaded())
        return;
    resetTransform();
    const QSizeF picture = mItem->boundingRect().size();
    const QSizeF room = viewport()->size();
    // Never enlarge a small picture past its own pixels to fit.
    const double scale = std::min({1.0, room.width() / picture.width(), room.height() / picture.height()});
    setTransform(QTransform::fromScale(scale, scale));
    centerOn(mItem);
    emit zoomChanged(zoom());
}

void PictureViewer::zoomBy(double factor)
{
    const double target = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
    scale(target / zoom(), target / zoom());
    mFitted = false;
    emit zoomChanged(zoom());
}

void PictureViewer::wheelEvent(QWheelEvent* event)
{
    const double notches = event->angleDelta().y() / 120.0;
    if (notches != 0)
        zoomBy(std::pow(kWheelStep, notches));
    event->accept();
}

void PictureViewer::keyPressEvent(QKeyEvent* event)
{
    switch (event->key()) {
    case Qt::Key_Escape:
        emit closeRequested();
        return;
    case Qt::Key_Plus:
    case Qt::Key_Equal:
        zoomBy(kWheelStep);
        return;
    case Qt::Key_Minus:
        zoomBy(1 / kWheelStep);
        return;
    case Qt::Key_0:
        fit();
        return;
    case Qt::Key_1:
        zoomBy(1 / zoom());
        return;
    default:
        QGraphicsView::keyPressEvent(event);
    }
}

void PictureViewer::resizeEvent(QResizeEvent* event)
{
    QGraphicsView::resizeEvent(event);
    if (mFitted)
        fit();
}

} // namespace atelier::ui

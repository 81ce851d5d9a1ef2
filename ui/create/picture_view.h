#pragma once
// A picture shown fitted to the view, or zoomed with the wheel (around the pointer) and panned by
// dragging; double-click returns to the fitted view. Previews at latent size are scaled up smoothly.

#include <QImage>
#include <QPointF>
#include <QWidget>

namespace atelier::ui {

class PictureView : public QWidget {
    Q_OBJECT
public:
    explicit PictureView(QWidget* parent = nullptr);

    // Shows `image`; `displaySize` (the final picture's size, for a preview) sets the scale it is
    // shown at, so a preview sits exactly where the finished picture will.
    void setImage(const QImage& image, QSize displaySize = {});
    const QImage& image() const { return mImage; }
    void setPlaceholder(const QString& text);
    void fit();
    double zoom() const; // displayed pixels per picture pixel
    void setZoom(double zoom, QPointF anchor);
    // Where the picture is drawn, in the view's coordinates.
    QRectF pictureRect() const;

    QSize sizeHint() const override { return {512, 512}; }

protected:
    void paintEvent(QPaintEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;

private:
    double fitZoom() const;

    QImage mImage;
    QSize mDisplaySize;
    QString mPlaceholder;
    bool mFitted = true;
    double mZoom = 1.0;
    QPointF mOffset; // top-left of the picture in widget coordinates when not fitted
    QPointF mDragStart;
    bool mDragging = false;
};

} // namespace atelier::ui

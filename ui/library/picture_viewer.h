#pragma once
// A picture at full size: opens fitted to the window; the wheel zooms around the pointer, 1 shows
// actual pixels, 0 fits again, Esc goes back to the gallery.

#include <QFutureWatcher>
#include <QGraphicsView>
#include <QImage>

class QGraphicsPixmapItem;

namespace atelier::ui {

class PictureViewer : public QGraphicsView {
    Q_OBJECT
public:
    explicit PictureViewer(QWidget* parent = nullptr);

    void open(const QString& path); // read on a worker; shown fitted once there
    void fit();
    void zoomBy(double factor);
    double zoom() const; // 1: one picture pixel per screen pixel
    bool loaded() const;

signals:
    void closeRequested();
    void zoomChanged(double zoom);

protected:
    void wheelEvent(QWheelEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    QGraphicsPixmapItem* mItem = nullptr;
    QFutureWatcher<QImage> mLoading;
    bool mFitted = true; // follows the window's size until the user zooms
};

} // namespace atelier::ui

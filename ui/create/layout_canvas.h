#pragma once
// The Layout mode's canvas: the picture's shape (width x height from the form, fitted into the
// widget, the last finished picture faintly behind when it has that shape) with the regions' boxes
// on it, each in its colour and labelled with its number and prompt. Drag on the picture to draw a
// box; drag a box to move it, its handles to resize it; Delete removes the chosen one, the arrow
// keys nudge it a pixel (Shift: ten). Positions snap to whole picture pixels.

#include <QImage>
#include <QPointF>
#include <QRectF>
#include <QSize>
#include <QWidget>

namespace atelier::ui {

class RegionLayout;

class LayoutCanvas : public QWidget {
    Q_OBJECT
public:
    LayoutCanvas(RegionLayout* layout, QWidget* parent = nullptr);

    void setPictureSize(QSize size);
    QSize pictureSize() const { return mPicture; }
    // A picture shown under the boxes when its aspect matches the layout's; null: none.
    void setBackground(const QImage& image);

    // Where the picture lies in the widget, and a point of the picture (in its pixels) on screen.
    QRectF pictureRect() const;
    QPointF toWidget(QPointF picturePixel) const;

    QSize sizeHint() const override { return {420, 420}; }
    QSize minimumSizeHint() const override { return {80, 80}; }

signals:
    // A box was drawn (its region is `index`) or double-clicked: its prompt wants writing.
    void editPromptRequested(int index);
    // A box could not be drawn (the layout is full), with the reason.
    void refused(const QString& reason);

protected:
    void paintEvent(QPaintEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void mouseDoubleClickEvent(QMouseEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;

private:
    enum class Drag { None, Draw, Move, Resize };
    // Handles: corners 0..3 (top-left, top-right, bottom-right, bottom-left), edges 4..7 (top,
    // right, bottom, left); -1: none.
    int handleAt(QPointF point) const;
    int regionAt(QPointF point) const;
    QRectF areaOnScreen(const QRectF& area) const;
    QPointF toFraction(QPointF point) const; // clamped into the picture, snapped to its pixels
    void updateCursor(QPointF point);
    void paintRegion(class QPainter& painter, int index) const;

    RegionLayout* mLayout;
    QSize mPicture{512, 512};
    QImage mBackground;
    Drag mDrag = Drag::None;
    int mHandle = -1;
    QPointF mPressed;  // fractions of the picture
    QPointF mPointer;  // fractions of the picture
    QRectF mStartArea; // the dragged region's area when the drag began
};

} // namespace atelier::ui

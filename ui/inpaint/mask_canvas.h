#pragma once
// The picture to inpaint with its mask painted over it: an 8-bit mask at the picture's resolution
// (255 = repaint) shown as a tinted overlay. The brush and eraser lay soft round dabs along the
// pointer's path (a pen's pressure scales them); each stroke, invert, clear, fill and extension is
// one step on the undo stack, storing only the rectangle it changed. Wheel zooms around the
// pointer, space+drag or the middle button pans.

#include <QColor>
#include <QImage>
#include <QPointF>
#include <QWidget>

class QUndoStack;

namespace atelier::ui {

class MaskCanvas : public QWidget {
    Q_OBJECT
public:
    explicit MaskCanvas(QWidget* parent = nullptr);

    // A new picture with an empty mask and no undo history.
    void setPicture(const QImage& picture);
    const QImage& picture() const { return mPicture; }
    const QImage& mask() const { return mMask; } // Format_Grayscale8, picture-sized
    bool hasPicture() const { return !mPicture.isNull(); }
    bool maskIsEmpty() const;
    QUndoStack* undoStack() const { return mUndo; }

    // Brush: diameter in picture pixels; hardness 0 (soft to the centre) .. 1 (a hard edge).
    void setBrushSize(int size);
    int brushSize() const { return mBrushSize; }
    void setHardness(double hardness);
    double hardness() const { return mHardness; }
    void setErasing(bool erasing);
    bool erasing() const { return mErasing; }

    void setOverlayOpacity(double opacity); // 0..1
    double overlayOpacity() const { return mOpacity; }
    // The mask's colour, chosen to stand out against the picture (mask_tint.h).
    QColor tint() const { return mTint; }
    // Shows the mask grown and feathered as the engine will use it; 0, 0 shows it as painted.
    void setShapingPreview(int grow, int feather);

    // Each of these is one undo step.
    void invertMask();
    void clearMask();
    void fillMask();
    // Outpainting: adds `pixels` on `edge`, the new area stretched from the edge and masked.
    void extend(Qt::Edge edge, int pixels);
    // A new picture of the same size under the same mask (continuing from a result).
    void replacePictureKeepingMask(const QImage& picture);

    // Paints one stroke through `points` (picture coordinates) with the current brush, as a mouse
    // drag would; `pressure` scales the size as a pen does.
    void stroke(const QList<QPointF>& points, double pressure = 1.0);

    // View: displayed pixels per picture pixel; `anchor` (widget coordinates) stays over the same
    // picture point.
    double zoom() const { return mZoom; }
    void setZoom(double zoom, QPointF anchor);
    void fit();
    QPointF toPicture(QPointF widgetPoint) const;
    QPointF toWidget(QPointF picturePoint) const;

    // The result shown in place of the picture (before/after); null shows the picture.
    void setShownResult(const QImage& result);

    QSize sizeHint() const override { return {512, 512}; }

signals:
    void maskChanged();
    void pictureChanged();

protected:
    void paintEvent(QPaintEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;
    void wheelEvent(QWheelEvent* event) override;
    void mousePressEvent(QMouseEvent* event) override;
    void mouseMoveEvent(QMouseEvent* event) override;
    void mouseReleaseEvent(QMouseEvent* event) override;
    void tabletEvent(QTabletEvent* event) override;
    void keyPressEvent(QKeyEvent* event) override;
    void keyReleaseEvent(QKeyEvent* event) override;
    void leaveEvent(QEvent* event) override;

private:
    friend class MaskEdit;
    friend class PictureChange;

    void beginStroke(QPointF picturePoint, double pressure);
    void continueStroke(QPointF picturePoint, double pressure);
    void endStroke();
    void dab(QPointF center, double radius);
    void replaceMask(const QRect& rect, const QImage& pixels); // from undo/redo
    void replacePicture(const QImage& picture, const QImage& mask);
    void pushWholeMaskEdit(const QImage& after, const QString& text);
    void updateOverlay(const QRect& rect);
    void rebuildOverlay();
    double fitZoom() const;

    QImage mPicture;
    QImage mMask;
    QImage mOverlay;     // ARGB32 premultiplied tint, alpha from the (shaped) mask
    QColor mTint{235, 40, 200};
    QImage mShownResult;
    QUndoStack* mUndo = nullptr;

    int mBrushSize = 48;
    double mHardness = 0.7;
    bool mErasing = false;
    double mOpacity = 0.5;
    int mGrow = 0;
    int mFeather = 0;

    // The stroke being painted: the mask before it and the rectangle it touched.
    bool mStroking = false;
    QImage mBeforeStroke;
    QRect mStrokeRect;
    QPointF mLastDab;
    double mLastPressure = 1.0;
    double mCarry = 0; // distance walked since the last dab

    bool mFitted = true;
    double mZoom = 1.0;
    QPointF mOffset; // the picture's top-left in widget coordinates
    bool mSpaceHeld = false;
    bool mPanning = false;
    QPointF mPanStart;
    QPointF mCursor{-1, -1};
};

} // namespace atelier::ui

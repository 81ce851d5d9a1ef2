#pragma once
// The regions of Create's Layout mode: boxes on the picture, each with a prompt of its own, kept as
// fractions of the picture so they follow its size (a 128 x 128 layout doubles with the picture at
// 256 x 256). List order is drawing order: a later region is drawn over an earlier one. Every edit
// is a step on the layout's QUndoStack; a drag shows its box live (`showArea`) and becomes one step
// when the mouse is released (`setArea` with where the drag began).

#include "diffusion/regions.h"

#include <QColor>
#include <QList>
#include <QObject>
#include <QRectF>
#include <QSize>

#include <vector>

class QUndoStack;

namespace atelier::ui {

struct LayoutRegion {
    QRectF area;            // fractions of the picture's width and height, inside [0, 1] x [0, 1]
    QString prompt;
    QString negativePrompt; // empty: the picture's negative prompt
    double strength = 1.0;  // 0..1
    bool operator==(const LayoutRegion&) const = default;
};

// One distinct colour per region index, for its box, its label and its row in the list.
QColor regionColour(int index);

class RegionLayout : public QObject {
    Q_OBJECT
public:
    static constexpr int kMaxRegions = diffusion::kMaxRegionSlots - 1;

    explicit RegionLayout(QObject* parent = nullptr);

    const QList<LayoutRegion>& regions() const { return mRegions; }
    int count() const { return int(mRegions.size()); }
    QUndoStack* undoStack() const { return mUndo; }

    // The region chosen in the canvas and the list; -1: none.
    int current() const { return mCurrent; }
    void setCurrent(int index);

    // Undoable edits. `add` refuses (returns -1) past kMaxRegions; areas are clamped into the picture.
    int add(const LayoutRegion& region);
    void remove(int index);
    void setArea(int index, const QRectF& area, const QRectF& before);
    void setPrompt(int index, const QString& prompt);
    void setNegativePrompt(int index, const QString& prompt);
    void setStrength(int index, double strength);
    void move(int from, int to);
    void replaceAll(const QList<LayoutRegion>& regions, const QString& what);
    // A drag's box on show before it becomes an edit (no undo step).
    void showArea(int index, const QRectF& area);

    // The regions in pixels of a width x height picture, and back.
    std::vector<diffusion::Region> toPixels(QSize picture) const;
    static QList<LayoutRegion> fromPixels(const std::vector<diffusion::Region>& regions, QSize picture);
    static QRectF clampArea(const QRectF& area);

    // Applies an edit with no undo step (the undo commands' own way in).
    void apply(const QList<LayoutRegion>& regions, int current);

signals:
    void changed();
    void currentChanged(int index);

private:
    QList<LayoutRegion> mRegions;
    int mCurrent = -1;
    QUndoStack* mUndo = nullptr;
};

} // namespace atelier::ui

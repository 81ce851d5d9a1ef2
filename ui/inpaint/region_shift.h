#pragma once
// Outpainting's effect on the regional prompts, as a step on the mask canvas's undo stack: the
// regions keep covering what they covered when the picture grows on its left or top edge (moved by
// the added strip, not stretched with the picture), and move back when the extension is undone.
// The move is relative, so regions edited after the extension keep their edits through undo/redo.

#include <QPointF>
#include <QSize>
#include <QUndoCommand>

namespace atelier::ui {

class RegionLayout;

class RegionShift final : public QUndoCommand {
public:
    // before/after: the picture's size either side of the extension; the offset is what the
    // extension added on the left (x) and on top (y), in pixels.
    RegionShift(RegionLayout* layout, QSize before, QSize after, QPointF offset, QUndoCommand* parent = nullptr);

    void undo() override { move(mAfter, mBefore, -mOffset); }
    void redo() override { move(mBefore, mAfter, mOffset); }

private:
    void move(QSize from, QSize to, QPointF by);

    RegionLayout* mLayout;
    QSize mBefore, mAfter;
    QPointF mOffset;
};

} // namespace atelier::ui

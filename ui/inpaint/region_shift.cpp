#include "inpaint/region_shift.h"

#include "create/region_layout.h"

namespace atelier::ui {

RegionShift::RegionShift(RegionLayout* layout, QSize before, QSize after, QPointF offset, QUndoCommand* parent)
    : QUndoCommand(parent)
    , mLayout(layout)
    , mBefore(before)
    , mAfter(after)
    , mOffset(offset)
{
}

void RegionShift::move(QSize from, QSize to, QPointF by)
{
    // The layout keeps fractions of the picture: in pixels of the size they were made for, moved,
    // and back to fractions of the other size.
    std::vector<diffusion::Region> regions = mLayout->toPixels(from);
    for (diffusion::Region& r : regions) {
        r.x0 += by.x(), r.x1 += by.x();
        r.y0 += by.y(), r.y1 += by.y();
    }
    QList<LayoutRegion> moved = RegionLayout::fromPixels(regions, to);
    for (LayoutRegion& r : moved)
        r.area = RegionLayout::clampArea(r.area); // one drawn into the strip, then the strip undone
    mLayout->apply(moved, mLayout->current());
}

} // namespace atelier::ui

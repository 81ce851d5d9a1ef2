#include "create/region_layout.h"

#include <QUndoCommand>
#include <QUndoStack>

#include <algorithm>
#include <cmath>

namespace atelier::ui {

namespace {

// Merge keys: typing in one region's prompt (or dragging its strength) is one undo step.
enum MergeKind { kNoMerge = -1, kPromptEdit = 1, kNegativeEdit = 2, kStrengthEdit = 3 };

// A step holds the whole layout before and after it: at most eight regions, so copies are cheap
// and a step can never disagree with the indices of those around it.
class LayoutEdit : public QUndoCommand {
public:
    LayoutEdit(RegionLayout* layout, QList<LayoutRegion> before, int currentBefore, QList<LayoutRegion> after,
               int currentAfter, const QString& text, int mergeKind)
        : QUndoCommand(text)
        , mLayout(layout)
        , mBefore(std::move(before))
        , mAfter(std::move(after))
        , mCurrentBefore(currentBefore)
        , mCurrentAfter(currentAfter)
        , mMerge(mergeKind < 0 ? -1 : mergeKind * 16 + currentAfter)
    {
    }
    void redo() override { mLayout->apply(mAfter, mCurrentAfter); }
    void undo() override { mLayout->apply(mBefore, mCurrentBefore); }
    int id() const override { return mMerge; }
    bool mergeWith(const QUndoCommand* other) override
    {
        const auto* next = static_cast<const LayoutEdit*>(other);
        mAfter = next->mAfter;
        mCurrentAfter = next->mCurrentAfter;
        return true;
    }

private:
    RegionLayout* mLayout;
    QList<LayoutRegion> mBefore, mAfter;
    int mCurrentBefore, mCurrentAfter;
    int mMerge;
};

// A pixel coordinate back from a fraction: whole pixels stay whole despite the round trip.
double toPixel(double fraction, int side)
{
    const double v = fraction * side;
    const double whole = std::round(v);
    return std::abs(v - whole) < 1e-6 ? whole : v;
}

} // namespace

QColor regionColour(int index)
{
    // Hues far apart on the wheel, in an order where neighbours differ most.
    static const int hues[] = {4, 210, 120, 40, 280, 180, 330, 80};
    return QColor::fromHsv(hues[std::abs(index) % 8], 200, 235);
}

RegionLayout::RegionLayout(QObject* parent)
    : QObject(parent)
    , mUndo(new QUndoStack(this))
{
}

void RegionLayout::setCurrent(int index)
{
    index = index >= 0 && index < count() ? index : -1;
    if (index == mCurrent)
        return;
    mCurrent = index;
    emit currentChanged(index);
}

void RegionLayout::apply(const QList<LayoutRegion>& regions, int current)
{
    mRegions = regions;
    const int before = mCurrent;
    mCurrent = current >= 0 && current < count() ? current : -1;
    emit changed();
    if (mCurrent != before)
        emit currentChanged(mCurrent);
}

QRectF RegionLayout::clampArea(const QRectF& area)
{
    // What lies outside the picture is cut off (a move keeps the box whole: the canvas stops it at the edge).
    const QRectF inside = area.normalized() & QRectF(0, 0, 1, 1);
    return inside.isValid() ? inside : QRectF(std::clamp(area.x(), 0.0, 1.0), std::clamp(area.y(), 0.0, 1.0), 0, 0);
}

int RegionLayout::add(const LayoutRegion& region)
{
    if (count() >= kMaxRegions)
        return -1;
    QList<LayoutRegion> after = mRegions;
    LayoutRegion added = region;
    added.area = clampArea(region.area);
    added.strength = std::clamp(region.strength, 0.0, 1.0);
    after.append(added);
    mUndo->push(new LayoutEdit(this, mRegions, mCurrent, after, int(after.size()) - 1, tr("Draw a region"), kNoMerge));
    return count() - 1;
}

void RegionLayout::remove(int index)
{
    if (index < 0 || index >= count())
        return;
    QList<LayoutRegion> after = mRegions;
    after.removeAt(index);
    const int next = after.isEmpty() ? -1 : std::min(index, int(after.size()) - 1);
    mUndo->push(new LayoutEdit(this, mRegions, index, after, next, tr("Delete a region"), kNoMerge));
}

void RegionLayout::setArea(int index, const QRectF& area, const QRectF& before)
{
    if (index < 0 || index >= count())
        return;
    QList<LayoutRegion> old = mRegions, after = mRegions;
    old[index].area = before;
    after[index].area = clampArea(area);
    if (old[index].area == after[index].area) {
        apply(old, index); // a click without a move
        return;
    }
    mUndo->push(new LayoutEdit(this, old, index, after, index, tr("Move a region"), kNoMerge));
}

void RegionLayout::showArea(int index, const QRectF& area)
{
    if (index < 0 || index >= count())
        return;
    mRegions[index].area = clampArea(area);
    emit changed();
}

void RegionLayout::setPrompt(int index, const QString& prompt)
{
    if (index < 0 || index >= count() || mRegions[index].prompt == prompt)
        return;
    QList<LayoutRegion> after = mRegions;
    after[index].prompt = prompt;
    mUndo->push(new LayoutEdit(this, mRegions, index, after, index, tr("Edit a region's prompt"), kPromptEdit));
}

void RegionLayout::setNegativePrompt(int index, const QString& prompt)
{
    if (index < 0 || index >= count() || mRegions[index].negativePrompt == prompt)
        return;
    QList<LayoutRegion> after = mRegions;
    after[index].negativePrompt = prompt;
    mUndo->push(new LayoutEdit(this, mRegions, index, after, index, tr("Edit a region's negative prompt"), kNegativeEdit));
}

void RegionLayout::setStrength(int index, double strength)
{
    strength = std::clamp(strength, 0.0, 1.0);
    if (index < 0 || index >= count() || mRegions[index].strength == strength)
        return;
    QList<LayoutRegion> after = mRegions;
    after[index].strength = strength;
    mUndo->push(new LayoutEdit(this, mRegions, index, after, index, tr("Change a region's strength"), kStrengthEdit));
}

void RegionLayout::move(int from, int to)
{
    if (from < 0 || from >= count() || to < 0 || to >= count() || from == to)
        return;
    QList<LayoutRegion> after = mRegions;
    after.move(from, to);
    mUndo->push(new LayoutEdit(this, mRegions, from, after, to, tr("Reorder the regions"), kNoMerge));
}

void RegionLayout::replaceAll(const QList<LayoutRegion>& regions, const QString& what)
{
    QList<LayoutRegion> after;
    for (const LayoutRegion& r : regions.mid(0, kMaxRegions))
        after.append({clampArea(r.area), r.prompt, r.negativePrompt, std::clamp(r.strength, 0.0, 1.0)});
    if (after == mRegions)
        return;
    mUndo->push(new LayoutEdit(this, mRegions, mCurrent, after, after.isEmpty() ? -1 : 0, what, kNoMerge));
}

std::vector<diffusion::Region> RegionLayout::toPixels(QSize picture) const
{
    std::vector<diffusion::Region> out;
    for (const LayoutRegion& r : mRegions)
        out.push_back({toPixel(r.area.left(), picture.width()), toPixel(r.area.top(), picture.height()),
                       toPixel(r.area.right(), picture.width()), toPixel(r.area.bottom(), picture.height()),
                       r.prompt.trimmed(), r.negativePrompt.trimmed(), r.strength});
    return out;
}

QList<LayoutRegion> RegionLayout::fromPixels(const std::vector<diffusion::Region>& regions, QSize picture)
{
    QList<LayoutRegion> out;
    const double w = std::max(1, picture.width()), h = std::max(1, picture.height());
    for (const diffusion::Region& r : regions)
        out.append({QRectF(QPointF(r.x0 / w, r.y0 / h), QPointF(r.x1 / w, r.y1 / h)), r.prompt, r.negativePrompt, r.strength});
    return out;
}

} // namespace atelier::ui

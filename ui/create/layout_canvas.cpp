#include "create/layout_canvas.h"

#include "create/region_layout.h"

#include <QApplication>
#include <QKeyEvent>
#include <QMouseEvent>
#include <QPainter>
#include <QPainterPath>

#include <algorithm>
#include <cmath>

namespace atelier::ui {

namespace {

constexpr double kMargin = 12;     // screen pixels around the picture
constexpr double kHandle = 4;      // half a handle's side
constexpr double kHandleReach = 7; // how near a handle the pointer must be

} // namespace

LayoutCanvas::LayoutCanvas(RegionLayout* layout, QWidget* parent)
    : QWidget(parent)
    , mLayout(layout)
{
    setObjectName("layoutCanvas");
    setMouseTracking(true);
    setFocusPolicy(Qt::StrongFocus);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setToolTip(tr("Drag on the picture to draw a region; drag a region to move it, its handles to resize it. "
                  "Delete removes the chosen region, the arrow keys nudge it."));
    connect(mLayout, &RegionLayout::changed, this, qOverload<>(&QWidget::update));
    connect(mLayout, &RegionLayout::currentChanged, this, qOverload<>(&QWidget::update));
}

void LayoutCanvas::setPictureSize(QSize size)
{
    if (size.isEmpty() || size == mPicture)
        return;
    mPicture = size;
    update();
}

void LayoutCanvas::setBackground(const QImage& image)
{
    mBackground = image;
    update();
}

QRectF LayoutCanvas::pictureRect() const
{
    const QRectF room = QRectF(rect()).adjusted(kMargin, kMargin, -kMargin, -kMargin);
    const double scale = std::min(room.width() / mPicture.width(), room.height() / mPicture.height());
    const QSizeF size(mPicture.width() * scale, mPicture.height() * scale);
    return QRectF(room.center() - QPointF(size.width() / 2, size.height() / 2), size);
}

QPointF LayoutCanvas::toWidget(QPointF p) const
{
    const QRectF r = pictureRect();
    return {r.left() + p.x() / mPicture.width() * r.width(), r.top() + p.y() / mPicture.height() * r.height()};
}

QRectF LayoutCanvas::areaOnScreen(const QRectF& area) const
{
    const QRectF r = pictureRect();
    return {r.left() + area.left() * r.width(), r.top() + area.top() * r.height(), area.width() * r.width(),
            area.height() * r.height()};
}

QPointF LayoutCanvas::toFraction(QPointF point) const
{
    const QRectF r = pictureRect();
    const double x = std::clamp(std::round((point.x() - r.left()) / r.width() * mPicture.width()), 0.0, double(mPicture.width()));
    const double y = std::clamp(std::round((point.y() - r.top()) / r.height() * mPicture.height()), 0.0, double(mPicture.height()));
    return {x / mPicture.width(), y / mPicture.height()};
}

int LayoutCanvas::handleAt(QPointF point) const
{
    if (mLayout->current() < 0)
        return -1;
    const QRectF box = areaOnScreen(mLayout->regions()[mLayout->current()].area);
    const QPointF spots[] = {box.topLeft(),  box.topRight(),  box.bottomRight(), box.bottomLeft(),
                             {box.center().x(), box.top()}, {box.right(), box.center().y()},
                             {box.center().x(), box.bottom()}, {box.left(), box.center().y()}};
    for (int i = 0; i < 8; ++i)
        if (std::abs(point.x() - spots[i].x()) <= kHandleReach && std::abs(point.y() - spots[i].y()) <= kHandleReach)
            return i;
    return -1;
}

int LayoutCanvas::regionAt(QPointF point) const
{
    // The topmost first: later regions are drawn over earlier ones.
    for (int i = mLayout->count() - 1; i >= 0; --i)
        if (areaOnScreen(mLayout->regions()[i].area).contains(point))
            return i;
    return -1;
}

void LayoutCanvas::updateCursor(QPointF point)
{
    static const Qt::CursorShape handleCursors[] = {Qt::SizeFDiagCursor, Qt::SizeBDiagCursor, Qt::SizeFDiagCursor,
                                                    Qt::SizeBDiagCursor, Qt::SizeVerCursor,   Qt::SizeHorCursor,
                                                    Qt::SizeVerCursor,   Qt::SizeHorCursor};
    const int handle = handleAt(point);
    if (handle >= 0)
        setCursor(handleCursors[handle]);
    else if (regionAt(point) >= 0)
        setCursor(Qt::SizeAllCursor);
    else
        setCursor(Qt::CrossCursor);
}

void LayoutCanvas::mousePressEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton)
        return QWidget::mousePressEvent(event);
    setFocus(Qt::MouseFocusReason);
    const QPointF at = event->position();
    mPressed = mPointer = toFraction(at);
    mHandle = handleAt(at);
    if (mHandle >= 0) {
        mDrag = Drag::Resize;
    } else if (const int index = regionAt(at); index >= 0) {
        mLayout->setCurrent(index);
        mDrag = Drag::Move;
    } else {
        mLayout->setCurrent(-1);
        mDrag = Drag::Draw;
    }
    if (mLayout->current() >= 0)
        mStartArea = mLayout->regions()[mLayout->current()].area;
    update();
}

void LayoutCanvas::mouseMoveEvent(QMouseEvent* event)
{
    const QPointF at = event->position();
    if (mDrag == Drag::None) {
        updateCursor(at);
        return;
    }
    mPointer = toFraction(at);
    const int index = mLayout->current();
    if (mDrag == Drag::Move && index >= 0) {
        // The box keeps its size and stops at the picture's edges.
        const double dx = std::clamp(mPointer.x() - mPressed.x(), -mStartArea.left(), 1.0 - mStartArea.right());
        const double dy = std::clamp(mPointer.y() - mPressed.y(), -mStartArea.top(), 1.0 - mStartArea.bottom());
        mLayout->showArea(index, mStartArea.translated(dx, dy));
    } else if (mDrag == Drag::Resize && index >= 0) {
        double left = mStartArea.left(), top = mStartArea.top(), right = mStartArea.right(), bottom = mStartArea.bottom();
        const double minW = 1.0 / mPicture.width(), minH = 1.0 / mPicture.height();
        const bool movesLeft = mHandle == 0 || mHandle == 3 || mHandle == 7;
        const bool movesRight = mHandle == 1 || mHandle == 2 || mHandle == 5;
        const bool movesTop = mHandle == 0 || mHandle == 1 || mHandle == 4;
        const bool movesBottom = mHandle == 2 || mHandle == 3 || mHandle == 6;
        if (movesLeft)
            left = std::min(mPointer.x(), right - minW);
        if (movesRight)
            right = std::max(mPointer.x(), left + minW);
        if (movesTop)
            top = std::min(mPointer.y(), bottom - minH);
        if (movesBottom)
            bottom = std::max(mPointer.y(), top + minH);
        mLayout->showArea(index, QRectF(QPointF(left, top), QPointF(right, bottom)));
    }
    update();
}

void LayoutCanvas::mouseReleaseEvent(QMouseEvent* event)
{
    if (event->button() != Qt::LeftButton || mDrag == Drag::None)
        return QWidget::mouseReleaseEvent(event);
    const Drag drag = mDrag;
    mDrag = Drag::None;
    mPointer = toFraction(event->position());
    const int index = mLayout->current();
    if (drag == Drag::Draw) {
        const QRectF area = QRectF(mPressed, mPointer).normalized();
        const QRectF onScreen = areaOnScreen(area);
        // A click, or a box under a pixel of the picture, draws nothing.
        const bool big = onScreen.width() >= QApplication::startDragDistance() / 2.0 &&
                         onScreen.height() >= QApplication::startDragDistance() / 2.0 && area.width() > 0 &&
                         area.height() > 0;
        if (big) {
            const int added = mLayout->add(LayoutRegion{area, {}, {}, 1.0});
            if (added >= 0)
                emit editPromptRequested(added);
            else
                emit refused(tr("At most %1 regions: delete one to draw another").arg(RegionLayout::kMaxRegions));
        }
    } else if (index >= 0) {
        mLayout->setArea(index, mLayout->regions()[index].area, mStartArea);
    }
    updateCursor(event->position());
    update();
}

void LayoutCanvas::mouseDoubleClickEvent(QMouseEvent* event)
{
    const int index = regionAt(event->position());
    if (index >= 0)
        emit editPromptRequested(index);
}

void LayoutCanvas::keyPressEvent(QKeyEvent* event)
{
    const int index = mLayout->current();
    if (index < 0)
        return QWidget::keyPressEvent(event);
    if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
        mLayout->remove(index);
        return;
    }
    const double step = event->modifiers() & Qt::ShiftModifier ? 10 : 1;
    double dx = 0, dy = 0;
    switch (event->key()) {
    case Qt::Key_Left: dx = -step; break;
    case Qt::Key_Right: dx = step; break;
    case Qt::Key_Up: dy = -step; break;
    case Qt::Key_Down: dy = step; break;
    default: return QWidget::keyPressEvent(event);
    }
    const QRectF area = mLayout->regions()[index].area;
    dx = std::clamp(dx / mPicture.width(), -area.left(), 1.0 - area.right());
    dy = std::clamp(dy / mPicture.height(), -area.top(), 1.0 - area.bottom());
    mLayout->setArea(index, area.translated(dx, dy), area);
}

void LayoutCanvas::paintEvent(QPaintEvent*)
{
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    painter.fillRect(rect(), palette().color(QPalette::Window).darker(115));
    const QRectF picture = pictureRect();
    const bool backgroundFits =
        !mBackground.isNull() &&
        std::abs(double(mBackground.width()) / mBackground.height() - double(mPicture.width()) / mPicture.height()) < 0.01;
    if (backgroundFits) {
        painter.drawImage(picture, mBackground);
        painter.fillRect(picture, QColor(0, 0, 0, 80)); // dimmed, so the boxes read over it
    } else {
        painter.fillRect(picture, palette().color(QPalette::Base));
    }
    // Thirds, as a guide for "on the left", "in the centre".
    painter.setPen(QPen(palette().color(QPalette::Mid), 1, Qt::DotLine));
    for (int i = 1; i < 3; ++i) {
        painter.drawLine(QPointF(picture.left() + picture.width() * i / 3, picture.top()),
                         QPointF(picture.left() + picture.width() * i / 3, picture.bottom()));
        painter.drawLine(QPointF(picture.left(), picture.top() + picture.height() * i / 3),
                         QPointF(picture.right(), picture.top() + picture.height() * i / 3));
    }
    painter.setPen(QPen(palette().color(QPalette::Mid), 1));
    painter.drawRect(picture);

    for (int i = 0; i < mLayout->count(); ++i)
        paintRegion(painter, i);

    if (mDrag == Drag::Draw) {
        painter.setPen(QPen(regionColour(mLayout->count()), 2, Qt::DashLine));
        painter.setBrush(Qt::NoBrush);
        painter.drawRect(areaOnScreen(QRectF(mPressed, mPointer).normalized()));
    }
    if (mLayout->count() == 0 && mDrag == Drag::None) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(picture.adjusted(16, 16, -16, -16), Qt::AlignCenter | Qt::TextWordWrap,
                         tr("Drag on the picture to draw a region, then write what it shows.\n"
                            "The form's prompt paints the rest."));
    }
}

void LayoutCanvas::paintRegion(QPainter& painter, int index) const
{
    const LayoutRegion& region = mLayout->regions()[index];
    const bool chosen = index == mLayout->current();
    const QColor colour = regionColour(index);
    const QRectF box = areaOnScreen(region.area);
    QColor fill = colour;
    fill.setAlpha(chosen ? 80 : 50);
    painter.setPen(QPen(colour, chosen ? 3 : 2));
    painter.setBrush(fill);
    painter.drawRect(box);

    // The label: number and prompt, in a tab of the region's colour inside its top-left corner
    // (above the box when the box is too low to hold it).
    const QString prompt = region.prompt.simplified().isEmpty() ? tr("(no prompt)") : region.prompt.simplified();
    const QFontMetrics metrics(font());
    const double room = std::max(24.0, box.width() - 4);
    const QString text = metrics.elidedText(QStringLiteral("%1  %2").arg(index + 1).arg(prompt), Qt::ElideRight, int(room - 8));
    const QSizeF label(std::min(room, metrics.horizontalAdvance(text) + 8.0), metrics.height() + 4.0);
    QPointF corner = box.topLeft() + QPointF(2, 2);
    if (box.height() < label.height() + 4)
        corner = box.topLeft() - QPointF(0, label.height() + 1);
    const QRectF tab(corner, label);
    painter.setPen(Qt::NoPen);
    painter.setBrush(colour);
    painter.drawRoundedRect(tab, 3, 3);
    painter.setPen(colour.lightness() > 140 ? Qt::black : Qt::white);
    painter.drawText(tab.adjusted(4, 0, -4, 0), Qt::AlignVCenter | Qt::AlignLeft, text);

    if (chosen) {
        painter.setPen(QPen(colour.darker(160), 1));
        painter.setBrush(Qt::white);
        const QPointF spots[] = {box.topLeft(),  box.topRight(),  box.bottomRight(), box.bottomLeft(),
                                 {box.center().x(), box.top()}, {box.right(), box.center().y()},
                                 {box.center().x(), box.bottom()}, {box.left(), box.center().y()}};
        for (const QPointF& spot : spots)
            painter.drawRect(QRectF(spot - QPointF(kHandle, kHandle), QSizeF(2 * kHandle, 2 * kHandle)));
    }
}

} // namespace atelier::ui

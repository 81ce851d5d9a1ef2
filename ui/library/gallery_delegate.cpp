#include "library/gallery_delegate.h"

#include <QIcon>
#include <QPainter>

namespace atelier::ui {

namespace {
constexpr int kMargin = 4; // room for the ring around the thumbnail
}

void GalleryDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const
{
    const QRect cell = option.rect.adjusted(kMargin, kMargin, -kMargin, -kMargin);
    const QIcon icon = index.data(Qt::DecorationRole).value<QIcon>();
    const QPixmap pixmap = icon.pixmap(cell.size(), painter->device() ? painter->device()->devicePixelRatioF() : 1.0);
    const QSize shown = pixmap.deviceIndependentSize().toSize().scaled(cell.size(), Qt::KeepAspectRatio);
    const QRect target(cell.center() - QPoint(shown.width() / 2, shown.height() / 2), shown);
    painter->save();
    painter->setRenderHint(QPainter::SmoothPixmapTransform);
    painter->drawPixmap(target, pixmap);
    if (option.state & QStyle::State_Selected) {
        QPen ring(option.palette.color(QPalette::Highlight), 3);
        ring.setJoinStyle(Qt::MiterJoin);
        painter->setPen(ring);
        painter->setBrush(Qt::NoBrush);
        painter->drawRect(target.adjusted(-2, -2, 1, 1));
    } else if (option.state & QStyle::State_MouseOver) {
        painter->setPen(QPen(option.palette.color(QPalette::Mid), 1));
        painter->drawRect(target.adjusted(-1, -1, 0, 0));
    }
    painter->restore();
}

QSize GalleryDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex&) const
{
    return option.decorationSize + QSize(2 * kMargin, 2 * kMargin);
}

} // namespace atelier::ui

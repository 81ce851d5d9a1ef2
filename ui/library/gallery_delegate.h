#pragma once
// Paints a gallery cell: the thumbnail centred in it, with a ring in the highlight colour when the
// picture is the chosen one (the icon fills the cell, so the style's own highlight would hide).

#include <QStyledItemDelegate>

namespace atelier::ui {

class GalleryDelegate : public QStyledItemDelegate {
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;
};

} // namespace atelier::ui

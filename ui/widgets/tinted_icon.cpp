#include "widgets/tinted_icon.h"

#include <QPainter>

namespace atelier::ui {

QPixmap tintedPixmap(const QString& path, int size, const QColor& color, qreal devicePixelRatio)
{
    QPixmap pixmap = QIcon(path).pixmap(QSize(size, size), devicePixelRatio);
    if (pixmap.isNull())
        return pixmap;
    QPainter painter(&pixmap);
    painter.setCompositionMode(QPainter::CompositionMode_SourceIn);
    painter.fillRect(pixmap.rect(), color);
    return pixmap;
}

QIcon tintedIcon(const QString& path, const QPalette& palette)
{
    constexpr int size = 24;
    QIcon icon;
    for (const qreal ratio : {1.0, 2.0}) {
        const QPixmap off = tintedPixmap(path, size, palette.color(QPalette::ButtonText), ratio);
        if (off.isNull())
            return {};
        icon.addPixmap(off, QIcon::Normal, QIcon::Off);
        icon.addPixmap(tintedPixmap(path, size, palette.color(QPalette::HighlightedText), ratio),
                       QIcon::Normal, QIcon::On);
    }
    return icon;
}

} // namespace atelier::ui

#pragma once
// Monochrome SVG icons painted in palette colours, so one drawing reads on dark and light themes.
// Needs Qt's SVG image plugin at run time; without it the icons come back null and buttons show text.

#include <QIcon>
#include <QPalette>
#include <QPixmap>

namespace atelier::ui {

// The icon's shape filled with one colour; size in device-independent pixels.
QPixmap tintedPixmap(const QString& path, int size, const QColor& color, qreal devicePixelRatio);

// For buttons: ButtonText when unchecked, HighlightedText when checked, at 1x and 2x.
QIcon tintedIcon(const QString& path, const QPalette& palette);

} // namespace atelier::ui

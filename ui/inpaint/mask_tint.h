#pragma once
// The colour the mask is drawn in over a picture: one of a few strong tints, the one farthest from
// the picture's own colours, so the painted area stands out on a magenta picture as on a green one
// (issue 18: it was always magenta).

#include <QColor>
#include <QImage>

namespace atelier::ui {

// The tint whose mean distance from the picture's pixels (redmean-weighted RGB, on a sample of at
// most 64 x 64 pixels) is the largest; magenta for an empty picture.
QColor contrastingTint(const QImage& picture);

// The redmean colour distance (0 for equal colours, about 765 for black and white).
double colourDistance(QRgb a, QRgb b);

} // namespace atelier::ui

#pragma once
// Reading the shapes model's pictures back in widget tests: where a colour of shapes_dataset.COLOURS
// landed, by describe()'s foreground distance (resources/shapes_model/shapes_dataset.py).

#include <QColor>
#include <QImage>

namespace atelier::test {

inline const QColor kShapesRed(220, 20, 30), kShapesBlue(30, 60, 220), kShapesYellow(250, 225, 20);

struct ColourStats {
    int pixels = 0;      // within distance 70 of the colour
    double centreX = -1; // their mean x; -1 when there are none
};

ColourStats colourStats(const QImage& picture, QColor colour);

} // namespace atelier::test

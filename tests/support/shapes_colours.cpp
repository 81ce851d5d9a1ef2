#include "shapes_colours.h"

#include <cmath>

namespace atelier::test {

ColourStats colourStats(const QImage& picture, QColor colour)
{
    const QImage image = picture.convertToFormat(QImage::Format_RGB888);
    ColourStats s;
    double sum = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) {
            const QColor c = image.pixelColor(x, y);
            if (std::hypot(c.red() - colour.red(), c.green() - colour.green(), c.blue() - colour.blue()) < 70) {
                ++s.pixels;
                sum += x;
            }
        }
    if (s.pixels)
        s.centreX = sum / s.pixels;
    return s;
}

} // namespace atelier::test

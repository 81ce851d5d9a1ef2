#include "inpaint/mask_tint.h"

#include <array>
#include <cmath>

namespace atelier::ui {

namespace {

// Strong, saturated tints spread around the hue circle, magenta first (the choice on a tie).
constexpr std::array<QRgb, 6> kTints = {
    0xffeb28c8, // magenta
    0xff28dc5a, // green
    0xff00c8ff, // cyan
    0xffffdc00, // yellow
    0xffff3c1e, // red-orange
    0xff3250ff, // blue
};

} // namespace

double colourDistance(QRgb a, QRgb b)
{
    // "Redmean": a cheap weighting of RGB that follows perceived differences far better than plain RGB.
    const double meanRed = (qRed(a) + qRed(b)) / 2.0;
    const double dr = qRed(a) - qRed(b);
    const double dg = qGreen(a) - qGreen(b);
    const double db = qBlue(a) - qBlue(b);
    return std::sqrt((2 + meanRed / 256) * dr * dr + 4 * dg * dg + (2 + (255 - meanRed) / 256) * db * db);
}

QColor contrastingTint(const QImage& picture)
{
    if (picture.isNull())
        return QColor::fromRgb(kTints.front());
    const QImage sample = (picture.width() > 64 || picture.height() > 64
                               ? picture.scaled(64, 64, Qt::KeepAspectRatio, Qt::FastTransformation)
                               : picture)
                              .convertToFormat(QImage::Format_RGB32);
    QRgb best = kTints.front();
    double bestDistance = -1;
    for (QRgb tint : kTints) {
        double sum = 0;
        for (int y = 0; y < sample.height(); ++y) {
            const auto* row = reinterpret_cast<const QRgb*>(sample.constScanLine(y));
            for (int x = 0; x < sample.width(); ++x)
                sum += colourDistance(row[x], tint);
        }
        if (sum > bestDistance + 1e-9) {
            bestDistance = sum;
            best = tint;
        }
    }
    return QColor::fromRgb(best);
}

} // namespace atelier::ui

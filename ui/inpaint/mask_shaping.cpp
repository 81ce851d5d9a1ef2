#include "inpaint/mask_shaping.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace atelier::ui {

namespace {

// One pass of a 1-D filter over rows (horizontal) or columns; `take` folds a window into a value.
template <typename Window>
void filterLines(QImage& image, bool horizontal, int radius, Window take)
{
    const int w = image.width();
    const int h = image.height();
    const int lines = horizontal ? h : w;
    const int length = horizontal ? w : h;
    std::vector<uchar> line(static_cast<size_t>(length));
    std::vector<uchar> out(static_cast<size_t>(length));
    for (int l = 0; l < lines; ++l) {
        for (int i = 0; i < length; ++i)
            line[size_t(i)] = horizontal ? image.constScanLine(l)[i] : image.constScanLine(i)[l];
        take(line, out, radius);
        for (int i = 0; i < length; ++i)
            (horizontal ? image.scanLine(l)[i] : image.scanLine(i)[l]) = out[size_t(i)];
    }
}

void extreme(const std::vector<uchar>& in, std::vector<uchar>& out, int radius, bool grow)
{
    const int n = int(in.size());
    for (int i = 0; i < n; ++i) {
        const auto first = in.begin() + std::max(0, i - radius);
        const auto last = in.begin() + std::min(n, i + radius + 1);
        out[size_t(i)] = grow ? *std::max_element(first, last) : *std::min_element(first, last);
    }
}

// A box blur with edges clamped; three passes come close to a Gaussian.
void box(const std::vector<uchar>& in, std::vector<uchar>& out, int radius)
{
    const int n = int(in.size());
    const int size = 2 * radius + 1;
    int sum = 0;
    for (int k = -radius; k <= radius; ++k)
        sum += in[size_t(std::clamp(k, 0, n - 1))];
    for (int i = 0; i < n; ++i) {
        out[size_t(i)] = uchar((sum + size / 2) / size);
        sum += in[size_t(std::clamp(i + radius + 1, 0, n - 1))] - in[size_t(std::clamp(i - radius, 0, n - 1))];
    }
}

} // namespace

QImage shapeMask(const QImage& mask, int grow, int feather)
{
    QImage shaped = mask.convertToFormat(QImage::Format_Grayscale8);
    if (grow != 0) {
        const bool growing = grow > 0;
        auto pass = [growing](const std::vector<uchar>& in, std::vector<uchar>& out, int r) { extreme(in, out, r, growing); };
        filterLines(shaped, true, std::abs(grow), pass);
        filterLines(shaped, false, std::abs(grow), pass);
    }
    if (feather > 0) {
        // Three boxes of radius r have a variance of r (r + 1): about a Gaussian of sigma = feather,
        // which is what the engine blurs with.
        const int radius = std::max(1, int(std::lround(std::sqrt(feather * feather + 0.25) - 0.5)));
        for (int i = 0; i < 3; ++i) {
            filterLines(shaped, true, radius, box);
            filterLines(shaped, false, radius, box);
        }
    }
    return shaped;
}

std::vector<float> maskToFloats(const QImage& mask)
{
    const QImage gray = mask.convertToFormat(QImage::Format_Grayscale8);
    std::vector<float> out(size_t(gray.width()) * size_t(gray.height()));
    for (int y = 0; y < gray.height(); ++y) {
        const uchar* row = gray.constScanLine(y);
        for (int x = 0; x < gray.width(); ++x)
            out[size_t(y) * size_t(gray.width()) + size_t(x)] = row[x] / 255.0f;
    }
    return out;
}

} // namespace atelier::ui

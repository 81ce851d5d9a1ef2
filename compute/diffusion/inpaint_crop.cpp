#include "diffusion/inpaint_crop.h"

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {

Result<CropBox> maskBox(const std::vector<float>& mask, int width, int height, int padding)
{
    int x0 = width, y0 = height, x1 = -1, y1 = -1;
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            if (mask[size_t(y) * size_t(width) + size_t(x)] > 0) {
                x0 = std::min(x0, x);
                y0 = std::min(y0, y);
                x1 = std::max(x1, x);
                y1 = std::max(y1, y);
            }
    if (x1 < 0)
        return makeError(ErrorCode::InvalidArgument, "the mask is empty: paint the area to repaint in white");
    padding = std::max(0, padding);
    x0 = std::max(0, x0 - padding);
    y0 = std::max(0, y0 - padding);
    x1 = std::min(width - 1, x1 + padding);
    y1 = std::min(height - 1, y1 + padding);
    return CropBox{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

namespace {

// Grows [start, start + size) to `target` pixels centred, shifted back inside [0, limit).
void growSpan(int& start, int& size, int target, int limit)
{
    target = std::min(target, limit);
    if (target <= size)
        return;
    start -= (target - size) / 2;
    size = target;
    start = std::clamp(start, 0, limit - size);
}

} // namespace

CropBox expandToAspect(CropBox box, int workWidth, int workHeight, int width, int height)
{
    const double want = double(workWidth) / double(workHeight);
    if (double(box.width) / double(box.height) < want)
        growSpan(box.x, box.width, int(std::lround(box.height * want)), width);
    else
        growSpan(box.y, box.height, int(std::lround(box.width / want)), height);
    return box;
}

void workSizeFor(const CropBox& box, int side, int scale, int* workWidth, int* workHeight)
{
    const double aspect = double(box.width) / double(box.height);
    const double w = double(side) * std::sqrt(aspect);
    const double h = double(side) / std::sqrt(aspect);
    *workWidth = std::max(scale, int(std::lround(w / scale)) * scale);
    *workHeight = std::max(scale, int(std::lround(h / scale)) * scale);
}

std::vector<float> cropPicture(const std::vector<float>& picture, int width, int channels, const CropBox& box)
{
    std::vector<float> out(size_t(box.width) * size_t(box.height) * size_t(channels));
    const size_t row = size_t(box.width) * size_t(channels);
    for (int y = 0; y < box.height; ++y) {
        const auto from = picture.begin() + std::ptrdiff_t((size_t(box.y + y) * size_t(width) + size_t(box.x)) * size_t(channels));
        std::copy(from, from + std::ptrdiff_t(row), out.begin() + std::ptrdiff_t(size_t(y) * row));
    }
    return out;
}

std::vector<float> resizePicture(const std::vector<float>& picture, int width, int height, int channels, int newWidth,
                                 int newHeight)
{
    if (newWidth == width && newHeight == height)
        return picture;
    std::vector<float> out(size_t(newWidth) * size_t(newHeight) * size_t(channels));
    const double sx = double(width) / newWidth, sy = double(height) / newHeight;
    for (int y = 0; y < newHeight; ++y) {
        const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, double(height - 1));
        const int y0 = int(fy), y1 = std::min(y0 + 1, height - 1);
        const double ty = fy - y0;
        for (int x = 0; x < newWidth; ++x) {
            const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, double(width - 1));
            const int x0 = int(fx), x1 = std::min(x0 + 1, width - 1);
            const double tx = fx - x0;
            for (int c = 0; c < channels; ++c) {
                auto at = [&](int yy, int xx) {
                    return double(picture[(size_t(yy) * size_t(width) + size_t(xx)) * size_t(channels) + size_t(c)]);
                };
                const double top = at(y0, x0) * (1 - tx) + at(y0, x1) * tx;
                const double bottom = at(y1, x0) * (1 - tx) + at(y1, x1) * tx;
                out[(size_t(y) * size_t(newWidth) + size_t(x)) * size_t(channels) + size_t(c)] =
                    float(top * (1 - ty) + bottom * ty);
            }
        }
    }
    return out;
}

void pastePicture(std::vector<float>& picture, int width, int channels, const CropBox& box,
                  const std::vector<float>& part)
{
    const size_t row = size_t(box.width) * size_t(channels);
    for (int y = 0; y < box.height; ++y)
        std::copy(part.begin() + std::ptrdiff_t(size_t(y) * row), part.begin() + std::ptrdiff_t(size_t(y + 1) * row),
                  picture.begin() + std::ptrdiff_t((size_t(box.y + y) * size_t(width) + size_t(box.x)) * size_t(channels)));
}

std::vector<Region> regionsInCrop(std::span<const Region> regions, const CropBox& box, int workWidth, int workHeight,
                                  double feather)
{
    const double sx = double(workWidth) / box.width, sy = double(workHeight) / box.height;
    const double reach = std::max(0.0, feather) / 2;
    std::vector<Region> inside;
    for (const Region& r : regions) {
        if (r.x1 + reach <= box.x || r.x0 - reach >= box.x + box.width || r.y1 + reach <= box.y ||
            r.y0 - reach >= box.y + box.height)
            continue;
        Region mapped = r;
        mapped.x0 = (r.x0 - box.x) * sx;
        mapped.x1 = (r.x1 - box.x) * sx;
        mapped.y0 = (r.y0 - box.y) * sy;
        mapped.y1 = (r.y1 - box.y) * sy;
        inside.push_back(std::move(mapped));
    }
    return inside;
}

} // namespace atelier::diffusion

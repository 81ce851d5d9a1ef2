#include "llm/picture.h"

#include "llm/vision_config.h"

#include <algorithm>
#include <cmath>

namespace atelier::llm {

namespace {

constexpr int kPrecisionBits = 32 - 8 - 2; // Pillow's: 8-bit pixels, 2 bits of headroom
constexpr int kMaxSide = 16384;

// One pass's filter: for each output pixel the first input pixel, how many, and their weights.
struct Filter {
    int taps = 0;
    std::vector<int> first, count;
    std::vector<int32_t> weights; // [out * taps], fixed point
};

double sinc(double x)
{
    if (x == 0.0)
        return 1.0;
    const double px = x * 3.14159265358979323846;
    return std::sin(px) / px;
}

double filterAt(Resample kind, double x)
{
    if (kind == Resample::Lanczos)
        return x > -3.0 && x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
    x = std::abs(x);
    return x < 1.0 ? 1.0 - x : 0.0;
}

Filter makeFilter(Resample kind, int in, int out)
{
    const double scale = double(in) / out;
    const double widen = std::max(scale, 1.0); // shrinking widens the filter: no aliasing
    const double support = (kind == Resample::Lanczos ? 3.0 : 1.0) * widen;
    Filter f;
    f.taps = int(std::ceil(support)) * 2 + 1;
    f.first.resize(size_t(out));
    f.count.resize(size_t(out));
    f.weights.assign(size_t(out) * size_t(f.taps), 0);
    std::vector<double> w(size_t(f.taps));
    for (int o = 0; o < out; ++o) {
        const double centre = (o + 0.5) * scale;
        const int lo = std::max(0, int(centre - support + 0.5));
        const int hi = std::min(in, int(centre + support + 0.5));
        double sum = 0;
        for (int i = 0; i < hi - lo; ++i) {
            w[size_t(i)] = filterAt(kind, (i + lo - centre + 0.5) / widen);
            sum += w[size_t(i)];
        }
        for (int i = 0; i < hi - lo; ++i) {
            const double v = sum != 0.0 ? w[size_t(i)] / sum : w[size_t(i)];
            // Pillow rounds half away from zero, then truncates.
            f.weights[size_t(o) * size_t(f.taps) + size_t(i)] =
                int32_t(v * double(1 << kPrecisionBits) + (v < 0 ? -0.5 : 0.5));
        }
        f.first[size_t(o)] = lo;
        f.count[size_t(o)] = hi - lo;
    }
    return f;
}

uint8_t clip8(int32_t v)
{
    v >>= kPrecisionBits;
    return uint8_t(std::clamp(v, 0, 255));
}

// One pass along x (horizontal) or y (vertical), as Pillow's ImagingResample does them.
RgbPicture horizontal(const RgbPicture& in, int width, Resample kind)
{
    const Filter f = makeFilter(kind, in.width, width);
    RgbPicture out{width, in.height, std::vector<uint8_t>(size_t(width) * size_t(in.height) * 3)};
    for (int y = 0; y < in.height; ++y) {
        const uint8_t* row = in.rgb.data() + size_t(y) * size_t(in.width) * 3;
        uint8_t* dst = out.rgb.data() + size_t(y) * size_t(width) * 3;
        for (int x = 0; x < width; ++x) {
            const int32_t* k = f.weights.data() + size_t(x) * size_t(f.taps);
            int32_t acc[3] = {1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1), 1 << (kPrecisionBits - 1)};
            const uint8_t* p = row + size_t(f.first[size_t(x)]) * 3;
            for (int i = 0; i < f.count[size_t(x)]; ++i, p += 3)
                for (int c = 0; c < 3; ++c)
                    acc[c] += int32_t(p[c]) * k[i];
            for (int c = 0; c < 3; ++c)
                dst[size_t(x) * 3 + size_t(c)] = clip8(acc[c]);
        }
    }
    return out;
}

RgbPicture vertical(const RgbPicture& in, int height, Resample kind)
{
    const Filter f = makeFilter(kind, in.height, height);
    const size_t rowBytes = size_t(in.width) * 3;
    RgbPicture out{in.width, height, std::vector<uint8_t>(rowBytes * size_t(height))};
    std::vector<int32_t> acc(rowBytes);
    for (int y = 0; y < height; ++y) {
        std::fill(acc.begin(), acc.end(), 1 << (kPrecisionBits - 1));
        const int32_t* k = f.weights.data() + size_t(y) * size_t(f.taps);
        for (int i = 0; i < f.count[size_t(y)]; ++i) {
            const uint8_t* src = in.rgb.data() + size_t(f.first[size_t(y)] + i) * rowBytes;
            for (size_t j = 0; j < rowBytes; ++j)
                acc[j] += int32_t(src[j]) * k[i];
        }
        uint8_t* dst = out.rgb.data() + size_t(y) * rowBytes;
        for (size_t j = 0; j < rowBytes; ++j)
            dst[j] = clip8(acc[j]);
    }
    return out;
}

Status checkPicture(const RgbPicture& p)
{
    if (!p.valid())
        return makeError(ErrorCode::InvalidArgument, "the picture is empty or its pixels do not match its size");
    if (p.width > kMaxSide || p.height > kMaxSide)
        return makeError(ErrorCode::InvalidArgument, "pictures of " + std::to_string(p.width) + " x " +
                                                         std::to_string(p.height) + " pixels are too large (at most " +
                                                         std::to_string(kMaxSide) + " a side)");
    return {};
}

} // namespace

Result<RgbPicture> resize(const RgbPicture& picture, int width, int height, Resample kind)
{
    ATELIER_TRY(checkPicture(picture));
    if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide)
        return makeError(ErrorCode::InvalidArgument, "cannot resize a picture to " + std::to_string(width) + " x " +
                                                         std::to_string(height));
    RgbPicture out = picture;
    if (width != out.width)
        out = horizontal(out, width, kind);
    if (height != out.height)
        out = vertical(out, height, kind);
    return out;
}

Result<RgbPicture> crop(const RgbPicture& picture, int x, int y, int width, int height)
{
    ATELIER_TRY(checkPicture(picture));
    if (x < 0 || y < 0 || width < 1 || height < 1 || x + width > picture.width || y + height > picture.height)
        return makeError(ErrorCode::InvalidArgument, "the crop lies outside the picture");
    RgbPicture out{width, height, std::vector<uint8_t>(size_t(width) * size_t(height) * 3)};
    for (int row = 0; row < height; ++row)
        std::copy_n(picture.rgb.data() + (size_t(y + row) * size_t(picture.width) + size_t(x)) * 3, size_t(width) * 3,
                    out.rgb.data() + size_t(row) * size_t(width) * 3);
    return out;
}

std::pair<int, int> fittedSize(int width, int height, int size)
{
    const float scale = std::min(float(size) / float(width), float(size) / float(height));
    const int w = std::min(int(std::ceil(float(width) * scale)), size);
    const int h = std::min(int(std::ceil(float(height) * scale)), size);
    return {std::max(w, 1), std::max(h, 1)};
}

Result<RgbPicture> fitSquare(const RgbPicture& picture, int size)
{
    ATELIER_TRY(checkPicture(picture));
    if (picture.width == size && picture.height == size)
        return picture;
    const auto [w, h] = fittedSize(picture.width, picture.height, size);
    ATELIER_ASSIGN(const RgbPicture scaled, resizeBilinear(picture, w, h));
    RgbPicture out{size, size, std::vector<uint8_t>(size_t(size) * size_t(size) * 3, 0)};
    const int x0 = (size - scaled.width) / 2, y0 = (size - scaled.height) / 2;
    for (int y = 0; y < scaled.height; ++y)
        std::copy_n(scaled.rgb.data() + size_t(y) * size_t(scaled.width) * 3, size_t(scaled.width) * 3,
                    out.rgb.data() + (size_t(y0 + y) * size_t(size) + size_t(x0)) * 3);
    return out;
}

Result<std::vector<float>> patchRows(const RgbPicture& picture, const VisionConfig& c)
{
    ATELIER_ASSIGN(const RgbPicture fitted, fitSquare(picture, c.imageSize));
    const int side = c.patchesPerSide(), p = c.patchSize;
    const size_t width = size_t(3) * size_t(p) * size_t(p);
    std::vector<float> rows(size_t(c.patches()) * width);
    for (int py = 0; py < side; ++py)
        for (int px = 0; px < side; ++px) {
            float* row = rows.data() + (size_t(py) * size_t(side) + size_t(px)) * width;
            for (int ch = 0; ch < 3; ++ch)
                for (int y = 0; y < p; ++y)
                    for (int x = 0; x < p; ++x) {
                        const size_t pixel = size_t(py * p + y) * size_t(c.imageSize) + size_t(px * p + x);
                        const float v = float(fitted.rgb[pixel * 3 + size_t(ch)]) / 255.0f;
                        *row++ = (v - c.mean[size_t(ch)]) / c.std[size_t(ch)];
                    }
        }
    return rows;
}

} // namespace atelier::llm

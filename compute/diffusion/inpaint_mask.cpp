#include "diffusion/inpaint_mask.h"

#include "ops/fft.h"
#include "ops/tensor.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>

namespace atelier::diffusion {

namespace {

// Blurs `planes` images [height, width] in one batch on the device.
Result<std::vector<float>> blurPlanes(vk::Device& device, const std::vector<float>& planes, int batch, int width,
                                      int height, float sigma)
{
    ATELIER_ASSIGN(auto blur, ops::GaussianBlur::create(device, height, width, sigma, batch));
    const std::vector<int64_t> shape{batch, height, width};
    ATELIER_ASSIGN(ops::Tensor image, ops::Tensor::fromFloats(device, DType::F32, shape, planes));
    ATELIER_TRY(device.execute([&](vk::CommandBatch& b) { return blur->run(b, image, image); }));
    return image.toFloats(device);
}

} // namespace

std::vector<float> growMask(const std::vector<float>& mask, int width, int height, int pixels)
{
    if (pixels == 0 || mask.size() != size_t(width) * size_t(height))
        return mask;
    const int r = std::abs(pixels);
    const bool dilate = pixels > 0;
    // The disc's half-width per row offset. Each source row's sparse table (extremes of
    // power-of-two runs, up to the disc's diameter) answers the 2r + 1 output rows it reaches, so
    // one row's table is held at a time.
    std::vector<int> halfWidth(size_t(2 * r + 1));
    for (int dy = -r; dy <= r; ++dy)
        halfWidth[size_t(dy + r)] = int(std::floor(std::sqrt(double(r) * r - double(dy) * dy)));
    auto pick = [dilate](float a, float b) { return dilate ? std::max(a, b) : std::min(a, b); };
    const int longest = std::min(width, 2 * r + 1);
    std::vector<float> out(mask);
    std::vector<std::vector<float>> levels;
    for (int source = 0; source < height; ++source) {
        levels.assign(1, std::vector<float>(mask.begin() + std::ptrdiff_t(source) * width,
                                            mask.begin() + std::ptrdiff_t(source + 1) * width));
        for (int k = 1; (1 << k) <= longest; ++k) {
            const std::vector<float>& prev = levels.back();
            std::vector<float> next(size_t(width - (1 << k) + 1));
            for (size_t x = 0; x < next.size(); ++x)
                next[x] = pick(prev[x], prev[x + (size_t(1) << (k - 1))]);
            levels.push_back(std::move(next));
        }
        for (int dy = -r; dy <= r; ++dy) {
            const int y = source - dy;  // outside the picture counts as neither
            if (y < 0 || y >= height)
                continue;
            const int hw = halfWidth[size_t(dy + r)];
            int k = 0;
            while ((2 << k) <= std::min(2 * hw + 1, width))
                ++k;
            float* row = out.data() + size_t(y) * size_t(width);
            for (int x = 0; x < width; ++x) {
                const int x0 = std::max(0, x - hw), x1 = std::min(width - 1, x + hw);
                int kk = k;
                while ((1 << kk) > x1 - x0 + 1)
                    --kk;  // clipped at the picture's edge
                row[x] = pick(row[x], pick(levels[size_t(kk)][size_t(x0)], levels[size_t(kk)][size_t(x1 - (1 << kk) + 1)]));
            }
        }
    }
    return out;
}

Result<std::vector<float>> featherMask(vk::Device& device, const std::vector<float>& mask, int width, int height,
                                       int feather)
{
    if (mask.size() != size_t(width) * size_t(height))
        return makeError(ErrorCode::InvalidArgument, "the mask does not match its size");
    if (feather < 0)
        return makeError(ErrorCode::InvalidArgument, "the feather must not be negative");
    if (feather == 0)
        return mask;
    ATELIER_ASSIGN(std::vector<float> soft, blurPlanes(device, mask, 1, width, height, float(feather)));
    for (float& v : soft)
        v = v < kMaskSnap ? 0.0f : v > 1.0f - kMaskSnap ? 1.0f : v;
    return soft;
}

Result<std::vector<float>> fillFromSurroundings(vk::Device& device, const std::vector<float>& picture,
                                                const std::vector<float>& mask, int width, int height)
{
    const size_t plane = size_t(width) * size_t(height);
    if (mask.size() != plane || picture.size() != plane * 3)
        return makeError(ErrorCode::InvalidArgument, "the picture and the mask do not match");
    // Four planes: R, G, B weighted by keep, and keep itself (normalises the blur to known pixels),
    // averaged down to at most kFillSide pixels a side first: the blur is wide (an eighth of the
    // picture) and smooth, so it runs small and comes back up bilinearly.
    constexpr int kFillSide = 256;
    const int factor = (std::max(width, height) + kFillSide - 1) / kFillSide;
    const int smallWidth = (width + factor - 1) / factor, smallHeight = (height + factor - 1) / factor;
    const size_t smallPlane = size_t(smallWidth) * size_t(smallHeight);
    std::vector<float> planes(smallPlane * 4, 0.0f);
    std::vector<float> counts(smallPlane, 0.0f);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            const size_t p = size_t(y) * size_t(width) + size_t(x);
            const size_t q = size_t(y / factor) * size_t(smallWidth) + size_t(x / factor);
            const float keep = mask[p] > 0 ? 0.0f : 1.0f;
            for (size_t c = 0; c < 3; ++c)
                planes[c * smallPlane + q] += picture[p * 3 + c] * keep;
            planes[3 * smallPlane + q] += keep;
            counts[q] += 1.0f;
        }
    for (size_t c = 0; c < 4; ++c)
        for (size_t q = 0; q < smallPlane; ++q)
            planes[c * smallPlane + q] /= counts[q];
    const float sigma = std::max(2.0f, float(std::max(smallWidth, smallHeight)) / 8.0f);
    ATELIER_ASSIGN(const std::vector<float> small, blurPlanes(device, planes, 4, smallWidth, smallHeight, sigma));
    // Back to full size, bilinear with pixel centres at half-integers.
    auto sample = [&](size_t c, int x, int y) {
        const double fx = std::clamp((x + 0.5) / factor - 0.5, 0.0, double(smallWidth - 1));
        const double fy = std::clamp((y + 0.5) / factor - 0.5, 0.0, double(smallHeight - 1));
        const int x0 = int(fx), y0 = int(fy);
        const int x1 = std::min(x0 + 1, smallWidth - 1), y1 = std::min(y0 + 1, smallHeight - 1);
        const double tx = fx - x0, ty = fy - y0;
        auto at = [&](int xx, int yy) { return double(small[c * smallPlane + size_t(yy) * size_t(smallWidth) + size_t(xx)]); };
        return float((at(x0, y0) * (1 - tx) + at(x1, y0) * tx) * (1 - ty) + (at(x0, y1) * (1 - tx) + at(x1, y1) * tx) * ty);
    };
    std::vector<float> blurred(plane * 4);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x)
            for (size_t c = 0; c < 4; ++c)
                blurred[c * plane + size_t(y) * size_t(width) + size_t(x)] = sample(c, x, y);
    std::vector<float> out(picture);
    for (size_t p = 0; p < plane; ++p) {
        if (mask[p] <= 0)
            continue;
        const float weight = blurred[3 * plane + p];
        for (size_t c = 0; c < 3; ++c)
            out[p * 3 + c] = weight > 1e-4f ? std::clamp(blurred[c * plane + p] / weight, -1.0f, 1.0f) : 0.0f;
    }
    return out;
}

std::vector<float> downsampleMask(const std::vector<float>& mask, int width, int height, int factor)
{
    const int w = width / factor, h = height / factor;
    std::vector<float> out(size_t(w) * size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double sum = 0;
            for (int dy = 0; dy < factor; ++dy)
                for (int dx = 0; dx < factor; ++dx)
                    sum += mask[size_t(y * factor + dy) * size_t(width) + size_t(x * factor + dx)];
            out[size_t(y) * size_t(w) + size_t(x)] = float(sum / (factor * factor));
        }
    return out;
}

std::vector<float> nearestBinaryMask(const std::vector<float>& mask, int width, int height, int factor)
{
    const int w = width / factor, h = height / factor;
    std::vector<float> out(size_t(w) * size_t(h));
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            out[size_t(y) * size_t(w) + size_t(x)] =
                mask[size_t(y * factor) * size_t(width) + size_t(x * factor)] >= 0.5f ? 1.0f : 0.0f;
    return out;
}

} // namespace atelier::diffusion

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
    // The disc's half-width per row offset; each output pixel takes the extreme of 2r + 1 row
    // ranges, each answered from a sparse table (power-of-two extremes) of that row.
    std::vector<int> halfWidth(size_t(2 * r + 1));
    for (int dy = -r; dy <= r; ++dy)
        halfWidth[size_t(dy + r)] = int(std::floor(std::sqrt(double(r) * r - double(dy) * dy)));
    std::vector<float> out(mask.size());
    auto pick = [dilate](float a, float b) { return dilate ? std::max(a, b) : std::min(a, b); };
    std::vector<std::vector<std::vector<float>>> rows(static_cast<size_t>(height));
    for (int y = 0; y < height; ++y) {
        auto& levels = rows[size_t(y)];
        levels.emplace_back(mask.begin() + std::ptrdiff_t(y) * width, mask.begin() + std::ptrdiff_t(y + 1) * width);
        for (int k = 1; (1 << k) <= width; ++k) {
            const auto& prev = levels.back();
            std::vector<float> next(size_t(width - (1 << k) + 1));
            for (size_t x = 0; x < next.size(); ++x)
                next[x] = pick(prev[x], prev[x + (size_t(1) << (k - 1))]);
            levels.push_back(std::move(next));
        }
    }
    auto rangeExtreme = [&](int y, int x0, int x1) {
        const auto& levels = rows[size_t(y)];
        const int len = x1 - x0 + 1;
        int k = 0;
        while ((2 << k) <= len)
            ++k;
        return pick(levels[size_t(k)][size_t(x0)], levels[size_t(k)][size_t(x1 - (1 << k) + 1)]);
    };
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            float v = mask[size_t(y) * size_t(width) + size_t(x)];
            for (int dy = -r; dy <= r; ++dy) {
                const int yy = y + dy;
                if (yy < 0 || yy >= height)
                    continue;  // outside the picture counts as neither
                const int hw = halfWidth[size_t(dy + r)];
                v = pick(v, rangeExtreme(yy, std::max(0, x - hw), std::min(width - 1, x + hw)));
            }
            out[size_t(y) * size_t(width) + size_t(x)] = v;
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
    // Four planes: R, G, B weighted by keep, and keep itself (normalises the blur to known pixels).
    std::vector<float> planes(plane * 4);
    for (size_t p = 0; p < plane; ++p) {
        const float keep = mask[p] > 0 ? 0.0f : 1.0f;
        for (size_t c = 0; c < 3; ++c)
            planes[c * plane + p] = picture[p * 3 + c] * keep;
        planes[3 * plane + p] = keep;
    }
    const float sigma = std::max(4.0f, float(std::max(width, height)) / 8.0f);
    ATELIER_ASSIGN(const std::vector<float> blurred, blurPlanes(device, planes, 4, width, height, sigma));
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

// GaussianBlur: pad (clamped edges) -> forward FFT -> multiply by the kernel's spectrum -> inverse
// FFT -> crop, all in the FftPlan's work buffers, in one batch.

#include "ops/fft.h"
#include "push_constants.h"

#include "ops/grid.h"
#include "vk/device.h"

#include <cmath>
#include <numbers>
#include <string>

namespace atelier::ops {

namespace {

constexpr uint32_t kWorkgroup = 256;
constexpr int kMaxRadius = 8192;
enum Mode : uint32_t { Pad = 0, Multiply = 1, Crop = 2 }; // MODE in shaders/fft_multiply.comp

using shader::FftConvolvePush;

// The smallest n' >= n whose prime factors are 2, 3, 5 and 7: sizes VkFFT does fastest, without
// Rader's or Bluestein's algorithms.
int smoothSize(int n)
{
    for (int m = n;; ++m) {
        int r = m;
        for (int p : {2, 3, 5, 7})
            while (r % p == 0)
                r /= p;
        if (r == 1)
            return m;
    }
}

// The DFT of the 1-D kernel g[d] = exp(-d^2 / (2 sigma^2)) / sum, |d| <= radius, laid around 0 of a
// circle of n samples; real because the kernel is symmetric. Entries 0 .. count-1.
std::vector<float> kernelSpectrum(float sigma, int radius, int n, int count)
{
    std::vector<double> g(size_t(radius) + 1);
    double sum = 0;
    for (int d = 0; d <= radius; ++d) {
        g[size_t(d)] = sigma > 0 ? std::exp(-double(d) * d / (2.0 * double(sigma) * sigma)) : 1.0;
        sum += d == 0 ? g[0] : 2 * g[size_t(d)];
    }
    std::vector<float> out(static_cast<size_t>(count));
    for (int k = 0; k < count; ++k) {
        double s = g[0];
        for (int d = 1; d <= radius; ++d)
            s += 2 * g[size_t(d)] * std::cos(2 * std::numbers::pi * double(k) * d / n);
        out[size_t(k)] = float(s / sum);
    }
    return out;
}

} // namespace

Result<std::unique_ptr<GaussianBlur>> GaussianBlur::create(vk::Device& device, int height, int width, float sigma,
                                                           int batch)
{
    if (!std::isfinite(sigma) || sigma < 0 || radiusFor(sigma) > kMaxRadius)
        return makeError(ErrorCode::InvalidArgument, "Gaussian blur: sigma must be 0 to " +
                                                         std::to_string(kMaxRadius / 4) + ", got " +
                                                         std::to_string(sigma));
    if (height < 1 || width < 1)
        return makeError(ErrorCode::InvalidArgument, "Gaussian blur: invalid image size " + std::to_string(height) +
                                                         " x " + std::to_string(width));
    std::unique_ptr<GaussianBlur> blur(new GaussianBlur);
    blur->mHeight = height;
    blur->mWidth = width;
    blur->mBatch = batch;
    blur->mRadius = radiusFor(sigma);
    // Room for the radius on both sides: the clamped continuation after the image, and before it
    // (the end of the circle), so no output pixel sees the far edge.
    const int paddedHeight = smoothSize(height + 2 * blur->mRadius);
    const int paddedWidth = smoothSize(std::max(width + 2 * blur->mRadius, 2));
    ATELIER_ASSIGN(blur->mPlan, FftPlan::create(device, paddedHeight, paddedWidth, batch));

    std::vector<float> factors = kernelSpectrum(sigma, blur->mRadius, paddedHeight, paddedHeight);
    const std::vector<float> columns = kernelSpectrum(sigma, blur->mRadius, paddedWidth, paddedWidth / 2 + 1);
    factors.insert(factors.end(), columns.begin(), columns.end());
    ATELIER_ASSIGN(blur->mFactors, Tensor::fromFloats(device, DType::F32, {int64_t(factors.size())}, factors));
    return blur;
}

Status GaussianBlur::run(vk::CommandBatch& batch, const Tensor& image, Tensor& out)
{
    const std::vector<int64_t> shape = {mHeight, mWidth};
    const std::vector<int64_t> batched = {mBatch, mHeight, mWidth};
    for (const Tensor* t : std::initializer_list<const Tensor*>{&image, &out}) {
        if (t->dtype != DType::F32 || !(t->shape == batched || (mBatch == 1 && t->shape == shape)))
            return makeError(ErrorCode::InvalidArgument, "Gaussian blur: " + t->shapeText() + " is not the [" +
                                                             std::to_string(mBatch) + ", " + std::to_string(mHeight) +
                                                             ", " + std::to_string(mWidth) + "] f32 it was made for");
    }
    vk::Device& device = batch.device();
    const FftPlan& plan = *mPlan;
    const uint32_t b = uint32_t(mBatch), ph = uint32_t(plan.height()), pw = uint32_t(plan.width());
    const auto step = [&](Mode mode, uint32_t count, vk::Binding first, vk::Binding second) -> Status {
        ATELIER_ASSIGN(const vk::Pipeline* pipeline,
                       device.pipelines().get({"fft_multiply", 2, sizeof(FftConvolvePush), {kWorkgroup, mode}}));
        const FftConvolvePush push{uint32_t(mHeight), uint32_t(mWidth), ph, pw, count};
        const Grid g = grid1d(count, kWorkgroup, device.info().maxWorkgroupCount[0]);
        return batch.dispatch(*pipeline, {first, second}, push, g.x, g.y);
    };

    ATELIER_TRY(step(Pad, b * ph * pw, vk::readOf(image.buffer.range()), vk::writeOf(mPlan->realArea())));
    ATELIER_TRY(mPlan->forwardArea(batch));
    ATELIER_TRY(step(Multiply, b * ph * uint32_t(plan.spectrumWidth()), vk::readWriteOf(mPlan->spectrumArea()),
                     vk::readOf(mFactors.buffer.range())));
    ATELIER_TRY(mPlan->inverseArea(batch));
    return step(Crop, b * uint32_t(mHeight) * uint32_t(mWidth), vk::readOf(mPlan->realArea()),
                vk::writeOf(out.buffer.range()));
}

} // namespace atelier::ops

#pragma once
// 2-D FFTs of f32 images on the device, planned and recorded by VkFFT (which compiles its kernels
// with glslang at run time), and the Gaussian blur built on them. Only fft.cpp includes VkFFT.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::ops {

// One VkFFT application for real images [batch, height, width] f32 and their half spectra
// [batch, height, width / 2 + 1, 2] f32 (complex: real, imaginary); a batch of 1 may be left out
// of either shape. Planning compiles VkFFT's kernels, which takes seconds on lavapipe: keep a plan
// per size. A plan transforms through two work buffers it owns, bound at offset 0, because VkFFT
// binds a buffer from its start to the data's end (past maxStorageBufferRange for a tensor deep in
// a 256 MiB block) and rewrites its descriptor sets when handed another buffer, which would
// invalidate an earlier use in the same command buffer. Create and use it on the compute thread,
// outside Device::execute(): planning submits its own uploads to the queue.
class FftPlan {
public:
    static Result<std::unique_ptr<FftPlan>> create(vk::Device& device, int height, int width, int batch = 1);
    ~FftPlan();
    FftPlan(const FftPlan&) = delete;
    FftPlan& operator=(const FftPlan&) = delete;

    int height() const { return mHeight; }
    int width() const { return mWidth; }
    int batch() const { return mBatch; }
    int spectrumWidth() const { return mWidth / 2 + 1; }
    std::vector<int64_t> realShape() const;     // [batch, height, width]
    std::vector<int64_t> spectrumShape() const; // [batch, height, width / 2 + 1, 2]
    double planSeconds() const { return mPlanSeconds; } // wall time of VkFFT's planning

    // spectrum[k, l] = sum over m, n of real[m, n] * exp(-2 pi i (k m / height + l n / width)).
    Status forward(vk::CommandBatch& batch, const Tensor& real, Tensor& spectrum);
    // The inverse divided by height * width, so inverse(forward(x)) == x. spectrum is left as it was.
    Status inverse(vk::CommandBatch& batch, const Tensor& spectrum, Tensor& real);

    // The work buffers, for ops that fuse their own steps around the transforms (GaussianBlur):
    // realArea holds [batch, height, width] f32, spectrumArea [batch, height, width / 2 + 1] complex.
    vk::BufferRange realArea() const;
    vk::BufferRange spectrumArea() const;
    Status forwardArea(vk::CommandBatch& batch); // realArea -> spectrumArea
    Status inverseArea(vk::CommandBatch& batch); // spectrumArea -> realArea, normalised; clobbers spectrumArea

private:
    struct Application; // VkFFT's state and the work buffers (fft.cpp)
    FftPlan(int height, int width, int batch);
    Status checkShape(const Tensor& t, const std::vector<int64_t>& shape, const char* what) const;

    int mHeight, mWidth, mBatch;
    double mPlanSeconds = 0;
    std::unique_ptr<Application> mApp;
};

// Gaussian blur of f32 images [height, width] or [batch, height, width] as an FFT convolution.
// The kernel is exp(-d^2 / (2 sigma^2)) in each axis, cut at radius ceil(4 sigma) and normalised
// to sum 1. Edges are clamped (the image continues with its border pixels) and the transform is
// padded by the radius on every side, so nothing wraps around. Cost does not grow with sigma.
class GaussianBlur {
public:
    static Result<std::unique_ptr<GaussianBlur>> create(vk::Device& device, int height, int width, float sigma,
                                                        int batch = 1);
    static int radiusFor(float sigma) { return sigma > 0 ? int(std::ceil(4.0 * double(sigma))) : 0; }

    // image and out may be the same tensor.
    Status run(vk::CommandBatch& batch, const Tensor& image, Tensor& out);
    int radius() const { return mRadius; }
    const FftPlan& plan() const { return *mPlan; } // over the padded size

private:
    GaussianBlur() = default;

    int mHeight = 0, mWidth = 0, mBatch = 1, mRadius = 0;
    std::unique_ptr<FftPlan> mPlan;
    Tensor mFactors; // [paddedHeight + paddedWidth / 2 + 1]: the kernel's (real) spectrum per axis
};

} // namespace atelier::ops

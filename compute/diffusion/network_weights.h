#pragma once
// Binds a checkpoint's canonical tensors (checkpoint.h) to device tensors for the three networks,
// by name with the expected shape: a missing tensor or a wrong shape is an error that names it and
// says what was expected and what was found.
//
// Matrices (Linear weights, 1x1 and 3x3 convolutions) are stored as the WeightPrecision says;
// vectors (norm scales and shifts, Linear biases) are always f32, since they are small and the
// element-wise kernels take them in any dtype. Conv biases follow their weight's dtype, as
// ops::conv2d wants. BF16 files are widened (f32) or narrowed (f16) on the host.

#include "core/dtype.h"
#include "core/result.h"
#include "diffusion/checkpoint_tensors.h"
#include "ops/tensor.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

class Checkpoint;

enum class WeightPrecision {
    F16,      // every matrix as f16: half the memory of f32 files; what the app uses
    AsStored, // f32 files stay f32, f16 stay f16 (bf16 becomes f32): the golden tests
};

// A conv layer: weight [outC, kh, kw, inC] (ops::conv2d's OHWI, repacked from the file's OIHW)
// and bias [outC] of the weight's dtype.
struct ConvWeights {
    ops::Tensor weight;
    ops::Tensor bias;
};

// A Linear layer: weight [out, in] (ops::matmul's b) and, when the layer has one, bias [out] f32.
struct LinearWeights {
    ops::Tensor weight;
    std::optional<ops::Tensor> bias;
};

// A norm layer's affine parameters: gamma and beta [channels] f32.
struct NormWeights {
    ops::Tensor gamma;
    ops::Tensor beta;
};

// A bound matrix a LoRA may change: a Linear weight or a convolution, under its canonical name
// (prefix included, ".weight" dropped: "model.diffusion_model.out.2"), viewed as [out, cols] with
// cols = kernel * kernel * in in the device's layout (a conv's OHWI). The view does not own the
// memory: it lives as long as the network that bound it.
struct BoundMatrix {
    std::string name;
    ops::Tensor weight;                      // [out, kernel * kernel * in] view
    int64_t out = 0;
    int64_t in = 0;
    int64_t kernel = 1;                      // 1 for Linear weights and 1x1 convolutions
    const CheckpointTensor* source = nullptr; // the file's tensor, to upload the base again
};

// Uploads `matrix`'s tensor from the checkpoint again, undoing whatever was merged into it.
Status restoreMatrix(vk::Device& device, const BoundMatrix& matrix);

class WeightBinder {
public:
    // Names are looked up as prefix + name (kUNetPrefix, kVaePrefix, kTextPrefix).
    WeightBinder(vk::Device& device, const Checkpoint& checkpoint, std::string prefix, WeightPrecision precision);

    // `name`.weight [out, in, kernel, kernel] and `name`.bias [out].
    Result<ConvWeights> conv(std::string_view name, int64_t out, int64_t in, int64_t kernel);
    // `name`.weight [out, in] (a [out, in, 1, 1] 1x1 conv is taken as the same matrix) and, if
    // `bias`, `name`.bias [out].
    Result<LinearWeights> linear(std::string_view name, int64_t out, int64_t in, bool bias = true);
    // Several Linear layers of one shape [out, in], each with its bias, stacked as one weight
    // [parts x out, in] and one bias [parts x out] (a fused q/k/v projection). Each part is remembered
    // under its own name as a view of its rows, where LoRAs merge; a part's bytes must keep the
    // device's binding alignment (every CLIP width does).
    Result<LinearWeights> stackedLinear(std::span<const std::string> names, int64_t out, int64_t in);
    // `name`.weight and `name`.bias [channels].
    Result<NormWeights> norm(std::string_view name, int64_t channels);
    // The tensor `name` (full name after the prefix) with exactly `shape`, as `dtype` (F32 or F16).
    Result<ops::Tensor> tensor(std::string_view name, const std::vector<int64_t>& shape, DType dtype);
    // Device bytes bound so far.
    uint64_t bytes() const { return mBytes; }
    // The matrices bound so far by conv() and linear(), in binding order.
    std::vector<BoundMatrix> takeMatrices() { return std::move(mMatrices); }

private:
    Result<const CheckpointTensor*> find(std::string_view name, const std::vector<int64_t>& shape) const;
    Result<ops::Tensor> upload(const CheckpointTensor& source, std::vector<int64_t> shape, DType dtype, bool repackConv);
    Status remember(const std::string& name, const ops::Tensor& weight, int64_t out, int64_t in, int64_t kernel,
                    const CheckpointTensor* source);

    vk::Device& mDevice;
    const Checkpoint& mCheckpoint;
    std::string mPrefix;
    WeightPrecision mPrecision;
    uint64_t mBytes = 0;
    std::vector<BoundMatrix> mMatrices;
};

} // namespace atelier::diffusion

#pragma once
// The KL autoencoder's building blocks recorded on NHWC activations of one image: ResnetBlock,
// the single-head AttnBlock, the mid block, the encoder's padded stride-2 Downsample and the
// decoder's nearest-2x Upsample. Activations live in a few reusable slots (VaeActivations).

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/vae_weights.h"
#include "ops/tensor.h"
#include "ops/wide_attention.h"
#include "vk/command_batch.h"

#include <cstdint>
#include <memory>
#include <vector>

namespace atelier::diffusion {

// Every activation of one pass: three slots of the largest activation's size, handed out and taken
// back block after block (the command batch puts barriers between a slot's readers and its next
// writer), and the mid-block attention's q, k, v and scratch.
class VaeActivations {
public:
    static constexpr int kSlots = 3;

    // slotElements: the largest activation; midTokens x midChannels: the mid block's image;
    // statistics: GroupNorm's per-band statistics for activations larger than a binding.
    static Result<std::unique_ptr<VaeActivations>> create(vk::Device& device, DType dtype, uint64_t slotElements,
                                                          int64_t midTokens, int64_t midChannels, uint64_t statistics);
    // Device bytes create() would take.
    static uint64_t bytesFor(DType dtype, uint64_t slotElements, int64_t midTokens, int64_t midChannels);

    DType dtype() const { return mDtype; }
    // A free slot seen as `shape`; an error when all are taken or the shape is too large.
    Result<ops::Tensor> take(std::vector<int64_t> shape);
    // Gives back the slot `view` came from; tensors that are not slot views are ignored.
    void release(const ops::Tensor& view);

    ops::Tensor q, k, v; // [1, midTokens, midChannels]
    ops::WideAttentionScratch attention;
    ops::Tensor normStatistics; // f32 [statistics]

private:
    DType mDtype = DType::F32;
    uint64_t mSlotElements = 0;
    std::vector<ops::Tensor> mSlots;
    std::vector<bool> mTaken;
};

// What the blocks of one pass record with.
struct VaeRun {
    vk::CommandBatch& batch;
    VaeActivations& activations;
    uint32_t groups;
    float eps;
};

// Each takes its input's slot back once it has been read and returns its output in a slot.
Result<ops::Tensor> runResBlock(VaeRun& run, const VaeResBlockWeights& w, const ops::Tensor& x);
Result<ops::Tensor> runAttention(VaeRun& run, const VaeAttentionWeights& w, const ops::Tensor& x);
Result<ops::Tensor> runMid(VaeRun& run, const VaeMidWeights& w, const ops::Tensor& x);
// conv (stride 1, padding kernel / 2) into a new slot of outChannels.
Result<ops::Tensor> runConv(VaeRun& run, const ConvWeights& w, const ops::Tensor& x, int64_t outChannels, int kernel);
Result<ops::Tensor> runDownsample(VaeRun& run, const ConvWeights& w, const ops::Tensor& x);
Result<ops::Tensor> runUpsample(VaeRun& run, const ConvWeights& w, const ops::Tensor& x);
// GroupNorm + SiLU, then conv 3x3 into `out` (the networks' last layers).
Status runNormOutConv(VaeRun& run, const NormWeights& norm, const ConvWeights& conv, const ops::Tensor& x, ops::Tensor& out);

// The largest activation (elements) of the decoder on a latent of h x w, and of the encoder on an
// image of h x w pixels (its padded Downsample inputs included).
uint64_t decoderSlotElements(const VaeConfig& c, int64_t h, int64_t w);
uint64_t encoderSlotElements(const VaeConfig& c, int64_t h, int64_t w);
// GroupNorm statistics values for any activation of up to slotElements elements of the network.
uint64_t normStatisticsElements(vk::Device& device, const VaeConfig& c, DType dtype, uint64_t slotElements);

} // namespace atelier::diffusion

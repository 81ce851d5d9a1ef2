#pragma once
// The Stable Diffusion UNet (SD 1.x, 2.x and their 9-channel inpainting variants): one noise (or v)
// prediction per call, recorded as one command batch on NHWC f32 activations (unet_blocks.h).
//
//   temb = time_embed(sinusoid(t))            x = conv_in(x)
//   down levels: ResBlock(+SpatialTransformer) x resBlocks, stride-2 conv   (each output kept as a skip)
//   middle: ResBlock, SpatialTransformer, ResBlock
//   up levels: [x | skip] -> ResBlock(+SpatialTransformer) x (resBlocks + 1), conv of the 2x upsample
//   out = conv_out(silu(groupNorm(x)))

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"
#include "diffusion/regions.h"
#include "diffusion/unet_state.h"
#include "diffusion/unet_weights.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace atelier::vk {
class CommandBatch;
class Device;
}

namespace atelier::diffusion {

class Checkpoint;

// Where the last prediction's wall time went (host clocks), for `atelier bench sd` and the logs.
struct UNetTimings {
    double stateMs = 0;    // (re)allocating the run state; 0 when the shape was the last one's
    double uploadMs = 0;   // latents, context and timesteps to the device (with the NHWC transpose)
    double executeMs = 0;  // recording, submitting and waiting for the one command batch
    double downloadMs = 0; // the prediction back (with the NCHW transpose)
    uint32_t dispatches = 0;
    uint32_t barriers = 0;
};

class UNet {
public:
    static Result<std::unique_ptr<UNet>> load(vk::Device& device, const Checkpoint& checkpoint,
                                              WeightPrecision precision);
    const UNetConfig& config() const { return mConfig; }
    uint64_t weightBytes() const { return mWeightBytes; }
    // Device bytes of the activations for the last shape predicted (0 before the first).
    uint64_t stateBytes() const { return mState ? mState->bytes : 0; }
    const UNetTimings& lastTimings() const { return mTimings; }
    // The Linear and convolution weights, where LoRAs merge (lora_weights.h).
    std::span<const BoundMatrix> matrices() const { return mMatrices; }
    // Frees the activations (the next prediction allocates them again), e.g. to give the VAE room.
    void releaseRunState() { mState.reset(); }

    // One prediction. x: [batch, inChannels, height, width] NCHW; context: [batch, contextTokens,
    // contextDim], one per batch item; the same timestep for every item. Returns [batch, outChannels,
    // height, width] NCHW. height and width are latent pixels, multiples of 2^(levels - 1).
    // Regional prompts: `regions` weighs `regions->contexts` contexts per pixel at every level, and
    // context holds them context after context, [contexts, batch, contextTokens, contextDim].
    Result<std::vector<float>> predict(std::span<const float> x, int batch, int height, int width, double timestep,
                                       std::span<const float> context, int contextTokens,
                                       const RegionWeights* regions = nullptr);

private:
    UNet(vk::Device& device, UNetConfig config, UNetWeights weights, uint64_t weightBytes);
    Status checkInputs(std::span<const float> x, int batch, int height, int width, double timestep,
                       std::span<const float> context, int contextTokens, const RegionWeights* regions) const;
    Status record(vk::CommandBatch& batch);
    Status recordTimeEmbedding(vk::CommandBatch& batch);
    Status recordDown(vk::CommandBatch& batch);
    Status recordUp(vk::CommandBatch& batch, ops::Tensor& h);
    // The run state's flat `t` as [batch, height, width, channels] of `level`.
    Result<ops::Tensor> levelView(const ops::Tensor& t, int level, int64_t channels) const;

    vk::Device& mDevice;
    UNetConfig mConfig;
    UNetWeights mWeights;
    uint64_t mWeightBytes = 0;
    std::vector<BoundMatrix> mMatrices;
    std::optional<UNetState> mState; // for the last shape predicted
    UNetTimings mTimings;
};

} // namespace atelier::diffusion

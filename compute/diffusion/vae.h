#pragma once
// Stable Diffusion's KL autoencoder (diffusers' AutoencoderKL, CompVis' AutoencoderKL): the decoder
// turns UNet latents into RGB images and the encoder images into latents (img2img, inpainting).
// Activations are NHWC on the device; f16 weights run on f16 activations (fp32 sums in every
// kernel), as-stored weights on f32 activations. Activations beyond a binding (lavapipe: 128 MiB)
// go through every kernel in bands; images beyond the memory go through in tiles (vae_tiling.h).

#include "core/result.h"
#include "diffusion/checkpoint_config.h"
#include "diffusion/network_weights.h"
#include "diffusion/vae_tiling.h"
#include "diffusion/vae_weights.h"

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

class Checkpoint;

class Vae {
public:
    static Result<std::unique_ptr<Vae>> load(vk::Device& device, const Checkpoint& checkpoint, WeightPrecision precision);

    const VaeConfig& config() const { return mConfig; }
    uint64_t weightBytes() const { return mWeightBytes; }
    DType activationType() const { return mActivation; }

    // latent: [latentChannels, height, width] NCHW host floats in UNet scale (this divides by
    // scalingFactor, runs post_quant_conv and the decoder). Returns the RGB image
    // [height * 8, width * 8, 3] (HWC) in [-1, 1] (unclamped).
    Result<std::vector<float>> decode(std::span<const float> latent, int height, int width, const VaeTiling& tiling = {});
    // image: RGB [height, width, 3] HWC in [-1, 1], height and width multiples of 8 (downscale).
    // Returns the posterior mean (encoder, quant_conv, first latentChannels channels) times
    // scalingFactor, NCHW [latentChannels, height / 8, width / 8].
    Result<std::vector<float>> encode(std::span<const float> image, int height, int width, const VaeTiling& tiling = {});
    // Whether decode at this size needs tiling to fit the device's memory: for callers' auto mode.
    bool needsTiling(int latentHeight, int latentWidth) const;

private:
    Vae(vk::Device& device, VaeConfig config, DType activation);
    // Whether one pass whose largest activation has slotElements elements fits the device.
    bool fits(uint64_t slotElements, int64_t midTokens) const;
    // One pass over a whole latent (NHWC, VAE scale) or image (NHWC): NHWC outputs.
    Result<std::vector<float>> decodeWhole(std::span<const float> latentNhwc, int height, int width);
    Result<std::vector<float>> encodeWhole(std::span<const float> imageNhwc, int height, int width);

    vk::Device& mDevice;
    VaeConfig mConfig;
    DType mActivation;
    uint64_t mWeightBytes = 0;
    VaeEncoderWeights mEncoder;
    VaeDecoderWeights mDecoder;
};

} // namespace atelier::diffusion

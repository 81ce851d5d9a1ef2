#pragma once
// Mask preparation for inpainting: grow or shrink the painted area, feather its edge with the
// VkFFT Gaussian blur on the device, blur a picture's surroundings into a hole, and bring a mask
// down to latent resolution. Masks are [height, width] floats in [0, 1], 1 = repaint.

#include "core/result.h"

#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::diffusion {

// Dilates (pixels > 0) or erodes (pixels < 0) by a disc of that radius: max / min over it. CPU.
std::vector<float> growMask(const std::vector<float>& mask, int width, int height, int pixels);

// Values this close to 0 or 1 after feathering snap to exactly 0 or 1, so float noise of the FFT far
// from the mask never touches a kept pixel.
inline constexpr float kMaskSnap = 1.0f / 1024.0f;

// The mask blurred with sigma = feather pixels (ops::GaussianBlur, clamped edges), then snapped.
// feather 0 returns the mask unchanged.
Result<std::vector<float>> featherMask(vk::Device& device, const std::vector<float>& mask, int width, int height,
                                       int feather);

// The picture (RGB HWC) with its masked area (mask > 0) replaced by the unmasked surroundings'
// colours: blur(picture * keep) / blur(keep) with keep = 1 - binary mask, a wide Gaussian on the
// device. Pixels where the mask is 0 come back unchanged.
Result<std::vector<float>> fillFromSurroundings(vk::Device& device, const std::vector<float>& picture,
                                                const std::vector<float>& mask, int width, int height);

// Mean of each factor x factor block: [height / factor, width / factor].
std::vector<float> downsampleMask(const std::vector<float>& mask, int width, int height, int factor);
// The top-left pixel of each block after thresholding at 0.5 (torch's nearest interpolate of
// diffusers' binarised mask): [height / factor, width / factor].
std::vector<float> nearestBinaryMask(const std::vector<float>& mask, int width, int height, int factor);

} // namespace atelier::diffusion

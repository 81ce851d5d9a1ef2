#pragma once
// Inpainting and outpainting with a loaded StableDiffusion (issue 7): repaint where a mask is
// white, keep every other pixel exactly as it was.
//
//   picture RGB [-1, 1], mask [h, w] in [0, 1] --grow, feather (VkFFT Gaussian blur)--> soft mask
//   only masked: crop around the mask (+ padding), scale to the model's native size
//   fill the masked area (original / latent noise / blurred surroundings), VAE-encode
//   regular model: after every denoiser call, x0 = mask * x0 + (1 - mask) * encoded (A1111)
//   inpainting model (9 channels): UNet([x | mask | masked-picture latent]) (diffusers' order)
//   decode --(only masked: scale back, paste)--> out = orig * (1 - m) + decoded * m in bytes
// Regional prompts (generation.regions, boxes on the whole picture) condition the repaint as in
// generate(); only masked maps them into the crop and scales them with it (regionsInCrop).

#include "core/result.h"
#include "diffusion/generation.h"

#include <cstdint>
#include <vector>

namespace atelier::diffusion {

// What the masked area starts from before denoising.
enum class MaskedFill {
    Original,  // the picture as it is (A1111 "original")
    Noise,     // fresh latent noise (A1111 "latent noise")
    Blur,      // the surroundings' colours, blurred in (A1111 "fill")
};
const char* maskedFillName(MaskedFill fill);                  // "original", "noise", "blur"
Result<MaskedFill> parseMaskedFill(const std::string& name);  // the same names

struct InpaintRequest {
    // generation.initImage is the picture, RGB [height, width, 3] in [-1, 1] at generation.width x
    // generation.height; generation.strength is the denoising strength.
    GenerationRequest generation;
    std::vector<float> mask;        // [height, width] in [0, 1], 1 = repaint
    int grow = 0;                   // pixels to dilate (> 0) or erode (< 0) the mask by
    int feather = 4;                // Gaussian sigma in pixels of the mask's soft edge (A1111 "Mask blur")
    bool onlyMasked = false;        // work on a crop around the mask at the model's native size
    int padding = 32;               // only masked: pixels of context around the mask's box
    int workSide = 0;               // only masked: the crop is scaled to about workSide^2 pixels
                                    // (multiples of the model's scale); 0 = the model's default size
    MaskedFill fill = MaskedFill::Original;
};

// The whole run; the result has the picture's size (its latent is the working area's: the crop's
// for only-masked). Errors: InvalidArgument for sizes that do not
// match (mask versus picture, multiples of the model's scale), an empty picture, an all-black mask
// for only-masked; then as generate().
Result<GeneratedImage> inpaint(StableDiffusion& model, const InpaintRequest& request,
                               const GenerationCallbacks& callbacks = {});

// Outpainting: the picture on a larger canvas, extended by the given pixels on each side. The new
// area is filled with the picture's edge pixels and marked 1 in the mask, the old area 0.
struct ExtendedCanvas {
    int width = 0;
    int height = 0;
    std::vector<float> picture;     // RGB [height, width, 3] in [-1, 1]
    std::vector<float> mask;        // [height, width]
};
struct CanvasExtension {
    int left = 0, top = 0, right = 0, bottom = 0;  // pixels, >= 0
};
Result<ExtendedCanvas> extendCanvas(const std::vector<float>& picture, int width, int height,
                                    const CanvasExtension& extension);

} // namespace atelier::diffusion

#pragma once
// "Inpaint only the masked area": the box around the mask with padding, grown to the working
// size's aspect ratio, cropped out, scaled, and pasted back (A1111's get_crop_region and
// expand_crop_region). Pictures are HWC floats with any number of channels.

#include "core/result.h"
#include "diffusion/regions.h"

#include <span>

#include <vector>

namespace atelier::diffusion {

struct CropBox {
    int x = 0, y = 0, width = 0, height = 0;  // pixels in the full picture
    bool operator==(const CropBox&) const = default;
};

// The smallest box holding every mask pixel > 0, grown by padding on each side and clamped to the
// picture. InvalidArgument when the mask is empty.
Result<CropBox> maskBox(const std::vector<float>& mask, int width, int height, int padding);

// The box grown (then shifted and clamped to the picture) until width / height matches
// workWidth / workHeight as closely as the picture allows.
CropBox expandToAspect(CropBox box, int workWidth, int workHeight, int width, int height);

// The working size for a box: its aspect ratio at about side x side pixels, multiples of `scale`.
void workSizeFor(const CropBox& box, int side, int scale, int* workWidth, int* workHeight);

std::vector<float> cropPicture(const std::vector<float>& picture, int width, int channels, const CropBox& box);
// Bilinear with pixel centres at half-integers (no antialiasing), edges clamped.
std::vector<float> resizePicture(const std::vector<float>& picture, int width, int height, int channels, int newWidth,
                                 int newHeight);
// Writes `part` ([box.height, box.width, channels]) into the picture at the box.
void pastePicture(std::vector<float>& picture, int width, int channels, const CropBox& box,
                  const std::vector<float>& part);

// Regional prompts of the full picture (regions.h) as they fall on the box scaled to workWidth x
// workHeight: boxes in the working picture's pixels, each axis by its own scale. They may reach
// past the working picture's sides (a region's edge outside the crop makes no soft ramp inside
// it); regions whose box, grown by half the feather (picture pixels) as regionWeights' ramp is,
// misses the crop are left out, so they cost nothing and change nothing.
std::vector<Region> regionsInCrop(std::span<const Region> regions, const CropBox& box, int workWidth, int workHeight,
                                  double feather);

} // namespace atelier::diffusion

#pragma once
// Pictures for vision models: 8-bit RGB pixels, resized as llama.cpp's mtmd (and Pillow, whose
// resampling it reproduces) resize them, then cut into the ViT's patches.

#include "core/result.h"

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace atelier::llm {

struct VisionConfig;

// Rows top to bottom, 3 bytes (R, G, B) per pixel.
struct RgbPicture {
    int width = 0, height = 0;
    std::vector<uint8_t> rgb;

    bool valid() const { return width > 0 && height > 0 && rgb.size() == size_t(width) * size_t(height) * 3; }
};

enum class Resample { Bilinear, Lanczos };

// Pillow's resize (Image.resize(..., BILINEAR or LANCZOS)): a triangle or 3-lobe Lanczos filter
// widened by the scale when shrinking, 22-bit fixed-point weights, horizontal pass then vertical,
// each pass skipped where that side keeps its size. Sizes up to 16384.
Result<RgbPicture> resize(const RgbPicture& picture, int width, int height, Resample filter);
inline Result<RgbPicture> resizeBilinear(const RgbPicture& picture, int width, int height)
{
    return resize(picture, width, height, Resample::Bilinear);
}
// The part of the picture at (x, y) of width x height, which must lie inside it.
Result<RgbPicture> crop(const RgbPicture& picture, int x, int y, int width, int height);

// The picture scaled to fit size x size keeping its aspect ratio (sides rounded up), centred on
// black, as mtmd prepares a picture for a fixed-size encoder; a picture of that size is kept.
Result<RgbPicture> fitSquare(const RgbPicture& picture, int size);
// The size fitSquare scales a width x height picture to before centring it (each side at least 1).
std::pair<int, int> fittedSize(int width, int height, int size);

// The encoder's input: the picture fitted to its size, scaled to [0, 1], normalised by the
// projector's mean and std, as rows [patches, 3 * patch * patch] (patches in reading order, each
// row's values channel by channel, then row by row, as the patch embedding's weights).
Result<std::vector<float>> patchRows(const RgbPicture& picture, const VisionConfig& config);

} // namespace atelier::llm

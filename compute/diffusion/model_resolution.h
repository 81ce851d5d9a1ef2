#pragma once
// The resolution a checkpoint was trained at, as it declares it: Stability's model spec key
// `modelspec.resolution` ("512x512") in a single file's __metadata__. Small models trained below
// SD's 512 (Atelier's own shapes model: 64) say so, and the size fields follow it.

#include <optional>
#include <string>
#include <string_view>

namespace atelier::diffusion {

// "64x64" -> 64; square sides that are multiples of 64 from 64 to 4096 only, else nothing.
std::optional<int> parseModelspecResolution(std::string_view text);

// The side a .safetensors single file declares; nothing when it declares none, cannot be read, or
// is a diffusers folder (reads only the header).
std::optional<int> declaredResolution(const std::string& path);

} // namespace atelier::diffusion

#pragma once
// The image model Create, Inpaint and `atelier generate` use when none is chosen: Atelier's own
// small SD 1.x-shaped model, which the setup script installs into the models folder.

#include "core/app_paths.h"

#include <QString>

namespace atelier::diffusion {

inline constexpr const char* kDefaultImageModelFile = "atelier-shapes-sd1.safetensors";

inline QString defaultImageModelPath() { return paths::modelsDir() + "/" + kDefaultImageModelFile; }

} // namespace atelier::diffusion

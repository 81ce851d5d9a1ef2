#pragma once
// A latent on the host: float32, NCHW, flat (4 x 64 x 64 per 512 x 512 image for SD).

#include <vector>

namespace atelier::diffusion {

using Latent = std::vector<float>;

} // namespace atelier::diffusion

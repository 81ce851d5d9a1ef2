#pragma once
// `atelier bench vision --mmproj PATH [--reps N]`: how long the vision projector takes to turn one
// tile (imageSize x imageSize) into embeddings, median of N runs after a warm-up, and the
// arithmetic rate that is (the ViT's matrix products and attention).

#include "core/result.h"

#include <ostream>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::bench {

Status runVisionBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out);

} // namespace atelier::bench

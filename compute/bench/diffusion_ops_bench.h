#pragma once
// The diffusion kernels' part of `atelier bench ops`: SD 1.5-sized convolution, attention and
// normalisations, timed like the other kernels.

#include "core/result.h"

#include <ostream>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::bench {

// args as for runOpsBench: "--quick" (fewer sizes and repetitions), "--filter TEXT" (only the
// cases whose "kernel size" contains TEXT).
Status runDiffusionOpsBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out);

} // namespace atelier::bench

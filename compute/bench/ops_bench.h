#pragma once
// `atelier bench ops`: times each kernel at several sizes and prints the median time, GFLOP/s
// and GB/s of the runs.

#include "core/result.h"

#include <ostream>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::bench {

// args: "--quick" runs fewer sizes and repetitions.
Status runOpsBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out);

} // namespace atelier::bench

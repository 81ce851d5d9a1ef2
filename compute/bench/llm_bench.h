#pragma once
// `atelier bench llm`: prompt processing and generation speed of a GGUF model, like llama-bench:
// tokens/s as the median of several runs, peak memory, and generation against the bandwidth
// bound (every weight byte read once per token).

#include "core/result.h"

#include <ostream>
#include <string>
#include <vector>

namespace atelier::vk {
class Device;
}

namespace atelier::bench {

// args: --model PATH (required), --pp N (512), --tg N (128), --reps N (3).
Status runLlmBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out);

} // namespace atelier::bench

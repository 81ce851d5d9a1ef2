#pragma once
// `atelier bench WHAT ...` and `atelier-bench WHAT ...`: opens the device with GPU timestamps and
// runs one benchmark (ops, llm, sd or vision), printing its table on standard output.

#include "engine/compute_engine.h"

#include <string>
#include <vector>

namespace atelier::bench {

// args[0]: what to run, then its options. Returns the process's exit status (2: a usage error).
int runBenchCommand(const std::vector<std::string>& args, const engine::DeviceOptions& options);

} // namespace atelier::bench

#pragma once
// What the benchmarks share: medians of repeated timings and the process's peak memory.

#include <cstdint>
#include <vector>

namespace atelier::bench {

double median(std::vector<double> values); // of a non-empty list
// Peak resident memory of this process (VmHWM), in bytes; 0 where /proc is missing.
uint64_t peakHostBytes();

} // namespace atelier::bench

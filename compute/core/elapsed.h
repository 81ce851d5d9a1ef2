#pragma once
// Wall-clock seconds since a steady_clock time point, for the timings jobs and benchmarks report.

#include <chrono>

namespace atelier {

inline double secondsSince(std::chrono::steady_clock::time_point start)
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace atelier

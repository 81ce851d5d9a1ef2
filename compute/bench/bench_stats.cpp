#include "bench/bench_stats.h"

#include <algorithm>
#include <fstream>
#include <string>

namespace atelier::bench {

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

uint64_t peakHostBytes()
{
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stoull(line.substr(6)) * 1024;
    }
    return 0;
}

} // namespace atelier::bench

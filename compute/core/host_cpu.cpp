#include "core/host_cpu.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>

namespace atelier {

int hostVectorRegisters()
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    static const int registers = __builtin_cpu_supports("avx512f") ? 32 : 16;
    return registers;
#elif defined(__aarch64__)
    return 32;
#else
    return 16;
#endif
}

int hostThreads()
{
    static const int threads = int(std::max(1u, std::thread::hardware_concurrency()));
    return threads;
}

uint64_t hostAvailableBytes()
{
    std::ifstream meminfo("/proc/meminfo");
    std::string key;
    uint64_t kib = 0;
    std::string unit;
    while (meminfo >> key >> kib >> unit) {
        if (key == "MemAvailable:")
            return kib * 1024;
    }
    return 0;
}

} // namespace atelier

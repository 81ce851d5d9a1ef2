#include "core/host_cpu.h"

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

} // namespace atelier

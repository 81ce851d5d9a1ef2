#pragma once
// What the host CPU offers, for kernels shaped for CPU Vulkan devices (lavapipe), which run on it.

#include <cstdint>

namespace atelier {

// Vector registers the CPU's SIMD unit has (x86-64: 32 with AVX-512, else 16). lavapipe keeps a
// kernel's accumulators in them; more accumulators than registers spill to memory.
int hostVectorRegisters();

// Threads the host runs at once (at least 1), read once: a CPU device (lavapipe) runs a dispatch's
// workgroups on as many.
int hostThreads();

// Memory the host could still give this process (Linux: MemAvailable), 0 when unknown. A CPU
// device's memory is host memory, whatever heap size the driver reports.
uint64_t hostAvailableBytes();

} // namespace atelier

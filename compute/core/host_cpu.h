#pragma once
// What the host CPU offers, for kernels shaped for CPU Vulkan devices (lavapipe), which run on it.

namespace atelier {

// Vector registers the CPU's SIMD unit has (x86-64: 32 with AVX-512, else 16). lavapipe keeps a
// kernel's accumulators in them; more accumulators than registers spill to memory.
int hostVectorRegisters();

} // namespace atelier

#pragma once
// SPIR-V compiled from shaders/*.comp at build time (cmake/Shaders.cmake) and linked into the binary.

#include <cstdint>
#include <span>
#include <string_view>

namespace atelier::vk {

struct EmbeddedShader {
    const char* name;               // "matmul_f16": the source name plus the variant
    std::span<const uint32_t> code; // SPIR-V words
};

std::span<const EmbeddedShader> embeddedShaders(); // generated
const EmbeddedShader* findEmbeddedShader(std::string_view name);

} // namespace atelier::vk

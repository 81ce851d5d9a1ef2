#pragma once
// Text for error messages about untrusted GGUF contents.

#include "io/gguf_types.h"

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace atelier::io {

// At most 80 characters of `text`, non-printable bytes shown as '?', for quoting in messages.
std::string printable(std::string_view text);
// "47 47 55 47"
std::string hexBytes(std::span<const uint8_t> bytes);
// "u32 3", "string \"abc\"", "array of 262144 string"
std::string describeValue(const GgufValue& value);

} // namespace atelier::io

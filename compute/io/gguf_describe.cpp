#include "io/gguf_describe.h"

#include <algorithm>
#include <cstdio>

namespace atelier::io {

std::string printable(std::string_view text)
{
    constexpr size_t kMax = 80;
    std::string out;
    out.reserve(std::min(text.size(), kMax) + 3);
    for (size_t i = 0; i < text.size() && i < kMax; ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        out.push_back(c >= 0x20 && c < 0x7f ? char(c) : '?');
    }
    if (text.size() > kMax)
        out += "...";
    return out;
}

std::string hexBytes(std::span<const uint8_t> bytes)
{
    std::string out;
    for (uint8_t b : bytes) {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%02x", b);
        if (!out.empty())
            out.push_back(' ');
        out += buf;
    }
    return out;
}

std::string describeValue(const GgufValue& value)
{
    if (value.isArray())
        return "array of " + std::to_string(value.count) + " " + ggufValueTypeName(value.elementType);
    const std::string type = ggufValueTypeName(value.type);
    if (value.type == GgufValueType::String)
        return type + " \"" + printable(value.text) + "\"";
    if (const auto u = value.unsignedAt(0))
        return type + " " + std::to_string(*u);
    if (const auto s = value.signedAt(0))
        return type + " " + std::to_string(*s);
    if (const auto f = value.floatAt(0))
        return type + " " + std::to_string(*f);
    if (const auto b = value.boolAt(0))
        return type + (*b ? " true" : " false");
    return type;
}

} // namespace atelier::io

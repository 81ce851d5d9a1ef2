#pragma once
// A strict, bounded JSON cursor for the safetensors header (RFC 8259 syntax, UTF-8 checked). It
// reads strings and unsigned integers in place and skips values nobody asked for; there is no
// tree, so the memory it uses is the strings it returns. Nesting deeper than kMaxDepth is refused.

#include "core/result.h"

#include <cstdint>
#include <string>
#include <string_view>

namespace atelier::io {

class JsonCursor {
public:
    static constexpr int kMaxDepth = 64;

    explicit JsonCursor(std::string_view text) : mText(text) {}

    size_t position() const { return mPos; }
    // The next character after whitespace, or '\0' at the end.
    char peek();
    // Consumes `c` when it is the next character after whitespace.
    bool consume(char c);
    // Consumes `c` or fails naming what was expected.
    Status expect(char c, const char* what);
    // True when only whitespace remains.
    bool atEnd();

    Result<std::string> string();
    // A JSON number that is a non-negative integer below 2^64: no sign, fraction or exponent.
    Result<uint64_t> unsignedInteger();
    // Skips any one value (object, array, string, number, true, false, null).
    Status skipValue() { return skipValue(0); }

    // A Format error "<message> at byte N of the JSON header".
    Error error(const std::string& message) const;

private:
    void skipWhitespace();
    Status skipValue(int depth);
    Status skipNumber();
    Status skipLiteral(std::string_view word);
    Status appendEscape(std::string& out);
    Status appendUtf8(std::string& out);

    std::string_view mText;
    size_t mPos = 0;
};

} // namespace atelier::io

#include "io/safetensors_json.h"

#include <cstdio>

namespace atelier::io {

namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void appendCodePoint(std::string& out, uint32_t cp)
{
    if (cp < 0x80) {
        out.push_back(char(cp));
    } else if (cp < 0x800) {
        out.push_back(char(0xC0 | (cp >> 6)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(char(0xE0 | (cp >> 12)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(char(0xF0 | (cp >> 18)));
        out.push_back(char(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(char(0x80 | (cp & 0x3F)));
    }
}

std::string describeChar(char c)
{
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f)
        return std::string("'") + c + "'";
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", u);
    return buf;
}

} // namespace

Error JsonCursor::error(const std::string& message) const
{
    return makeError(ErrorCode::Format, message + " at byte " + std::to_string(mPos) + " of the JSON header");
}

void JsonCursor::skipWhitespace()
{
    while (mPos < mText.size()) {
        const char c = mText[mPos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        ++mPos;
    }
}

char JsonCursor::peek()
{
    skipWhitespace();
    return mPos < mText.size() ? mText[mPos] : '\0';
}

bool JsonCursor::consume(char c)
{
    if (peek() != c || mPos >= mText.size())
        return false;
    ++mPos;
    return true;
}

Status JsonCursor::expect(char c, const char* what)
{
    if (consume(c))
        return {};
    if (mPos >= mText.size())
        return error(std::string("expected ") + what + " but the header ends");
    return error(std::string("expected ") + what + ", found " + describeChar(mText[mPos]));
}

bool JsonCursor::atEnd()
{
    skipWhitespace();
    return mPos >= mText.size();
}

Result<std::string> JsonCursor::string()
{
    ATELIER_TRY(expect('"', "a string"));
    std::string out;
    while (true) {
        if (mPos >= mText.size())
            return error("unterminated string");
        const char c = mText[mPos];
        const auto u = static_cast<unsigned char>(c);
        if (c == '"') {
            ++mPos;
            return out;
        }
        if (c == '\\') {
            ++mPos;
            ATELIER_TRY(appendEscape(out));
        } else if (u < 0x20) {
            return error("control character " + describeChar(c) + " inside a string");
        } else if (u < 0x80) {
            out.push_back(c);
            ++mPos;
        } else {
            ATELIER_TRY(appendUtf8(out));
        }
    }
}

// After a backslash: one of \" \\ \/ \b \f \n \r \t \uXXXX (surrogate pairs joined).
Status JsonCursor::appendEscape(std::string& out)
{
    if (mPos >= mText.size())
        return error("unterminated escape");
    const char c = mText[mPos++];
    switch (c) {
    case '"': out.push_back('"'); return {};
    case '\\': out.push_back('\\'); return {};
    case '/': out.push_back('/'); return {};
    case 'b': out.push_back('\b'); return {};
    case 'f': out.push_back('\f'); return {};
    case 'n': out.push_back('\n'); return {};
    case 'r': out.push_back('\r'); return {};
    case 't': out.push_back('\t'); return {};
    case 'u': break;
    default: return error("invalid escape \\" + describeChar(c));
    }
    auto hex4 = [this](uint32_t& cp) {
        if (mText.size() - mPos < 4)
            return false;
        cp = 0;
        for (int i = 0; i < 4; ++i) {
            const int v = hexValue(mText[mPos + i]);
            if (v < 0)
                return false;
            cp = cp * 16 + uint32_t(v);
        }
        mPos += 4;
        return true;
    };
    uint32_t cp = 0;
    if (!hex4(cp))
        return error("invalid \\u escape");
    if (cp >= 0xDC00 && cp <= 0xDFFF)
        return error("lone low surrogate in \\u escape");
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        uint32_t low = 0;
        if (mText.substr(mPos, 2) != "\\u")
            return error("high surrogate without its low half");
        mPos += 2;
        if (!hex4(low) || low < 0xDC00 || low > 0xDFFF)
            return error("high surrogate without its low half");
        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
    }
    appendCodePoint(out, cp);
    return {};
}

// One multi-byte UTF-8 sequence, checked for overlong forms, surrogates and the 0x10FFFF limit.
Status JsonCursor::appendUtf8(std::string& out)
{
    const auto at = [this](size_t i) { return static_cast<unsigned char>(mText[mPos + i]); };
    const unsigned char lead = at(0);
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0)
            low = 0xA0;
        if (lead == 0xED)
            high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0)
            low = 0x90;
        if (lead == 0xF4)
            high = 0x8F;
    } else {
        return error("invalid UTF-8 in a string");
    }
    if (mText.size() - mPos < length || at(1) < low || at(1) > high)
        return error("invalid UTF-8 in a string");
    for (size_t i = 2; i < length; ++i)
        if ((at(i) & 0xC0) != 0x80)
            return error("invalid UTF-8 in a string");
    out.append(mText.substr(mPos, length));
    mPos += length;
    return {};
}

Result<uint64_t> JsonCursor::unsignedInteger()
{
    const char first = peek();
    if (first == '-')
        return error("expected a non-negative integer, found a negative number");
    if (!isDigit(first))
        return error(mPos < mText.size() ? "expected an integer, found " + describeChar(first)
                                         : std::string("expected an integer but the header ends"));
    uint64_t value = 0;
    const size_t start = mPos;
    while (mPos < mText.size() && isDigit(mText[mPos])) {
        if (__builtin_mul_overflow(value, uint64_t(10), &value) ||
            __builtin_add_overflow(value, uint64_t(mText[mPos] - '0'), &value))
            return error("integer does not fit 64 bits");
        ++mPos;
    }
    if (mText[start] == '0' && mPos - start > 1)
        return error("integer with a leading zero");
    if (mPos < mText.size() && (mText[mPos] == '.' || mText[mPos] == 'e' || mText[mPos] == 'E'))
        return error("expected an integer, found a fraction or exponent");
    return value;
}

Status JsonCursor::skipValue(int depth)
{
    if (depth >= kMaxDepth)
        return error("JSON nested deeper than " + std::to_string(kMaxDepth) + " levels");
    const char c = peek();
    if (c == '"') {
        ATELIER_TRY(string());
        return {};
    }
    if (c == '{' || c == '[') {
        const char close = c == '{' ? '}' : ']';
        ++mPos;
        if (consume(close))
            return {};
        do {
            if (c == '{') {
                ATELIER_TRY(string());
                ATELIER_TRY(expect(':', "':'"));
            }
            ATELIER_TRY(skipValue(depth + 1));
        } while (consume(','));
        return expect(close, c == '{' ? "',' or '}'" : "',' or ']'");
    }
    if (c == '-' || isDigit(c))
        return skipNumber();
    if (c == 't')
        return skipLiteral("true");
    if (c == 'f')
        return skipLiteral("false");
    if (c == 'n')
        return skipLiteral("null");
    if (mPos >= mText.size())
        return error("expected a value but the header ends");
    return error("expected a value, found " + describeChar(c));
}

// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
Status JsonCursor::skipNumber()
{
    auto digits = [this] {
        const size_t start = mPos;
        while (mPos < mText.size() && isDigit(mText[mPos]))
            ++mPos;
        return mPos - start;
    };
    if (mText[mPos] == '-')
        ++mPos;
    const size_t intStart = mPos;
    const size_t intDigits = digits();
    if (intDigits == 0 || (intDigits > 1 && mText[intStart] == '0'))
        return error("malformed number");
    if (mPos < mText.size() && mText[mPos] == '.') {
        ++mPos;
        if (digits() == 0)
            return error("malformed number");
    }
    if (mPos < mText.size() && (mText[mPos] == 'e' || mText[mPos] == 'E')) {
        ++mPos;
        if (mPos < mText.size() && (mText[mPos] == '+' || mText[mPos] == '-'))
            ++mPos;
        if (digits() == 0)
            return error("malformed number");
    }
    return {};
}

Status JsonCursor::skipLiteral(std::string_view word)
{
    if (mText.substr(mPos, word.size()) != word)
        return error("expected a value, found " + describeChar(mText[mPos]));
    mPos += word.size();
    return {};
}

} // namespace atelier::io

#include "llm/template/text.h"

#include <QString>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace atelier::llm::jinja::text {

std::u32string decode(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        int extra = b < 0x80 ? 0 : (b >> 5) == 0x6 ? 1 : (b >> 4) == 0xE ? 2 : (b >> 3) == 0x1E ? 3 : -1;
        char32_t cp = extra == 0 ? b : extra == 1 ? (b & 0x1F) : extra == 2 ? (b & 0x0F) : (b & 0x07);
        bool valid = extra >= 0 && i + static_cast<std::size_t>(extra) < s.size();
        for (int k = 1; valid && k <= extra; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80)
                valid = false;
            cp = (cp << 6) | (c & 0x3F);
        }
        if (!valid) {
            out.push_back(0xFFFD);
            ++i;
            continue;
        }
        out.push_back(cp);
        i += extra + 1;
    }
    return out;
}

void appendUtf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

std::string encode(std::u32string_view cps) {
    std::string out;
    out.reserve(cps.size());
    for (char32_t c : cps)
        appendUtf8(out, c);
    return out;
}

std::size_t length(std::string_view s) {
    std::size_t n = 0;
    for (char c : s)
        n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    return n;
}

bool isSpace(char32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool isAllSpace(std::string_view s) {
    for (char32_t c : decode(s))
        if (!isSpace(c))
            return false;
    return true;
}

std::string strip(std::string_view s, bool left, bool right, const std::optional<std::string>& chars) {
    const std::u32string cps = decode(s);
    const std::u32string set = chars ? decode(*chars) : std::u32string();
    auto strippable = [&](char32_t c) { return chars ? set.find(c) != std::u32string::npos : isSpace(c); };
    std::size_t b = 0, e = cps.size();
    while (left && b < e && strippable(cps[b]))
        ++b;
    while (right && e > b && strippable(cps[e - 1]))
        --e;
    return encode(std::u32string_view(cps).substr(b, e - b));
}

std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep, long maxSplit) {
    std::vector<std::string> parts;
    if (sep) {
        std::size_t start = 0;
        while (maxSplit < 0 || static_cast<long>(parts.size()) < maxSplit) {
            const std::size_t at = s.find(*sep, start);
            if (at == std::string_view::npos)
                break;
            parts.emplace_back(s.substr(start, at - start));
            start = at + sep->size();
        }
        parts.emplace_back(s.substr(start));
        return parts;
    }
    const std::u32string cps = decode(s);
    std::size_t i = 0;
    while (true) {
        while (i < cps.size() && isSpace(cps[i]))
            ++i;
        if (i == cps.size())
            break;
        if (maxSplit >= 0 && static_cast<long>(parts.size()) == maxSplit) {
            std::size_t e = cps.size();
            while (e > i && isSpace(cps[e - 1]))
                --e;
            parts.push_back(encode(std::u32string_view(cps).substr(i, e - i)));
            break;
        }
        std::size_t j = i;
        while (j < cps.size() && !isSpace(cps[j]))
            ++j;
        parts.push_back(encode(std::u32string_view(cps).substr(i, j - i)));
        i = j;
    }
    return parts;
}

std::vector<std::string> splitLines(std::string_view s) {
    const std::u32string cps = decode(s);
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t i = 0; i < cps.size(); ++i) {
        const char32_t c = cps[i];
        const bool boundary = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || (c >= 0x1C && c <= 0x1E) ||
                              c == 0x85 || c == 0x2028 || c == 0x2029;
        if (!boundary)
            continue;
        lines.push_back(encode(std::u32string_view(cps).substr(start, i - start)));
        if (c == '\r' && i + 1 < cps.size() && cps[i + 1] == '\n')
            ++i;
        start = i + 1;
    }
    if (start < cps.size())
        lines.push_back(encode(std::u32string_view(cps).substr(start)));
    return lines;
}

std::string replace(std::string_view s, std::string_view from, std::string_view to, long count) {
    std::string out;
    if (from.empty()) {
        // Python inserts `to` between every code point (and at both ends).
        const std::u32string cps = decode(s);
        long done = 0;
        for (char32_t c : cps) {
            if (count < 0 || done < count) {
                out += to;
                ++done;
            }
            appendUtf8(out, c);
        }
        if (count < 0 || done < count)
            out += to;
        return out;
    }
    std::size_t start = 0;
    long done = 0;
    while (count < 0 || done < count) {
        const std::size_t at = s.find(from, start);
        if (at == std::string_view::npos)
            break;
        out.append(s.substr(start, at - start));
        out.append(to);
        start = at + from.size();
        ++done;
    }
    out.append(s.substr(start));
    return out;
}

std::size_t count(std::string_view s, std::string_view sub, long max) {
    std::size_t n = 0;
    if (sub.empty()) {
        n = length(s) + 1;
    } else {
        for (std::size_t at = s.find(sub); at != std::string_view::npos; at = s.find(sub, at + sub.size()))
            ++n;
    }
    return max < 0 ? n : std::min(n, static_cast<std::size_t>(max));
}

static QString toQString(std::string_view s) { return QString::fromUtf8(s.data(), static_cast<qsizetype>(s.size())); }
static std::string fromQString(const QString& s) { return s.toStdString(); }

std::string upper(std::string_view s) { return fromQString(toQString(s).toUpper()); }
std::string lower(std::string_view s) { return fromQString(toQString(s).toLower()); }

static bool isCased(char32_t c) { return QChar::isUpper(c) || QChar::isLower(c) || QChar::isTitleCase(c); }

std::string title(std::string_view s) {
    std::string out;
    bool previousCased = false;
    for (char32_t c : decode(s)) {
        appendUtf8(out, previousCased ? QChar::toLower(c) : QChar::toTitleCase(c));
        previousCased = isCased(c);
    }
    return out;
}

std::string capitalize(std::string_view s) {
    const std::u32string cps = decode(s);
    if (cps.empty())
        return {};
    std::string out;
    appendUtf8(out, QChar::toTitleCase(cps[0]));
    return out + lower(encode(std::u32string_view(cps).substr(1)));
}

static bool isPrintable(char32_t c) {
    if (c < 0x20 || (c >= 0x7F && c <= 0xA0) || c == 0xAD)
        return false;
    if (c == 0x1680 || (c >= 0x2000 && c <= 0x200F) || (c >= 0x2028 && c <= 0x202F) || (c >= 0x205F && c <= 0x206F))
        return false;
    if (c == 0x3000 || c == 0xFEFF || (c >= 0xE000 && c <= 0xF8FF) || (c >= 0xFFF9 && c <= 0xFFFB))
        return false;
    return !(c >= 0xE0000);
}

std::string pythonRepr(std::string_view s) {
    const std::u32string cps = decode(s);
    const bool hasSingle = cps.find(U'\'') != std::u32string::npos;
    const bool hasDouble = cps.find(U'"') != std::u32string::npos;
    const char quote = hasSingle && !hasDouble ? '"' : '\'';
    std::string out(1, quote);
    for (char32_t c : cps) {
        if (c == '\\' || c == static_cast<char32_t>(quote)) {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (!isPrintable(c)) {
            char buf[16];
            std::snprintf(buf, sizeof buf, c <= 0xFF ? "\\x%02x" : c <= 0xFFFF ? "\\u%04x" : "\\U%08x",
                          static_cast<unsigned>(c));
            out += buf;
        } else {
            appendUtf8(out, c);
        }
    }
    out += quote;
    return out;
}

std::string formatFloat(double v) {
    if (std::isnan(v))
        return "nan";
    if (std::isinf(v))
        return v < 0 ? "-inf" : "inf";
    char buf[64];
    const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
    const std::string sci(buf, res.ptr);
    const std::size_t ePos = sci.find('e');
    std::string mantissa = sci.substr(0, ePos);
    const int exponent = std::stoi(sci.substr(ePos + 1));
    const bool negative = mantissa[0] == '-';
    if (negative)
        mantissa.erase(0, 1);
    std::string digits;
    for (char c : mantissa)
        if (c != '.')
            digits += c;
    std::string out = negative ? "-" : "";
    if (exponent < -4 || exponent >= 16) {
        out += digits.substr(0, 1);
        if (digits.size() > 1)
            out += "." + digits.substr(1);
        std::snprintf(buf, sizeof buf, "e%c%02d", exponent < 0 ? '-' : '+', exponent < 0 ? -exponent : exponent);
        return out + buf;
    }
    if (exponent < 0)
        return out + "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
    const std::size_t intDigits = static_cast<std::size_t>(exponent) + 1;
    if (digits.size() <= intDigits)
        return out + digits + std::string(intDigits - digits.size(), '0') + ".0";
    return out + digits.substr(0, intDigits) + "." + digits.substr(intDigits);
}

} // namespace atelier::llm::jinja::text

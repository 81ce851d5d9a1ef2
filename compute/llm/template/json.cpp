// json.dumps/json.loads as transformers' tojson filter and our golden files use them.
#include "llm/template/text.h"
#include "llm/template/value.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace atelier::llm::jinja {
namespace {

constexpr int kMaxJsonDepth = 256;

class JsonReader {
public:
    explicit JsonReader(std::string_view text) : mText(text) {}

    Result<Value> document() {
        ATELIER_ASSIGN(Value v, value(0));
        skipSpace();
        if (mPos != mText.size())
            return fail("trailing characters");
        return v;
    }

private:
    Error fail(const std::string& what) const {
        return makeError(ErrorCode::Format, "JSON: " + what + " at offset " + std::to_string(mPos));
    }
    void skipSpace() {
        while (mPos < mText.size() && (mText[mPos] == ' ' || mText[mPos] == '\n' || mText[mPos] == '\r' || mText[mPos] == '\t'))
            ++mPos;
    }
    bool consume(std::string_view word) {
        if (mText.substr(mPos, word.size()) != word)
            return false;
        mPos += word.size();
        return true;
    }

    Result<Value> value(int depth) {
        if (depth > kMaxJsonDepth)
            return fail("nesting too deep");
        skipSpace();
        if (mPos >= mText.size())
            return fail("unexpected end");
        const char c = mText[mPos];
        if (c == '{')
            return object(depth);
        if (c == '[')
            return array(depth);
        if (c == '"') {
            ATELIER_ASSIGN(std::string s, string());
            return Value(std::move(s));
        }
        if (consume("true"))
            return Value(true);
        if (consume("false"))
            return Value(false);
        if (consume("null"))
            return Value::none();
        return number();
    }

    Result<Value> object(int depth) {
        ++mPos;
        ValueMap map;
        skipSpace();
        if (consume("}"))
            return Value::map(std::move(map));
        while (true) {
            skipSpace();
            if (mPos >= mText.size() || mText[mPos] != '"')
                return fail("expected a key");
            ATELIER_ASSIGN(std::string key, string());
            skipSpace();
            if (!consume(":"))
                return fail("expected ':'");
            ATELIER_ASSIGN(Value v, value(depth + 1));
            map.set(std::move(key), std::move(v));
            skipSpace();
            if (consume("}"))
                return Value::map(std::move(map));
            if (!consume(","))
                return fail("expected ',' or '}'");
        }
    }

    Result<Value> array(int depth) {
        ++mPos;
        ValueList items;
        skipSpace();
        if (consume("]"))
            return Value::list(std::move(items));
        while (true) {
            ATELIER_ASSIGN(Value v, value(depth + 1));
            items.push_back(std::move(v));
            skipSpace();
            if (consume("]"))
                return Value::list(std::move(items));
            if (!consume(","))
                return fail("expected ',' or ']'");
        }
    }

    Result<unsigned> hex4() {
        if (mPos + 4 > mText.size())
            return fail("short \\u escape");
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char h = mText[mPos++];
            v <<= 4;
            if (h >= '0' && h <= '9')
                v |= h - '0';
            else if (h >= 'a' && h <= 'f')
                v |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F')
                v |= h - 'A' + 10;
            else
                return fail("bad \\u escape");
        }
        return v;
    }

    Result<std::string> string() {
        ++mPos;
        std::string out;
        while (true) {
            if (mPos >= mText.size())
                return fail("unterminated string");
            const char c = mText[mPos++];
            if (c == '"')
                return out;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (mPos >= mText.size())
                return fail("unterminated escape");
            const char e = mText[mPos++];
            switch (e) {
            case '"': out += '"'; break;
            case '\\': out += '\\'; break;
            case '/': out += '/'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'u': {
                ATELIER_ASSIGN(unsigned cp, hex4());
                if (cp >= 0xD800 && cp < 0xDC00 && consume("\\u")) {
                    ATELIER_ASSIGN(unsigned low, hex4());
                    if (low >= 0xDC00 && low < 0xE000)
                        cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                    else
                        return fail("bad surrogate pair");
                }
                text::appendUtf8(out, cp);
                break;
            }
            default: return fail("bad escape");
            }
        }
    }

    Result<Value> number() {
        const std::size_t start = mPos;
        bool isFloat = false;
        if (mPos < mText.size() && mText[mPos] == '-')
            ++mPos;
        while (mPos < mText.size()) {
            const char c = mText[mPos];
            if (c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')
                isFloat = true;
            else if (c < '0' || c > '9')
                break;
            ++mPos;
        }
        const std::string digits(mText.substr(start, mPos - start));
        if (digits.empty() || digits == "-")
            return fail("unexpected character");
        char* end = nullptr;
        if (!isFloat) {
            errno = 0;
            const long long v = std::strtoll(digits.c_str(), &end, 10);
            if (errno == 0 && *end == '\0')
                return Value(static_cast<std::int64_t>(v));
        }
        const double d = std::strtod(digits.c_str(), &end);
        if (*end != '\0')
            return fail("bad number");
        return Value(d);
    }

    std::string_view mText;
    std::size_t mPos = 0;
};

void writeString(std::string& out, std::string_view s, bool ensureAscii) {
    out += '"';
    for (char32_t c : text::decode(s)) {
        char buf[16];
        switch (c) {
        case '"': out += "\\\""; continue;
        case '\\': out += "\\\\"; continue;
        case '\n': out += "\\n"; continue;
        case '\r': out += "\\r"; continue;
        case '\t': out += "\\t"; continue;
        case '\b': out += "\\b"; continue;
        case '\f': out += "\\f"; continue;
        default: break;
        }
        if (c < 0x20 || (ensureAscii && c > 0x7E)) {
            if (c >= 0x10000) {
                const char32_t v = c - 0x10000;
                std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", static_cast<unsigned>(0xD800 + (v >> 10)),
                              static_cast<unsigned>(0xDC00 + (v & 0x3FF)));
            } else {
                std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            }
            out += buf;
        } else {
            text::appendUtf8(out, c);
        }
    }
    out += '"';
}

Error tooLong(const JsonOptions& opt) {
    return makeError(ErrorCode::InvalidArgument, "tojson: the JSON text would be longer than " +
                                                     std::to_string(opt.maxBytes) + " bytes");
}

Status writeJson(std::string& out, const Value& v, const JsonOptions& opt, int depth) {
    if (depth > kMaxJsonDepth)
        return makeError(ErrorCode::InvalidArgument, "tojson: nesting too deep");
    if (out.size() > opt.maxBytes)
        return tooLong(opt);
    // Each line's indentation is sized before it is written: indent=300000000 fails at the first.
    auto newline = [&](int level) -> Status {
        if (!opt.indent)
            return {};
        const std::size_t room = opt.maxBytes - std::min(opt.maxBytes, out.size());
        if (room < 1 || (!opt.indent->empty() && std::size_t(level) > (room - 1) / opt.indent->size()))
            return tooLong(opt);
        out += '\n';
        for (int i = 0; i < level; ++i)
            out += *opt.indent;
        return {};
    };
    switch (v.kind()) {
    case Value::Kind::None: out += "null"; return {};
    case Value::Kind::Bool: out += v.asInt() ? "true" : "false"; return {};
    case Value::Kind::Int: out += std::to_string(v.asInt()); return {};
    case Value::Kind::Float: {
        const double d = v.asFloat();
        out += std::isnan(d) ? "NaN" : std::isinf(d) ? (d < 0 ? "-Infinity" : "Infinity") : text::formatFloat(d);
        return {};
    }
    case Value::Kind::String: writeString(out, v.asString(), opt.ensureAscii); return {};
    case Value::Kind::List:
    case Value::Kind::Tuple: {
        const ValueList& items = v.asList();
        if (items.empty()) {
            out += "[]";
            return {};
        }
        out += '[';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i)
                out += opt.itemSeparator;
            ATELIER_TRY(newline(depth + 1));
            ATELIER_TRY(writeJson(out, items[i], opt, depth + 1));
        }
        ATELIER_TRY(newline(depth));
        out += ']';
        return {};
    }
    case Value::Kind::Map: {
        std::vector<const std::pair<std::string, Value>*> entries;
        for (const auto& entry : v.asMap().entries)
            entries.push_back(&entry);
        if (opt.sortKeys)
            std::stable_sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
        if (entries.empty()) {
            out += "{}";
            return {};
        }
        out += '{';
        for (std::size_t i = 0; i < entries.size(); ++i) {
            if (i)
                out += opt.itemSeparator;
            ATELIER_TRY(newline(depth + 1));
            writeString(out, entries[i]->first, opt.ensureAscii);
            out += opt.keySeparator;
            ATELIER_TRY(writeJson(out, entries[i]->second, opt, depth + 1));
        }
        ATELIER_TRY(newline(depth));
        out += '}';
        return {};
    }
    default:
        return makeError(ErrorCode::InvalidArgument, "Object of type " + v.typeName() + " is not JSON serializable");
    }
}

} // namespace

Result<Value> parseJson(std::string_view text) { return JsonReader(text).document(); }

Result<std::string> toJson(const Value& value, const JsonOptions& options) {
    std::string out;
    ATELIER_TRY(writeJson(out, value, options, 0));
    if (out.size() > options.maxBytes)
        return tooLong(options);
    return out;
}

} // namespace atelier::llm::jinja

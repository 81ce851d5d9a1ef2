// String and scalar filters and the filter table; argument names and defaults follow jinja2/filters.py.
#include "llm/template/filter_impl.h"
#include "llm/template/text.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace atelier::llm::jinja {

bool argBool(const CallArgs& args, std::size_t index, std::string_view name, bool fallback) {
    const Value* v = args.get(index, name);
    return v ? v->truthy() : fallback;
}

Result<std::string> textOf(Renderer& r, const Value& v) {
    if (v.isString())
        return v.asString();
    return v.str(r.limits().maxOutputBytes);
}

namespace {

// The width a filter is asked to pad to, refused before a string of it is allocated.
Result<std::string> padding(Renderer& r, const Value* width, std::int64_t fallback, const char* filter) {
    if (width && width->isString())
        return width->asString();
    const std::int64_t n = std::max<std::int64_t>(0, width && width->isInt() ? width->asInt() : fallback);
    if (static_cast<std::uint64_t>(n) > r.limits().maxOutputBytes)
        return runtimeError(std::string(filter) + " width of " + std::to_string(n) + " is more than the " +
                            std::to_string(r.limits().maxOutputBytes) + " bytes a template may produce");
    return std::string(static_cast<std::size_t>(n), ' ');
}

// base + count * unit without overflow: the size of a result, worked out before building it.
std::size_t grownSize(std::size_t base, std::size_t count, std::size_t unit) {
    if (unit != 0 && count > (SIZE_MAX - base) / unit)
        return SIZE_MAX;
    return base + count * unit;
}

Result<Value> checked(Renderer& r, std::string s) {
    ATELIER_TRY(r.checkLength(s.size()));
    return Value(std::move(s));
}

Result<Value> filterDefault(Renderer&, const Value& v, const CallArgs& a) {
    const Value* fallback = a.get(0, "default_value");
    const bool boolean = argBool(a, 1, "boolean", false);
    if (v.isUndefined() || (boolean && !v.truthy()))
        return fallback ? *fallback : Value("");
    return v;
}

Result<Value> filterLength(Renderer&, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(std::int64_t n, length(v));
    return Value(n);
}

Result<Value> filterString(Renderer& r, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(std::string s, textOf(r, v));
    return Value(std::move(s));
}
Result<Value> filterSafe(Renderer&, const Value& v, const CallArgs&) { return v; }
Result<Value> filterUpper(Renderer& r, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(std::string s, textOf(r, v));
    return Value(text::upper(s));
}
Result<Value> filterLower(Renderer& r, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(std::string s, textOf(r, v));
    return Value(text::lower(s));
}
// jinja2's title filter is not str.title(): words start after whitespace or one of -({[<.
Result<Value> filterTitle(Renderer& r, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(std::string s, textOf(r, v));
    std::string out;
    bool wordStart = true;
    for (char32_t c : text::decode(s)) {
        const bool separator = text::isSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
        std::string one;
        text::appendUtf8(one, c);
        out += separator ? one : wordStart ? text::upper(one) : text::lower(one);
        wordStart = separator;
    }
    return Value(std::move(out));
}
Result<Value> filterCapitalize(Renderer& r, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(std::string s, textOf(r, v));
    return Value(text::capitalize(s));
}

Result<Value> filterTrim(Renderer& r, const Value& v, const CallArgs& a) {
    const Value* chars = a.get(0, "chars");
    std::optional<std::string> set;
    if (chars && !chars->isNone()) {
        ATELIER_ASSIGN(set, textOf(r, *chars));
    }
    ATELIER_ASSIGN(std::string s, textOf(r, v));
    return Value(text::strip(s, true, true, set));
}

Result<Value> filterReplace(Renderer& r, const Value& v, const CallArgs& a) {
    const Value* from = a.get(0, "old");
    const Value* to = a.get(1, "new");
    if (!from || !to)
        return runtimeError("replace filter needs 'old' and 'new'");
    const Value* count = a.get(2, "count");
    ATELIER_ASSIGN(const std::string s, textOf(r, v));
    ATELIER_ASSIGN(const std::string f, textOf(r, *from));
    ATELIER_ASSIGN(const std::string t, textOf(r, *to));
    const long limit = count && count->isInt() ? static_cast<long>(count->asInt()) : -1;
    ATELIER_TRY(r.checkLength(grownSize(s.size(), text::count(s, f, limit), t.size())));
    return Value(text::replace(s, f, t, limit));
}

Result<Value> filterIndent(Renderer& r, const Value& v, const CallArgs& a) {
    ATELIER_ASSIGN(const std::string indentation, padding(r, a.get(0, "width"), 4, "indent"));
    const bool first = argBool(a, 1, "first", false);
    const bool blank = argBool(a, 2, "blank", false);
    ATELIER_ASSIGN(const std::string s, textOf(r, v));
    const std::vector<std::string> lines = text::splitLines(s + "\n");
    ATELIER_TRY(r.checkLength(grownSize(s.size(), lines.size() + 1, indentation.size())));
    std::string out = lines.empty() ? std::string() : lines[0];
    for (std::size_t i = 1; i < lines.size(); ++i)
        out += "\n" + ((blank || !lines[i].empty()) ? indentation : std::string()) + lines[i];
    return Value(first ? indentation + out : out);
}

Result<Value> filterAbs(Renderer&, const Value& v, const CallArgs&) {
    if (!v.isNumber())
        return runtimeError("bad operand type for abs(): '" + v.typeName() + "'");
    return v.isInt() ? Value(static_cast<std::int64_t>(std::llabs(v.asInt()))) : Value(std::fabs(v.asFloat()));
}

std::optional<double> parseFloat(const std::string& s) {
    const std::string t = text::strip(s, true, true);
    std::string clean;
    for (char c : t)
        if (c != '_')
            clean += c;
    if (clean.empty())
        return {};
    char* end = nullptr;
    const double d = std::strtod(clean.c_str(), &end);
    return *end == '\0' ? std::optional<double>(d) : std::nullopt;
}

Result<Value> filterInt(Renderer&, const Value& v, const CallArgs& a) {
    const Value* fallback = a.get(0, "default");
    const Value def = fallback ? *fallback : Value(0);
    if (v.isUndefined())
        return runtimeError(v.undefinedHint());
    if (v.isInt())
        return Value(v.asInt());
    if (v.kind() == Value::Kind::Float)
        return std::isfinite(v.asFloat()) ? Value(static_cast<std::int64_t>(v.asFloat())) : def;
    if (!v.isString())
        return def;
    const Value* base = a.get(1, "base");
    std::string t = text::strip(v.asString(), true, true);
    std::string clean;
    for (char c : t)
        if (c != '_')
            clean += c;
    char* end = nullptr;
    errno = 0;
    const long long n = std::strtoll(clean.c_str(), &end, base && base->isInt() ? static_cast<int>(base->asInt()) : 10);
    if (!clean.empty() && *end == '\0' && errno == 0)
        return Value(static_cast<std::int64_t>(n));
    if (auto d = parseFloat(v.asString()); d && std::isfinite(*d))
        return Value(static_cast<std::int64_t>(*d));
    return def;
}

Result<Value> filterFloat(Renderer&, const Value& v, const CallArgs& a) {
    const Value* fallback = a.get(0, "default");
    if (v.isUndefined())
        return runtimeError(v.undefinedHint());
    if (v.isNumber())
        return Value(v.asFloat());
    if (v.isString())
        if (auto d = parseFloat(v.asString()))
            return Value(*d);
    return fallback ? *fallback : Value(0.0);
}

Result<Value> filterRound(Renderer& r, const Value& v, const CallArgs& a) {
    if (!v.isNumber())
        return runtimeError("round() needs a number");
    const Value* precision = a.get(0, "precision");
    const Value* method = a.get(1, "method");
    const double scale = std::pow(10.0, precision && precision->isInt() ? static_cast<double>(precision->asInt()) : 0.0);
    std::string how = "common";
    if (method) {
        ATELIER_ASSIGN(how, textOf(r, *method));
    }
    const double x = v.asFloat() * scale;
    const double rounded = how == "ceil" ? std::ceil(x) : how == "floor" ? std::floor(x) : std::nearbyint(x);
    return Value(rounded / scale);
}

Result<Value> filterAttr(Renderer& r, const Value& v, const CallArgs& a) {
    const Value* name = a.get(0, "name");
    if (!name)
        return runtimeError("attr filter needs a name");
    ATELIER_ASSIGN(const std::string attribute, textOf(r, *name));
    return getAttribute(v, attribute, r.limits().maxOutputBytes);
}

Result<Value> filterEscape(Renderer& r, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(const std::string s, textOf(r, v));
    auto entity = [](char c) -> std::string_view {
        switch (c) {
        case '&': return "&amp;";
        case '<': return "&lt;";
        case '>': return "&gt;";
        case '"': return "&#34;";
        case '\'': return "&#39;";
        default: return {};
        }
    };
    std::size_t size = 0;
    for (char c : s)
        size += entity(c).empty() ? 1 : entity(c).size();
    ATELIER_TRY(r.checkLength(size));
    std::string out;
    out.reserve(size);
    for (char c : s) {
        if (const std::string_view e = entity(c); !e.empty())
            out += e;
        else
            out += c;
    }
    return Value(std::move(out));
}

// transformers replaces jinja2's HTML-safe tojson with json.dumps(ensure_ascii=False, ...).
Result<Value> filterToJson(Renderer& r, const Value& v, const CallArgs& a) {
    JsonOptions options;
    options.ensureAscii = argBool(a, 0, "ensure_ascii", false);
    if (const Value* indent = a.get(1, "indent"); indent && !indent->isNone()) {
        ATELIER_ASSIGN(options.indent, padding(r, indent, 0, "tojson indent"));
        options.itemSeparator = ",";
    }
    if (const Value* separators = a.get(2, "separators"); separators && !separators->isNone()) {
        if (!separators->isList() || separators->asList().size() != 2)
            return runtimeError("tojson separators must be a pair of strings");
        ATELIER_ASSIGN(options.itemSeparator, textOf(r, separators->asList()[0]));
        ATELIER_ASSIGN(options.keySeparator, textOf(r, separators->asList()[1]));
    }
    options.sortKeys = argBool(a, 3, "sort_keys", false);
    options.maxBytes = r.limits().maxOutputBytes;
    ATELIER_ASSIGN(std::string json, toJson(v, options));
    return checked(r, std::move(json));
}

struct FilterEntry {
    std::string_view name;
    FilterFn fn;
};

constexpr FilterEntry kFilters[] = {
    {"abs", filterAbs},           {"attr", filterAttr},         {"capitalize", filterCapitalize},
    {"count", filterLength},      {"d", filterDefault},         {"default", filterDefault},
    {"dictsort", filterDictSort}, {"e", filterEscape},          {"escape", filterEscape},
    {"first", filterFirst},       {"float", filterFloat},       {"indent", filterIndent},
    {"int", filterInt},           {"items", filterItems},       {"join", filterJoin},
    {"last", filterLast},         {"length", filterLength},     {"list", filterList},
    {"lower", filterLower},       {"map", filterMap},           {"max", filterMax},
    {"min", filterMin},           {"reject", filterReject},     {"rejectattr", filterRejectAttr},
    {"replace", filterReplace},   {"reverse", filterReverse},   {"round", filterRound},
    {"safe", filterSafe},         {"select", filterSelect},     {"selectattr", filterSelectAttr},
    {"sort", filterSort},         {"string", filterString},     {"sum", filterSum},
    {"title", filterTitle},       {"tojson", filterToJson},     {"trim", filterTrim},
    {"unique", filterUnique},     {"upper", filterUpper},
};

FilterFn findFilter(std::string_view name) {
    for (const FilterEntry& entry : kFilters)
        if (entry.name == name)
            return entry.fn;
    return nullptr;
}

} // namespace

bool isKnownFilter(std::string_view name) { return findFilter(name) != nullptr; }

Result<Value> applyFilter(Renderer& renderer, std::string_view name, const Value& subject, const CallArgs& args) {
    const FilterFn fn = findFilter(name);
    if (!fn)
        return runtimeError("No filter named '" + std::string(name) + "'.");
    if (subject.isString()) // string filters read the whole subject
        ATELIER_TRY(renderer.chargeWork(subject.bytes()));
    ATELIER_ASSIGN(Value result, fn(renderer, subject, args));
    ATELIER_TRY(renderer.chargeBuilt(result));
    return result;
}

} // namespace atelier::llm::jinja

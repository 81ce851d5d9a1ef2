// String and scalar filters and the filter table; argument names and defaults follow jinja2/filters.py.
#include "llm/template/filter_impl.h"
#include "llm/template/text.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace atelier::llm::jinja {

bool argBool(const CallArgs& args, std::size_t index, std::string_view name, bool fallback) {
    const Value* v = args.get(index, name);
    return v ? v->truthy() : fallback;
}

namespace {

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

Result<Value> filterString(Renderer&, const Value& v, const CallArgs&) { return Value(v.str()); }
Result<Value> filterSafe(Renderer&, const Value& v, const CallArgs&) { return v; }
Result<Value> filterUpper(Renderer&, const Value& v, const CallArgs&) { return Value(text::upper(v.str())); }
Result<Value> filterLower(Renderer&, const Value& v, const CallArgs&) { return Value(text::lower(v.str())); }
// jinja2's title filter is not str.title(): words start after whitespace or one of -({[<.
Result<Value> filterTitle(Renderer&, const Value& v, const CallArgs&) {
    std::string out;
    bool wordStart = true;
    for (char32_t c : text::decode(v.str())) {
        const bool separator = text::isSpace(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<';
        std::string one;
        text::appendUtf8(one, c);
        out += separator ? one : wordStart ? text::upper(one) : text::lower(one);
        wordStart = separator;
    }
    return Value(std::move(out));
}
Result<Value> filterCapitalize(Renderer&, const Value& v, const CallArgs&) { return Value(text::capitalize(v.str())); }

Result<Value> filterTrim(Renderer&, const Value& v, const CallArgs& a) {
    const Value* chars = a.get(0, "chars");
    std::optional<std::string> set;
    if (chars && !chars->isNone())
        set = chars->str();
    return Value(text::strip(v.str(), true, true, set));
}

Result<Value> filterReplace(Renderer& r, const Value& v, const CallArgs& a) {
    const Value* from = a.get(0, "old");
    const Value* to = a.get(1, "new");
    if (!from || !to)
        return runtimeError("replace filter needs 'old' and 'new'");
    const Value* count = a.get(2, "count");
    const std::string s = v.str();
    const std::string f = from->str(), t = to->str();
    const std::size_t hits = f.empty() ? text::length(s) + 1 : text::split(s, f).size() - 1;
    ATELIER_TRY(r.checkLength(s.size() + hits * t.size()));
    return Value(text::replace(s, f, t, count && count->isInt() ? static_cast<long>(count->asInt()) : -1));
}

Result<Value> filterIndent(Renderer& r, const Value& v, const CallArgs& a) {
    const Value* width = a.get(0, "width");
    std::string indentation = width && width->isString() ? width->asString() : std::string(
        static_cast<std::size_t>(std::max<std::int64_t>(0, width && width->isInt() ? width->asInt() : 4)), ' ');
    const bool first = argBool(a, 1, "first", false);
    const bool blank = argBool(a, 2, "blank", false);
    const std::vector<std::string> lines = text::splitLines(v.str() + "\n");
    ATELIER_TRY(r.checkLength(v.str().size() + lines.size() * indentation.size()));
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

Result<Value> filterRound(Renderer&, const Value& v, const CallArgs& a) {
    if (!v.isNumber())
        return runtimeError("round() needs a number");
    const Value* precision = a.get(0, "precision");
    const Value* method = a.get(1, "method");
    const double scale = std::pow(10.0, precision && precision->isInt() ? static_cast<double>(precision->asInt()) : 0.0);
    const std::string how = method ? method->str() : "common";
    const double x = v.asFloat() * scale;
    const double rounded = how == "ceil" ? std::ceil(x) : how == "floor" ? std::floor(x) : std::nearbyint(x);
    return Value(rounded / scale);
}

Result<Value> filterAttr(Renderer& r, const Value& v, const CallArgs& a) {
    const Value* name = a.get(0, "name");
    if (!name)
        return runtimeError("attr filter needs a name");
    return getAttribute(v, name->str(), r.limits().maxOutputBytes);
}

Result<Value> filterEscape(Renderer& r, const Value& v, const CallArgs&) {
    std::string out;
    for (char c : v.str()) {
        switch (c) {
        case '&': out += "&amp;"; break;
        case '<': out += "&lt;"; break;
        case '>': out += "&gt;"; break;
        case '"': out += "&#34;"; break;
        case '\'': out += "&#39;"; break;
        default: out += c;
        }
    }
    return checked(r, std::move(out));
}

// transformers replaces jinja2's HTML-safe tojson with json.dumps(ensure_ascii=False, ...).
Result<Value> filterToJson(Renderer& r, const Value& v, const CallArgs& a) {
    JsonOptions options;
    options.ensureAscii = argBool(a, 0, "ensure_ascii", false);
    if (const Value* indent = a.get(1, "indent"); indent && !indent->isNone()) {
        options.indent = indent->isString() ? indent->asString()
                                            : std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, indent->asInt())), ' ');
        options.itemSeparator = ",";
    }
    if (const Value* separators = a.get(2, "separators"); separators && !separators->isNone()) {
        if (!separators->isList() || separators->asList().size() != 2)
            return runtimeError("tojson separators must be a pair of strings");
        options.itemSeparator = separators->asList()[0].str();
        options.keySeparator = separators->asList()[1].str();
    }
    options.sortKeys = argBool(a, 3, "sort_keys", false);
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
    return fn(renderer, subject, args);
}

} // namespace atelier::llm::jinja

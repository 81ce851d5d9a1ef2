#include "llm/template/builtins.h"

#include "llm/template/renderer.h"

#include <cstdio>

namespace atelier::llm::jinja {
namespace {

constexpr std::int64_t kMaxRange = 100000; // jinja2.sandbox.MAX_RANGE

Result<Value> range(const CallArgs& args) {
    if (!args.named.empty() || args.positional.empty() || args.positional.size() > 3)
        return runtimeError("range expected 1 to 3 integer arguments");
    for (const Value& v : args.positional)
        if (!v.isInt())
            return runtimeError("'" + v.typeName() + "' object cannot be interpreted as an integer");
    const auto& p = args.positional;
    const std::int64_t start = p.size() > 1 ? p[0].asInt() : 0;
    const std::int64_t stop = p.size() > 1 ? p[1].asInt() : p[0].asInt();
    const std::int64_t step = p.size() > 2 ? p[2].asInt() : 1;
    if (step == 0)
        return runtimeError("range() arg 3 must not be zero");
    const long double count = step > 0 ? (static_cast<long double>(stop) - start + step - 1) / step
                                       : (static_cast<long double>(start) - stop - step - 1) / -step;
    if (count > kMaxRange)
        return runtimeError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    ValueList items;
    for (std::int64_t i = start; step > 0 ? i < stop : i > stop; i += step)
        items.emplace_back(i);
    return Value::list(std::move(items));
}

Result<ValueMap> keywordMap(const CallArgs& args, const char* function) {
    ValueMap map;
    if (!args.positional.empty()) {
        if (args.positional.size() > 1 || !args.positional[0].isMap())
            return runtimeError(std::string(function) + "() accepts a single mapping and keyword arguments");
        map = args.positional[0].asMap();
    }
    for (const auto& [key, value] : args.named)
        map.set(key, value);
    return map;
}

const char* const kDays[] = {"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};
const char* const kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                               "July",    "August",   "September", "October", "November", "December"};

} // namespace

std::string formatTime(const std::string& format, const std::tm& t) {
    std::string out;
    char buf[32];
    for (std::size_t i = 0; i < format.size(); ++i) {
        if (format[i] != '%' || i + 1 == format.size()) {
            out += format[i];
            continue;
        }
        const char c = format[++i];
        auto two = [&](int v) { std::snprintf(buf, sizeof buf, "%02d", v); out += buf; };
        switch (c) {
        case 'a': out += std::string(kDays[t.tm_wday % 7]).substr(0, 3); break;
        case 'A': out += kDays[t.tm_wday % 7]; break;
        case 'b': out += std::string(kMonths[t.tm_mon % 12]).substr(0, 3); break;
        case 'B': out += kMonths[t.tm_mon % 12]; break;
        case 'd': two(t.tm_mday); break;
        case 'm': two(t.tm_mon + 1); break;
        case 'y': two((t.tm_year + 1900) % 100); break;
        case 'Y': out += std::to_string(t.tm_year + 1900); break;
        case 'H': two(t.tm_hour); break;
        case 'I': two(t.tm_hour % 12 == 0 ? 12 : t.tm_hour % 12); break;
        case 'M': two(t.tm_min); break;
        case 'S': two(t.tm_sec); break;
        case 'p': out += t.tm_hour < 12 ? "AM" : "PM"; break;
        case 'j': std::snprintf(buf, sizeof buf, "%03d", t.tm_yday + 1); out += buf; break;
        case '%': out += '%'; break;
        default: out += '%'; out += c;
        }
    }
    return out;
}

void addBuiltins(ValueMap& globals, const std::tm& now) {
    globals.set("range", Value::function("range", range));
    globals.set("namespace", Value::function("namespace", [](const CallArgs& args) -> Result<Value> {
                    ATELIER_ASSIGN(ValueMap map, keywordMap(args, "namespace"));
                    return Value::makeNamespace(std::move(map));
                }));
    globals.set("dict", Value::function("dict", [](const CallArgs& args) -> Result<Value> {
                    ATELIER_ASSIGN(ValueMap map, keywordMap(args, "dict"));
                    return Value::map(std::move(map));
                }));
    globals.set("raise_exception", Value::function("raise_exception", [](const CallArgs& args) -> Result<Value> {
                    const Value* message = args.get(0, "message");
                    return runtimeError(message ? message->str() : std::string("raise_exception called"));
                }));
    globals.set("strftime_now", Value::function("strftime_now", [now](const CallArgs& args) -> Result<Value> {
                    const Value* format = args.get(0, "format");
                    if (!format || !format->isString())
                        return runtimeError("strftime_now needs a format string");
                    return Value(formatTime(format->asString(), now));
                }));
}

} // namespace atelier::llm::jinja

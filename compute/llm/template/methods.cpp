// The str, dict and list methods templates call, bound to their receiver like Python's bound methods.
#include "llm/template/filters.h"
#include "llm/template/renderer.h"
#include "llm/template/text.h"

#include <algorithm>

namespace atelier::llm::jinja {
namespace {

Result<std::optional<std::string>> optionalString(const CallArgs& args, std::size_t index, std::string_view name) {
    const Value* v = args.get(index, name);
    if (!v || v->isNone())
        return std::optional<std::string>();
    if (!v->isString())
        return runtimeError(std::string(name) + " must be str or None, not " + v->typeName());
    return std::optional<std::string>(v->asString());
}

Result<bool> affixMatch(const std::string& s, const Value* affix, bool prefix) {
    if (!affix)
        return runtimeError(std::string(prefix ? "startswith" : "endswith") + "() takes at least 1 argument (0 given)");
    ValueList options = affix->kind() == Value::Kind::Tuple ? affix->asList() : ValueList{*affix};
    for (const Value& option : options) {
        if (!option.isString())
            return runtimeError("expected a str or a tuple of str, not " + option.typeName());
        const std::string& o = option.asString();
        if (prefix ? s.starts_with(o) : s.ends_with(o))
            return true;
    }
    return false;
}

Value stringMethod(const std::string& s, std::string_view name, std::size_t maxBytes) {
    using Fn = std::function<Result<Value>(const CallArgs&)>;
    auto make = [&](Fn fn) { return Value::function(std::string(name), std::move(fn)); };
    if (name == "strip" || name == "lstrip" || name == "rstrip") {
        const bool left = name != "rstrip", right = name != "lstrip";
        return make([s, left, right](const CallArgs& a) -> Result<Value> {
            ATELIER_ASSIGN(auto chars, optionalString(a, 0, "chars"));
            return Value(text::strip(s, left, right, chars));
        });
    }
    if (name == "split") {
        return make([s](const CallArgs& a) -> Result<Value> {
            ATELIER_ASSIGN(auto sep, optionalString(a, 0, "sep"));
            if (sep && sep->empty())
                return runtimeError("empty separator");
            const Value* maxSplit = a.get(1, "maxsplit");
            ValueList parts;
            for (auto& part : text::split(s, sep, maxSplit && maxSplit->isInt() ? maxSplit->asInt() : -1))
                parts.emplace_back(std::move(part));
            return Value::list(std::move(parts));
        });
    }
    if (name == "splitlines") {
        return make([s](const CallArgs&) -> Result<Value> {
            ValueList lines;
            for (auto& line : text::splitLines(s))
                lines.emplace_back(std::move(line));
            return Value::list(std::move(lines));
        });
    }
    if (name == "startswith" || name == "endswith") {
        const bool prefix = name == "startswith";
        return make([s, prefix](const CallArgs& a) -> Result<Value> {
            ATELIER_ASSIGN(bool match, affixMatch(s, a.get(0, "prefix"), prefix));
            return Value(match);
        });
    }
    if (name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
        const std::string which(name);
        return make([s, which](const CallArgs&) -> Result<Value> {
            if (which == "upper")
                return Value(text::upper(s));
            if (which == "lower")
                return Value(text::lower(s));
            return Value(which == "title" ? text::title(s) : text::capitalize(s));
        });
    }
    if (name == "replace") {
        return make([s, maxBytes](const CallArgs& a) -> Result<Value> {
            const Value* from = a.get(0, "old");
            const Value* to = a.get(1, "new");
            if (!from || !to || !from->isString() || !to->isString())
                return runtimeError("replace() arguments must be str");
            const Value* count = a.get(2, "count");
            const long limit = count && count->isInt() ? static_cast<long>(count->asInt()) : -1;
            const std::size_t hits = text::count(s, from->asString(), limit);
            const std::size_t unit = to->asString().size();
            if (unit != 0 && hits > (maxBytes - std::min(maxBytes, s.size())) / unit)
                return runtimeError("replace() result exceeds " + std::to_string(maxBytes) + " bytes");
            return Value(text::replace(s, from->asString(), to->asString(), limit));
        });
    }
    if (name == "find" || name == "count") {
        const bool find = name == "find";
        return make([s, find](const CallArgs& a) -> Result<Value> {
            const Value* sub = a.get(0, "sub");
            if (!sub || !sub->isString())
                return runtimeError("must be str");
            if (find) {
                const std::size_t at = s.find(sub->asString());
                return Value(at == std::string::npos ? std::int64_t(-1) : static_cast<std::int64_t>(text::length(s.substr(0, at))));
            }
            if (sub->asString().empty())
                return Value(static_cast<std::int64_t>(text::length(s) + 1));
            return Value(static_cast<std::int64_t>(text::split(s, sub->asString()).size() - 1));
        });
    }
    if (name == "join") {
        return make([s, maxBytes](const CallArgs& a) -> Result<Value> {
            const Value* items = a.get(0, "iterable");
            if (!items)
                return runtimeError("join() takes exactly one argument");
            ATELIER_ASSIGN(ValueList parts, iterate(*items));
            std::string out;
            for (std::size_t i = 0; i < parts.size(); ++i) {
                if (!parts[i].isString())
                    return runtimeError("sequence item " + std::to_string(i) + ": expected str instance, " +
                                        parts[i].typeName() + " found");
                const std::size_t grown = (i ? s.size() : 0) + parts[i].asString().size();
                if (grown > maxBytes - out.size())
                    return runtimeError("join() result exceeds " + std::to_string(maxBytes) + " bytes");
                if (i)
                    out += s;
                out += parts[i].asString();
            }
            return Value(std::move(out));
        });
    }
    return Value();
}

Value mapMethod(const Value& object, std::string_view name) {
    const std::string which(name);
    if (which != "items" && which != "keys" && which != "values" && which != "get")
        return Value();
    return Value::function(which, [object, which](const CallArgs& a) -> Result<Value> {
        if (which == "get") {
            const Value* key = a.get(0, "key");
            if (!key)
                return runtimeError("get expected at least 1 argument, got 0");
            const Value* fallback = a.get(1, "default");
            const Value* found = key->isString() ? object.asMap().find(key->asString()) : nullptr;
            return found ? *found : fallback ? *fallback : Value::none();
        }
        ValueList out;
        for (const auto& [k, v] : object.asMap().entries) {
            if (which == "items")
                out.push_back(Value::tuple({Value(k), v}));
            else
                out.push_back(which == "keys" ? Value(k) : v);
        }
        return Value::list(std::move(out));
    });
}

Value listMethod(const Value& object, std::string_view name) {
    const std::string which(name);
    if (which != "index" && which != "count")
        return Value();
    return Value::function(which, [object, which](const CallArgs& a) -> Result<Value> {
        const Value* needle = a.get(0, "value");
        if (!needle)
            return runtimeError(which + "() takes exactly one argument (0 given)");
        std::int64_t count = 0;
        const ValueList& items = object.asList();
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (items[i] == *needle) {
                if (which == "index")
                    return Value(static_cast<std::int64_t>(i));
                ++count;
            }
        }
        if (which == "index")
            return runtimeError(needle->describe() + " is not in list");
        return Value(count);
    });
}

// ImmutableSandboxedEnvironment refuses the methods that would modify a list or dict.
Value unsafeMethod(const Value& object, std::string_view name) {
    static const std::string_view kMutating[] = {"append", "extend", "insert", "pop", "remove", "reverse", "sort",
                                                 "clear", "update", "setdefault", "popitem"};
    for (std::string_view m : kMutating)
        if (m == name)
            return Value::undefined("access to attribute '" + std::string(name) + "' of '" + object.typeName() +
                                    "' object is unsafe.");
    return Value();
}

} // namespace

Value boundMethod(const Value& object, std::string_view name, std::size_t maxBytes) {
    if (object.isString())
        return stringMethod(object.asString(), name, maxBytes);
    Value method = object.isMap() ? mapMethod(object, name) : object.isList() ? listMethod(object, name) : Value();
    if (method.isUndefined() && (object.isMap() || object.isList()))
        return unsafeMethod(object, name);
    return method;
}

} // namespace atelier::llm::jinja

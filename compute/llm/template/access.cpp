// Attribute and item access, iteration and slicing with the semantics of jinja2's sandbox.
#include "llm/template/filters.h"
#include "llm/template/renderer.h"
#include "llm/template/text.h"

namespace atelier::llm::jinja {
namespace {

constexpr std::size_t kMaxStringIteration = 1 << 20; // each character becomes a Value of ~100 bytes

std::string objectRepr(const Value& v) { return v.isNone() ? "'None'" : "'" + v.typeName() + " object'"; }

Value missingAttribute(const Value& object, std::string_view name) {
    return Value::undefined(objectRepr(object) + " has no attribute '" + std::string(name) + "'");
}

Value missingElement(const Value& object, const Value& key) {
    const std::string type = object.isNone() ? "None" : object.typeName() + " object";
    return Value::undefined(type + " has no element " + key.describe());
}

bool isAscii(std::string_view s) {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80)
            return false;
    return true;
}

} // namespace

Result<Value> getAttribute(const Value& object, std::string_view name, std::size_t maxBytes) {
    if (object.isUndefined())
        return runtimeError(object.undefinedHint());
    Value method = boundMethod(object, name, maxBytes);
    if (method.isFunction())
        return method;
    if (object.isMap() || object.isNamespace()) {
        if (const Value* v = object.asMap().find(name))
            return *v;
    }
    return method.undefinedHint().empty() ? missingAttribute(object, name) : method;
}

Result<Value> getItem(const Value& object, const Value& key, std::size_t maxBytes) {
    if (object.isUndefined())
        return runtimeError(object.undefinedHint());
    if (object.isMap() && key.isString()) {
        if (const Value* v = object.asMap().find(key.asString()))
            return *v;
    }
    if ((object.isList() || object.isString()) && key.isInt()) {
        std::int64_t index = key.asInt();
        if (object.isList()) {
            const auto n = static_cast<std::int64_t>(object.asList().size());
            if (index < 0)
                index += n;
            if (index >= 0 && index < n)
                return object.asList()[static_cast<std::size_t>(index)];
        } else if (isAscii(object.asString())) {
            const auto n = static_cast<std::int64_t>(object.asString().size());
            if (index < 0)
                index += n;
            if (index >= 0 && index < n)
                return Value(object.asString().substr(static_cast<std::size_t>(index), 1));
        } else {
            const std::u32string cps = text::decode(object.asString());
            const auto n = static_cast<std::int64_t>(cps.size());
            if (index < 0)
                index += n;
            if (index >= 0 && index < n)
                return Value(text::encode(std::u32string_view(cps).substr(static_cast<std::size_t>(index), 1)));
        }
        return missingElement(object, key);
    }
    if (key.isString())
        return getAttribute(object, key.asString(), maxBytes);
    return missingElement(object, key);
}

Result<ValueList> iterate(const Value& value) {
    switch (value.kind()) {
    case Value::Kind::Undefined: return ValueList{};
    case Value::Kind::List:
    case Value::Kind::Tuple: return value.asList();
    case Value::Kind::Map: {
        ValueList keys;
        for (const auto& entry : value.asMap().entries)
            keys.emplace_back(entry.first);
        return keys;
    }
    case Value::Kind::String: {
        if (value.asString().size() > kMaxStringIteration)
            return runtimeError("cannot iterate over a string longer than " + std::to_string(kMaxStringIteration) + " bytes");
        ValueList chars;
        for (char32_t c : text::decode(value.asString())) {
            std::string s;
            text::appendUtf8(s, c);
            chars.emplace_back(std::move(s));
        }
        return chars;
    }
    default: return runtimeError("'" + value.typeName() + "' object is not iterable");
    }
}

Result<std::int64_t> length(const Value& value) {
    switch (value.kind()) {
    case Value::Kind::Undefined: return std::int64_t(0);
    case Value::Kind::String: return static_cast<std::int64_t>(text::length(value.asString()));
    case Value::Kind::List:
    case Value::Kind::Tuple: return static_cast<std::int64_t>(value.asList().size());
    case Value::Kind::Map: return static_cast<std::int64_t>(value.asMap().entries.size());
    default: return runtimeError("object of type '" + value.typeName() + "' has no len()");
    }
}

Result<Value> sliceOf(const Value& target, const Value& start, const Value& stop, const Value& step) {
    if (target.isUndefined())
        return runtimeError(target.undefinedHint());
    for (const Value* bound : {&start, &stop, &step})
        if (!bound->isNone() && !bound->isInt())
            return runtimeError("slice indices must be integers or None or have an __index__ method");
    const std::int64_t stride = step.isNone() ? 1 : step.asInt();
    if (stride == 0)
        return runtimeError("slice step cannot be zero");
    if (!target.isList() && !target.isString())
        return Value::undefined(objectRepr(target) + " has no element slice");
    const std::u32string cps = target.isString() ? text::decode(target.asString()) : std::u32string();
    const auto n = static_cast<std::int64_t>(target.isString() ? cps.size() : target.asList().size());
    auto adjust = [&](const Value& bound, std::int64_t whenNone) {
        if (bound.isNone())
            return whenNone;
        std::int64_t i = bound.asInt();
        if (i < 0) {
            i += n;
            if (i < 0)
                i = stride < 0 ? -1 : 0;
        } else if (i >= n) {
            i = stride < 0 ? n - 1 : n;
        }
        return i;
    };
    const std::int64_t first = adjust(start, stride < 0 ? n - 1 : 0);
    const std::int64_t last = adjust(stop, stride < 0 ? -1 : n);
    std::u32string chars;
    ValueList items;
    for (std::int64_t i = first; stride > 0 ? i < last : i > last; i += stride) {
        if (target.isString())
            chars.push_back(cps[static_cast<std::size_t>(i)]);
        else
            items.push_back(target.asList()[static_cast<std::size_t>(i)]);
    }
    if (target.isString())
        return Value(text::encode(chars));
    return target.kind() == Value::Kind::Tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
}

} // namespace atelier::llm::jinja

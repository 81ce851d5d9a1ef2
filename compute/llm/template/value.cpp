#include "llm/template/value.h"

#include "llm/template/text.h"

#include <algorithm>

namespace atelier::llm::jinja {

const Value* ValueMap::find(std::string_view key) const {
    for (const auto& [k, v] : entries)
        if (k == key)
            return &v;
    return nullptr;
}

void ValueMap::set(std::string key, Value value) {
    for (auto& [k, v] : entries) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    entries.emplace_back(std::move(key), std::move(value));
}

const Value* CallArgs::get(std::size_t index, std::string_view name) const {
    if (index < positional.size())
        return &positional[index];
    for (const auto& [k, v] : named)
        if (k == name)
            return &v;
    return nullptr;
}

Value Value::undefined(std::string hint) {
    Value v;
    v.mString = std::move(hint);
    return v;
}

Value Value::none() {
    Value v;
    v.mKind = Kind::None;
    return v;
}

static int childDepth(const ValueList& items) {
    int depth = 0;
    for (const Value& item : items)
        depth = std::max(depth, item.depth());
    return depth + 1;
}

Value Value::list(ValueList items) {
    Value v;
    v.mKind = Kind::List;
    v.mDepth = childDepth(items);
    v.mList = std::make_shared<ValueList>(std::move(items));
    return v;
}

Value Value::tuple(ValueList items) {
    Value v = list(std::move(items));
    v.mKind = Kind::Tuple;
    return v;
}

Value Value::map(ValueMap entries) {
    Value v;
    v.mKind = Kind::Map;
    for (const auto& entry : entries.entries)
        v.mDepth = std::max(v.mDepth, entry.second.depth());
    ++v.mDepth;
    v.mMap = std::make_shared<ValueMap>(std::move(entries));
    return v;
}

Value Value::makeNamespace(ValueMap entries) {
    Value v = map(std::move(entries));
    v.mKind = Kind::Namespace;
    return v;
}

Value Value::function(std::string name, NativeFunction call) {
    Value v;
    v.mKind = Kind::Function;
    v.mFunction = std::make_shared<const Function>(Function{std::move(name), std::move(call)});
    return v;
}

bool Value::truthy() const {
    switch (mKind) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool:
    case Kind::Int: return mInt != 0;
    case Kind::Float: return mFloat != 0.0;
    case Kind::String: return !mString.empty();
    case Kind::List:
    case Kind::Tuple: return !mList->empty();
    case Kind::Map: return !mMap->entries.empty();
    case Kind::Namespace:
    case Kind::Function: return true;
    }
    return false;
}

static std::string joinRepr(const ValueList& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            out += ", ";
        out += items[i].repr();
    }
    return out;
}

static std::string mapRepr(const ValueMap& map) {
    std::string out = "{";
    for (std::size_t i = 0; i < map.entries.size(); ++i) {
        if (i)
            out += ", ";
        out += text::pythonRepr(map.entries[i].first) + ": " + map.entries[i].second.repr();
    }
    return out + "}";
}

std::string Value::str() const {
    switch (mKind) {
    case Kind::Undefined: return {};
    case Kind::None: return "None";
    case Kind::Bool: return mInt ? "True" : "False";
    case Kind::Int: return std::to_string(mInt);
    case Kind::Float: return text::formatFloat(mFloat);
    case Kind::String: return mString;
    case Kind::List: return "[" + joinRepr(*mList) + "]";
    case Kind::Tuple: return "(" + joinRepr(*mList) + (mList->size() == 1 ? ",)" : ")");
    case Kind::Map: return mapRepr(*mMap);
    case Kind::Namespace: return "<Namespace " + mapRepr(*mMap) + ">";
    case Kind::Function: return "<function " + mFunction->name + ">";
    }
    return {};
}

std::string Value::repr() const {
    if (mKind == Kind::String)
        return text::pythonRepr(mString);
    if (mKind == Kind::Undefined)
        return "Undefined";
    return str();
}

std::string Value::typeName() const {
    switch (mKind) {
    case Kind::Undefined: return "Undefined";
    case Kind::None: return "NoneType";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::List: return "list";
    case Kind::Tuple: return "tuple";
    case Kind::Map: return "dict";
    case Kind::Namespace: return "Namespace";
    case Kind::Function: return "function";
    }
    return "object";
}

bool operator==(const Value& a, const Value& b) {
    if (a.isNumber() && b.isNumber()) {
        if (a.isInt() && b.isInt())
            return a.mInt == b.mInt;
        return a.asFloat() == b.asFloat();
    }
    if (a.mKind != b.mKind)
        return false;
    switch (a.mKind) {
    case Value::Kind::Undefined:
    case Value::Kind::None: return true;
    case Value::Kind::String: return a.mString == b.mString;
    case Value::Kind::List:
    case Value::Kind::Tuple: return a.mList == b.mList || *a.mList == *b.mList;
    case Value::Kind::Map: {
        if (a.mMap->entries.size() != b.mMap->entries.size())
            return false;
        for (const auto& [k, v] : a.mMap->entries) {
            const Value* other = b.mMap->find(k);
            if (!other || !(v == *other))
                return false;
        }
        return true;
    }
    case Value::Kind::Namespace: return a.mMap == b.mMap;
    case Value::Kind::Function: return a.mFunction == b.mFunction;
    default: return false;
    }
}

} // namespace atelier::llm::jinja

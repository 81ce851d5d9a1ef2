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

const std::string Value::kEmpty;

Value Value::undefined(std::string hint) {
    Value v;
    v.mString = std::make_shared<const std::string>(std::move(hint));
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

static std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

Value Value::list(ValueList items) {
    Value v;
    v.mKind = Kind::List;
    v.mDepth = childDepth(items);
    for (const Value& item : items)
        v.mNodes = saturatingAdd(v.mNodes, item.nodes());
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
    for (const auto& entry : entries.entries) {
        v.mDepth = std::max(v.mDepth, entry.second.depth());
        v.mNodes = saturatingAdd(v.mNodes, entry.second.nodes());
    }
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

std::size_t Value::bytes() const {
    if (mKind == Kind::String)
        return asString().size();
    if (!isList() && !isMap() && !isNamespace())
        return 0; // numbers and the like: the loop and call limits bound them
    if (mNodes > SIZE_MAX / kBytesPerItem)
        return SIZE_MAX;
    return static_cast<std::size_t>(mNodes) * kBytesPerItem;
}

bool Value::truthy() const {
    switch (mKind) {
    case Kind::Undefined:
    case Kind::None: return false;
    case Kind::Bool:
    case Kind::Int: return mInt != 0;
    case Kind::Float: return mFloat != 0.0;
    case Kind::String: return !asString().empty();
    case Kind::List:
    case Kind::Tuple: return !mList->empty();
    case Kind::Map: return !mMap->entries.empty();
    case Kind::Namespace:
    case Kind::Function: return true;
    }
    return false;
}

namespace {

// Writes str(x)/repr(x) and stops as soon as the text would pass maxBytes.
class TextWriter {
public:
    explicit TextWriter(std::size_t maxBytes) : mMax(maxBytes) {}

    bool write(const Value& v, bool repr) {
        switch (v.kind()) {
        case Value::Kind::String:
            if (!repr)
                return append(v.asString());
            // A repr is never shorter than the text it quotes: refuse before building it.
            return v.asString().size() + 2 <= mMax - mOut.size() && append(text::pythonRepr(v.asString()));
        case Value::Kind::Undefined: return append(repr ? "Undefined" : "");
        case Value::Kind::List: return append("[") && items(v.asList()) && append("]");
        case Value::Kind::Tuple: return append("(") && items(v.asList()) && append(v.asList().size() == 1 ? ",)" : ")");
        case Value::Kind::Map: return map(v.asMap());
        case Value::Kind::Namespace: return append("<Namespace ") && map(v.asMap()) && append(">");
        default: return append(v.str());
        }
    }
    std::string take() { return std::move(mOut); }

private:
    bool append(std::string_view s) {
        if (s.size() > mMax - mOut.size())
            return false;
        mOut += s;
        return true;
    }
    bool items(const ValueList& list) {
        for (std::size_t i = 0; i < list.size(); ++i)
            if ((i && !append(", ")) || !write(list[i], true))
                return false;
        return true;
    }
    bool map(const ValueMap& map) {
        if (!append("{"))
            return false;
        for (std::size_t i = 0; i < map.entries.size(); ++i)
            if ((i && !append(", ")) || !append(text::pythonRepr(map.entries[i].first)) || !append(": ") ||
                !write(map.entries[i].second, true))
                return false;
        return append("}");
    }

    std::size_t mMax;
    std::string mOut;
};

Result<std::string> bounded(const Value& v, bool repr, std::size_t maxBytes) {
    TextWriter writer(maxBytes);
    if (!writer.write(v, repr))
        return makeError(ErrorCode::InvalidArgument, std::string(repr ? "repr()" : "str()") + " of this " + v.typeName() +
                                                         " would be longer than " + std::to_string(maxBytes) + " bytes");
    return writer.take();
}

} // namespace

Result<std::string> Value::str(std::size_t maxBytes) const { return bounded(*this, false, maxBytes); }
Result<std::string> Value::repr(std::size_t maxBytes) const { return bounded(*this, true, maxBytes); }

std::string Value::str() const {
    switch (mKind) {
    case Kind::Undefined: return {};
    case Kind::None: return "None";
    case Kind::Bool: return mInt ? "True" : "False";
    case Kind::Int: return std::to_string(mInt);
    case Kind::Float: return text::formatFloat(mFloat);
    case Kind::String: return asString();
    case Kind::Function: return "<function " + mFunction->name + ">";
    default: return bounded(*this, false, SIZE_MAX).value();
    }
}

std::string Value::repr() const { return bounded(*this, true, SIZE_MAX).value(); }

std::string Value::describe() const {
    constexpr std::size_t kMaxDescription = 200;
    auto text = repr(kMaxDescription);
    return text.ok() ? text.value() : "<a " + typeName() + " too long to show>";
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
    case Value::Kind::String: return a.mString == b.mString || a.asString() == b.asString();
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

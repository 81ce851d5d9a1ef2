#pragma once
// A dynamically typed template value that behaves like the Python object jinja2 would see.

#include "core/result.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace atelier::llm::jinja {

class Value;
using ValueList = std::vector<Value>;

// Insertion-ordered string-keyed map, like a Python dict built from JSON.
struct ValueMap {
    std::vector<std::pair<std::string, Value>> entries;

    const Value* find(std::string_view key) const;
    void set(std::string key, Value value);
};

struct CallArgs {
    std::vector<Value> positional;
    std::vector<std::pair<std::string, Value>> named;

    const Value* get(std::size_t index, std::string_view name) const; // positional index or keyword
};

using NativeFunction = std::function<Result<Value>(const CallArgs&)>;

struct Function {
    std::string name;
    NativeFunction call;
};

class Value {
public:
    enum class Kind { Undefined, None, Bool, Int, Float, String, List, Tuple, Map, Namespace, Function };

    Value() = default; // undefined
    Value(bool v) : mKind(Kind::Bool), mInt(v) {}
    Value(int v) : mKind(Kind::Int), mInt(v) {}
    Value(std::int64_t v) : mKind(Kind::Int), mInt(v) {}
    Value(double v) : mKind(Kind::Float), mFloat(v) {}
    Value(std::string v) : mKind(Kind::String), mString(std::make_shared<const std::string>(std::move(v))) {}
    Value(std::string_view v) : Value(std::string(v)) {}
    Value(const char* v) : Value(std::string(v)) {}

    static Value undefined(std::string hint);
    static Value none();
    static Value list(ValueList items);
    static Value tuple(ValueList items);
    static Value map(ValueMap entries);
    static Value makeNamespace(ValueMap entries);
    static Value function(std::string name, NativeFunction call);

    Kind kind() const { return mKind; }
    bool isUndefined() const { return mKind == Kind::Undefined; }
    bool isNone() const { return mKind == Kind::None; }
    bool isBool() const { return mKind == Kind::Bool; }
    bool isInt() const { return mKind == Kind::Int || mKind == Kind::Bool; } // bool is an int in Python
    bool isNumber() const { return isInt() || mKind == Kind::Float; }
    bool isString() const { return mKind == Kind::String; }
    bool isList() const { return mKind == Kind::List || mKind == Kind::Tuple; }
    bool isMap() const { return mKind == Kind::Map; }
    bool isNamespace() const { return mKind == Kind::Namespace; }
    bool isFunction() const { return mKind == Kind::Function; }

    std::int64_t asInt() const { return mInt; }
    double asFloat() const { return mKind == Kind::Float ? mFloat : static_cast<double>(mInt); }
    const std::string& asString() const { return mString ? *mString : kEmpty; }
    const std::string& undefinedHint() const { return asString(); }
    const ValueList& asList() const { return *mList; }
    const ValueMap& asMap() const { return *mMap; }
    ValueMap& namespaceMap() const { return *mMap; } // namespaces are the one mutable object
    const Function& asFunction() const { return *mFunction; }

    int depth() const { return mDepth; } // container nesting; bounded so str(), == and destruction stay shallow
    static constexpr int kMaxDepth = 256;
    // Values in the tree this one spans, a shared child counted each time it is reached: what str(),
    // == and tojson walk. A list of two copies of itself, nested 60 times, spans 2**60.
    std::uint64_t nodes() const { return mNodes; }
    static constexpr std::size_t kBytesPerItem = 64; // what the budgets count for each item of a list or dict
    std::size_t bytes() const; // what building or walking this value costs: text bytes, or kBytesPerItem a node

    bool truthy() const;
    // str(x) and repr(x), or an error when the text would pass maxBytes: a list that holds one
    // large value many times prints far more than it takes in memory.
    Result<std::string> str(std::size_t maxBytes) const;
    Result<std::string> repr(std::size_t maxBytes) const;
    std::string str() const;      // unbounded: for strings, numbers and values known to be small
    std::string repr() const;
    std::string describe() const; // repr(x), cut short for error messages
    std::string typeName() const; // type(x).__name__

    friend bool operator==(const Value& a, const Value& b);

private:
    Kind mKind = Kind::Undefined;
    int mDepth = 0;
    std::uint64_t mNodes = 1;
    std::int64_t mInt = 0;
    double mFloat = 0;
    static const std::string kEmpty;
    std::shared_ptr<const std::string> mString; // String payload, or the Undefined's error hint; shared, as
                                                // Python's str: copying a Value never copies the text
    std::shared_ptr<ValueList> mList;
    std::shared_ptr<ValueMap> mMap;
    std::shared_ptr<const Function> mFunction;
};

struct JsonOptions {
    std::optional<std::string> indent; // json.dumps(indent=...): None keeps everything on one line
    std::string itemSeparator = ", ";
    std::string keySeparator = ": ";
    bool sortKeys = false;
    bool ensureAscii = false;
    std::size_t maxBytes = SIZE_MAX; // toJson fails rather than write more
};

// Ordered JSON in and out: the key order of a tool schema is part of the rendered prompt.
Result<Value> parseJson(std::string_view text);
Result<std::string> toJson(const Value& value, const JsonOptions& options);

} // namespace atelier::llm::jinja

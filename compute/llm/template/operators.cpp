// Python's arithmetic, comparison and membership operators as jinja2 applies them.
#include "llm/template/filters.h"
#include "llm/template/renderer.h"

#include <cmath>

namespace atelier::llm::jinja {
namespace {

constexpr std::size_t kBytesPerItem = Value::kBytesPerItem; // lists are bounded as if each item cost this much output

Error unsupported(std::string_view op, const Value& a, const Value& b) {
    if (op == "+" && a.isString())
        return runtimeError("can only concatenate str (not \"" + b.typeName() + "\") to str");
    return runtimeError("unsupported operand type(s) for " + std::string(op) + ": '" + a.typeName() + "' and '" +
                        b.typeName() + "'");
}

Result<Value> repeat(const Value& seq, std::int64_t times, std::size_t maxBytes) {
    const std::size_t n = times > 0 ? static_cast<std::size_t>(times) : 0;
    const std::size_t unit = seq.isString() ? seq.asString().size() : seq.asList().size();
    const std::size_t cap = seq.isString() ? maxBytes : maxBytes / kBytesPerItem;
    if (unit != 0 && n > cap / unit)
        return runtimeError("repetition result exceeds " + std::to_string(maxBytes) + " bytes");
    if (unit == 0) // '' * 10**18 is empty at once, not after 10**18 steps
        return seq.isString() ? Value("") : seq.kind() == Value::Kind::Tuple ? Value::tuple({}) : Value::list({});
    if (seq.isString()) {
        std::string out;
        out.reserve(unit * n);
        for (std::size_t i = 0; i < n; ++i)
            out += seq.asString();
        return Value(std::move(out));
    }
    ValueList out;
    for (std::size_t i = 0; i < n; ++i)
        out.insert(out.end(), seq.asList().begin(), seq.asList().end());
    return seq.kind() == Value::Kind::Tuple ? Value::tuple(std::move(out)) : Value::list(std::move(out));
}

Result<Value> intOp(std::string_view op, std::int64_t a, std::int64_t b) {
    std::int64_t r = 0;
    bool overflow = false;
    if (op == "+") {
        overflow = __builtin_add_overflow(a, b, &r);
    } else if (op == "-") {
        overflow = __builtin_sub_overflow(a, b, &r);
    } else if (op == "*") {
        overflow = __builtin_mul_overflow(a, b, &r);
    } else if (op == "//" || op == "%") {
        if (b == 0)
            return runtimeError("integer division or modulo by zero");
        if (a == INT64_MIN && b == -1)
            return runtimeError("integer overflow");
        std::int64_t q = a / b, m = a % b;
        if (m != 0 && ((m < 0) != (b < 0))) { // Python floors toward negative infinity
            --q;
            m += b;
        }
        r = op == "//" ? q : m;
    } else if (op == "**") {
        if (b < 0)
            return Value(std::pow(static_cast<double>(a), static_cast<double>(b)));
        r = 1;
        std::int64_t base = a;
        for (std::int64_t e = b; e > 0 && !overflow; e >>= 1) { // square-and-multiply: 1 ** 10**18 stays cheap
            if (e & 1)
                overflow = __builtin_mul_overflow(r, base, &r);
            if ((e >> 1) && !overflow)
                overflow = __builtin_mul_overflow(base, base, &base);
        }
    }
    if (overflow)
        return runtimeError("integer overflow");
    return Value(r);
}

Result<Value> floatOp(std::string_view op, double a, double b) {
    if (op == "+")
        return Value(a + b);
    if (op == "-")
        return Value(a - b);
    if (op == "*")
        return Value(a * b);
    if (op == "/" || op == "//" || op == "%") {
        if (b == 0)
            return runtimeError(op == "/" ? "division by zero" : "float modulo");
        if (op == "/")
            return Value(a / b);
        if (op == "//")
            return Value(std::floor(a / b));
        double m = std::fmod(a, b);
        if (m != 0 && ((m < 0) != (b < 0)))
            m += b;
        return Value(m);
    }
    return Value(std::pow(a, b));
}

Result<int> order(const Value& a, const Value& b, std::string_view op) {
    if (a.isUndefined())
        return runtimeError(a.undefinedHint());
    if (b.isUndefined())
        return runtimeError(b.undefinedHint());
    if (a.isNumber() && b.isNumber()) {
        if (a.isInt() && b.isInt())
            return a.asInt() < b.asInt() ? -1 : a.asInt() > b.asInt() ? 1 : 0;
        return a.asFloat() < b.asFloat() ? -1 : a.asFloat() > b.asFloat() ? 1 : 0;
    }
    if (a.isString() && b.isString())
        return a.asString().compare(b.asString()) < 0 ? -1 : a.asString() == b.asString() ? 0 : 1;
    if (a.isList() && b.kind() == a.kind()) {
        const ValueList& x = a.asList();
        const ValueList& y = b.asList();
        for (std::size_t i = 0; i < x.size() && i < y.size(); ++i) {
            if (x[i] == y[i])
                continue;
            return order(x[i], y[i], op);
        }
        return x.size() < y.size() ? -1 : x.size() > y.size() ? 1 : 0;
    }
    return runtimeError("'" + std::string(op) + "' not supported between instances of '" + a.typeName() + "' and '" +
                        b.typeName() + "'");
}

Result<bool> contains(const Value& container, const Value& item) {
    switch (container.kind()) {
    case Value::Kind::Undefined: return false;
    case Value::Kind::String:
        if (!item.isString())
            return runtimeError("'in <string>' requires string as left operand, not " + item.typeName());
        return container.asString().find(item.asString()) != std::string::npos;
    case Value::Kind::List:
    case Value::Kind::Tuple:
        for (const Value& v : container.asList())
            if (v == item)
                return true;
        return false;
    case Value::Kind::Map:
        if (item.isList() && item.kind() != Value::Kind::Tuple)
            return runtimeError("unhashable type: 'list'");
        if (item.isMap() || item.isNamespace())
            return runtimeError("unhashable type: '" + item.typeName() + "'");
        return item.isString() && container.asMap().find(item.asString()) != nullptr;
    default: return runtimeError("argument of type '" + container.typeName() + "' is not iterable");
    }
}

} // namespace

Result<Value> binaryOp(std::string_view op, const Value& a, const Value& b, std::size_t maxBytes) {
    if (op == "~") {
        const auto tooLong = [&] { return runtimeError("string exceeds " + std::to_string(maxBytes) + " bytes"); };
        auto left = a.str(maxBytes);
        if (!left.ok())
            return tooLong();
        auto right = b.str(maxBytes - left.value().size());
        if (!right.ok())
            return tooLong();
        return Value(std::move(left).value() + right.value());
    }
    if (a.isUndefined())
        return runtimeError(a.undefinedHint());
    if (b.isUndefined())
        return runtimeError(b.undefinedHint());
    if (a.isNumber() && b.isNumber()) {
        if (a.isInt() && b.isInt() && op != "/")
            return intOp(op, a.asInt(), b.asInt());
        return floatOp(op, a.asFloat(), b.asFloat());
    }
    if (op == "+" && a.isString() && b.isString()) {
        if (a.asString().size() + b.asString().size() > maxBytes)
            return runtimeError("string exceeds " + std::to_string(maxBytes) + " bytes");
        return Value(a.asString() + b.asString());
    }
    if (op == "+" && a.isList() && a.kind() == b.kind()) {
        if (a.asList().size() + b.asList().size() > maxBytes / kBytesPerItem)
            return runtimeError("list exceeds " + std::to_string(maxBytes / kBytesPerItem) + " items");
        ValueList items = a.asList();
        items.insert(items.end(), b.asList().begin(), b.asList().end());
        return a.kind() == Value::Kind::Tuple ? Value::tuple(std::move(items)) : Value::list(std::move(items));
    }
    if (op == "*" && (a.isString() || a.isList()) && b.isInt())
        return repeat(a, b.asInt(), maxBytes);
    if (op == "*" && a.isInt() && (b.isString() || b.isList()))
        return repeat(b, a.asInt(), maxBytes);
    if (op == "%" && a.isString())
        return runtimeError("printf-style string formatting is not supported by this renderer");
    return unsupported(op, a, b);
}

Result<bool> compare(std::string_view op, const Value& a, const Value& b) {
    if (op == "eq")
        return a == b;
    if (op == "ne")
        return !(a == b);
    if (op == "in")
        return contains(b, a);
    if (op == "notin") {
        ATELIER_ASSIGN(bool found, contains(b, a));
        return !found;
    }
    const char* symbol = op == "lt" ? "<" : op == "lteq" ? "<=" : op == "gt" ? ">" : ">=";
    ATELIER_ASSIGN(int c, order(a, b, symbol));
    if (op == "lt")
        return c < 0;
    if (op == "lteq")
        return c <= 0;
    if (op == "gt")
        return c > 0;
    return c >= 0;
}

} // namespace atelier::llm::jinja

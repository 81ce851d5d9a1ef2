// jinja2's tests (`x is defined`, `x is string`, ...), see jinja2/tests.py.
#include "llm/template/filters.h"
#include "llm/template/renderer.h"
#include "llm/template/text.h"

#include <algorithm>

namespace atelier::llm::jinja {
namespace {

using TestFn = Result<bool> (*)(const Value&, const Value*);

Result<bool> argCompare(const char* op, const Value& v, const Value* other) {
    if (!other)
        return runtimeError("this test needs an argument");
    return compare(op, v, *other);
}

// value % n == r with Python's %, so floats work and strings fail as they do in jinja2.
Result<bool> remainderIs(const Value& v, const Value& n, std::int64_t r) {
    if (v.isString())
        return runtimeError("not all arguments converted during string formatting");
    ATELIER_ASSIGN(Value rest, binaryOp("%", v, n, 0));
    return rest == Value(r);
}

Result<bool> parity(const Value& v, bool odd) { return remainderIs(v, Value(2), odd ? 1 : 0); }

struct TestEntry {
    std::string_view name;
    TestFn fn;
};

const TestEntry kTests[] = {
    {"defined", [](const Value& v, const Value*) -> Result<bool> { return !v.isUndefined(); }},
    {"undefined", [](const Value& v, const Value*) -> Result<bool> { return v.isUndefined(); }},
    {"none", [](const Value& v, const Value*) -> Result<bool> { return v.isNone(); }},
    {"boolean", [](const Value& v, const Value*) -> Result<bool> { return v.isBool(); }},
    {"true", [](const Value& v, const Value*) -> Result<bool> { return v.isBool() && v.asInt(); }},
    {"false", [](const Value& v, const Value*) -> Result<bool> { return v.isBool() && !v.asInt(); }},
    {"integer", [](const Value& v, const Value*) -> Result<bool> { return v.kind() == Value::Kind::Int; }},
    {"float", [](const Value& v, const Value*) -> Result<bool> { return v.kind() == Value::Kind::Float; }},
    {"number", [](const Value& v, const Value*) -> Result<bool> { return v.isNumber(); }},
    {"string", [](const Value& v, const Value*) -> Result<bool> { return v.isString(); }},
    {"mapping", [](const Value& v, const Value*) -> Result<bool> { return v.isMap(); }},
    {"iterable", [](const Value& v, const Value*) -> Result<bool> {
         return v.isUndefined() || v.isString() || v.isList() || v.isMap();
     }},
    {"sequence", [](const Value& v, const Value*) -> Result<bool> {
         return v.isUndefined() || v.isString() || v.isList() || v.isMap();
     }},
    {"callable", [](const Value& v, const Value*) -> Result<bool> { return v.isFunction(); }},
    {"escaped", [](const Value&, const Value*) -> Result<bool> { return false; }},
    {"odd", [](const Value& v, const Value*) { return parity(v, true); }},
    {"even", [](const Value& v, const Value*) { return parity(v, false); }},
    {"divisibleby", [](const Value& v, const Value* n) -> Result<bool> {
         if (!n)
             return runtimeError("test_divisibleby() missing 1 required positional argument: 'num'");
         return remainderIs(v, *n, 0);
     }},
    {"sameas", [](const Value& v, const Value* o) { return argCompare("eq", v, o); }},
    {"eq", [](const Value& v, const Value* o) { return argCompare("eq", v, o); }},
    {"equalto", [](const Value& v, const Value* o) { return argCompare("eq", v, o); }},
    {"==", [](const Value& v, const Value* o) { return argCompare("eq", v, o); }},
    {"ne", [](const Value& v, const Value* o) { return argCompare("ne", v, o); }},
    {"!=", [](const Value& v, const Value* o) { return argCompare("ne", v, o); }},
    {"lt", [](const Value& v, const Value* o) { return argCompare("lt", v, o); }},
    {"lessthan", [](const Value& v, const Value* o) { return argCompare("lt", v, o); }},
    {"<", [](const Value& v, const Value* o) { return argCompare("lt", v, o); }},
    {"le", [](const Value& v, const Value* o) { return argCompare("lteq", v, o); }},
    {"<=", [](const Value& v, const Value* o) { return argCompare("lteq", v, o); }},
    {"gt", [](const Value& v, const Value* o) { return argCompare("gt", v, o); }},
    {"greaterthan", [](const Value& v, const Value* o) { return argCompare("gt", v, o); }},
    {">", [](const Value& v, const Value* o) { return argCompare("gt", v, o); }},
    {"ge", [](const Value& v, const Value* o) { return argCompare("gteq", v, o); }},
    {">=", [](const Value& v, const Value* o) { return argCompare("gteq", v, o); }},
    {"in", [](const Value& v, const Value* o) { return argCompare("in", v, o); }},
    {"lower", [](const Value& v, const Value*) -> Result<bool> {
         const std::string s = v.str();
         return s == text::lower(s) && s != text::upper(s);
     }},
    {"upper", [](const Value& v, const Value*) -> Result<bool> {
         const std::string s = v.str();
         return s == text::upper(s) && s != text::lower(s);
     }},
    {"filter", [](const Value& v, const Value*) -> Result<bool> { return v.isString() && isKnownFilter(v.asString()); }},
    {"test", [](const Value& v, const Value*) -> Result<bool> { return v.isString() && isKnownTest(v.asString()); }},
};

TestFn findTest(std::string_view name) {
    for (const TestEntry& entry : kTests)
        if (entry.name == name)
            return entry.fn;
    return nullptr;
}

} // namespace

bool isKnownTest(std::string_view name) { return findTest(name) != nullptr; }

Result<bool> applyTest(Renderer& r, std::string_view name, const Value& subject, const CallArgs& args) {
    const TestFn fn = findTest(name);
    if (!fn)
        return runtimeError("No test named '" + std::string(name) + "'.");
    static const std::string_view kWithArgument[] = {"divisibleby", "sameas", "eq", "equalto", "ne", "lt", "lessthan",
                                                      "le", "gt", "greaterthan", "ge", "in"};
    const bool takesArgument = std::find(std::begin(kWithArgument), std::end(kWithArgument), name) != std::end(kWithArgument);
    const std::size_t given = args.positional.size() + args.named.size();
    if (given > (takesArgument ? 1u : 0u))
        return runtimeError("test_" + std::string(name) + "() takes " + (takesArgument ? "2" : "1") +
                            " positional argument(s) but " + std::to_string(given + 1) + " were given");
    if ((name == "lower" || name == "upper") && !subject.isString()) { // str(x).islower(), within the output limit
        ATELIER_ASSIGN(std::string text, subject.str(r.limits().maxOutputBytes));
        return fn(Value(std::move(text)), args.get(0, "value"));
    }
    return fn(subject, args.get(0, "value"));
}

} // namespace atelier::llm::jinja

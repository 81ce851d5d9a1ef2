#pragma once
// jinja2's filters and tests, plus attribute/item access and the Python operators they rely on.

#include "core/result.h"
#include "llm/template/value.h"

#include <string_view>

namespace atelier::llm::jinja {

class Renderer;

bool isKnownFilter(std::string_view name);
bool isKnownTest(std::string_view name);
Result<Value> applyFilter(Renderer& renderer, std::string_view name, const Value& subject, const CallArgs& args);
Result<bool> applyTest(Renderer& renderer, std::string_view name, const Value& subject, const CallArgs& args);

// environment.getattr / getitem of jinja2's sandbox: attribute first for `.`, item first for `[]`.
// maxBytes bounds the strings that methods such as replace() may build.
Result<Value> getAttribute(const Value& object, std::string_view name, std::size_t maxBytes);
Result<Value> getItem(const Value& object, const Value& key, std::size_t maxBytes);
Value boundMethod(const Value& object, std::string_view name, std::size_t maxBytes); // undefined when there is none
Result<ValueList> iterate(const Value& value);                 // iter(): an Undefined yields nothing
Result<std::int64_t> length(const Value& value);

Result<Value> binaryOp(std::string_view op, const Value& a, const Value& b, std::size_t maxBytes);
Result<bool> compare(std::string_view op, const Value& a, const Value& b);
Result<Value> sliceOf(const Value& target, const Value& start, const Value& stop, const Value& step);

} // namespace atelier::llm::jinja

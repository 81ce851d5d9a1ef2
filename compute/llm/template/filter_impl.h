#pragma once
// Internal: filter functions shared between filters.cpp (table, strings) and filters_sequence.cpp.

#include "llm/template/filters.h"
#include "llm/template/renderer.h"

namespace atelier::llm::jinja {

using FilterFn = Result<Value> (*)(Renderer&, const Value&, const CallArgs&);

// Sequence filters.
Result<Value> filterFirst(Renderer&, const Value&, const CallArgs&);
Result<Value> filterLast(Renderer&, const Value&, const CallArgs&);
Result<Value> filterList(Renderer&, const Value&, const CallArgs&);
Result<Value> filterItems(Renderer&, const Value&, const CallArgs&);
Result<Value> filterJoin(Renderer&, const Value&, const CallArgs&);
Result<Value> filterMap(Renderer&, const Value&, const CallArgs&);
Result<Value> filterSelect(Renderer&, const Value&, const CallArgs&);
Result<Value> filterReject(Renderer&, const Value&, const CallArgs&);
Result<Value> filterSelectAttr(Renderer&, const Value&, const CallArgs&);
Result<Value> filterRejectAttr(Renderer&, const Value&, const CallArgs&);
Result<Value> filterReverse(Renderer&, const Value&, const CallArgs&);
Result<Value> filterSort(Renderer&, const Value&, const CallArgs&);
Result<Value> filterUnique(Renderer&, const Value&, const CallArgs&);
Result<Value> filterSum(Renderer&, const Value&, const CallArgs&);
Result<Value> filterMin(Renderer&, const Value&, const CallArgs&);
Result<Value> filterMax(Renderer&, const Value&, const CallArgs&);
Result<Value> filterDictSort(Renderer&, const Value&, const CallArgs&);

// Helpers.
Result<Value> attributePath(const Value& item, const std::string& path, std::size_t maxBytes); // "a.b.0"
bool argBool(const CallArgs& args, std::size_t index, std::string_view name, bool fallback);
// str(v) within the output limit: a list that repeats a large value prints more than it holds.
Result<std::string> textOf(Renderer& r, const Value& v);

} // namespace atelier::llm::jinja

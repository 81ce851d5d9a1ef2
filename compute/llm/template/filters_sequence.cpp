// Filters over sequences and mappings: first, join, map, select*, sort, unique, ...
#include "llm/template/filter_impl.h"
#include "llm/template/text.h"

#include <algorithm>

namespace atelier::llm::jinja {

Result<Value> attributePath(const Value& item, const std::string& path, std::size_t maxBytes) {
    Value current = item;
    for (const std::string& part : text::split(path, std::string("."))) {
        const bool numeric = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
        ATELIER_ASSIGN(current, getItem(current, numeric ? Value(static_cast<std::int64_t>(std::stoll(part))) : Value(part), maxBytes));
    }
    return current;
}

namespace {

Result<ValueList> attributeValues(Renderer& r, const ValueList& items, const Value* attribute) {
    if (!attribute || attribute->isNone())
        return items;
    ATELIER_ASSIGN(const std::string path, textOf(r, *attribute));
    ValueList out;
    for (const Value& item : items) {
        ATELIER_ASSIGN(Value v, attributePath(item, path, r.limits().maxOutputBytes));
        out.push_back(std::move(v));
    }
    return out;
}

// Comparing keys reads them: sorting n of them reads each about log2(n) times.
Status chargeComparisons(Renderer& r, const ValueList& keys, bool sorting) {
    std::size_t passes = 1;
    for (std::size_t n = keys.size(); sorting && n > 1; n >>= 1)
        ++passes;
    for (const Value& key : keys) {
        const std::size_t bytes = std::max<std::size_t>(key.bytes(), Value::kBytesPerItem / 8);
        ATELIER_TRY(r.chargeWork(bytes > SIZE_MAX / passes ? SIZE_MAX : bytes * passes));
    }
    return {};
}

Value sortKey(const Value& v, bool caseSensitive) { return !caseSensitive && v.isString() ? Value(text::lower(v.asString())) : v; }

Result<Value> selectOrReject(Renderer& r, const Value& v, const CallArgs& a, bool lookupAttribute, bool select) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    const std::size_t offset = lookupAttribute ? 1 : 0;
    if (lookupAttribute && a.positional.empty())
        return runtimeError("Missing parameter for attribute name");
    std::string attribute, test;
    if (lookupAttribute) {
        ATELIER_ASSIGN(attribute, textOf(r, a.positional[0]));
    }
    if (a.positional.size() > offset) {
        ATELIER_ASSIGN(test, textOf(r, a.positional[offset]));
    }
    CallArgs testArgs;
    for (std::size_t i = offset + 1; i < a.positional.size(); ++i)
        testArgs.positional.push_back(a.positional[i]);
    testArgs.named = a.named;
    ValueList kept;
    for (const Value& item : items) {
        Value subject = item;
        if (lookupAttribute) {
            ATELIER_ASSIGN(subject, attributePath(item, attribute, r.limits().maxOutputBytes));
        }
        bool passed = subject.truthy();
        if (a.positional.size() > offset) {
            ATELIER_ASSIGN(passed, applyTest(r, test, subject, testArgs));
        }
        if (passed == select)
            kept.push_back(item);
    }
    return Value::list(std::move(kept));
}

Result<Value> sorted(ValueList items, bool reverse, bool caseSensitive, const ValueList* keys) {
    std::vector<std::size_t> order(items.size());
    for (std::size_t i = 0; i < order.size(); ++i)
        order[i] = i;
    std::optional<Error> failure;
    std::stable_sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) {
        const Value& a = keys ? (*keys)[x] : items[x];
        const Value& b = keys ? (*keys)[y] : items[y];
        auto less = compare("lt", sortKey(reverse ? b : a, caseSensitive), sortKey(reverse ? a : b, caseSensitive));
        if (!less.ok()) {
            failure = less.error();
            return false;
        }
        return *less;
    });
    if (failure)
        return *failure;
    ValueList out;
    for (std::size_t i : order)
        out.push_back(items[i]);
    return Value::list(std::move(out));
}

Result<Value> extreme(Renderer& r, const Value& v, const CallArgs& a, bool wantMax) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    if (items.empty())
        return Value::undefined(std::string("No aggregated item, sequence was empty."));
    ATELIER_ASSIGN(ValueList keys, attributeValues(r, items, a.get(1, "attribute")));
    ATELIER_TRY(chargeComparisons(r, keys, false));
    const bool caseSensitive = argBool(a, 0, "case_sensitive", false);
    std::size_t best = 0;
    for (std::size_t i = 1; i < items.size(); ++i) {
        ATELIER_ASSIGN(bool better, compare(wantMax ? "gt" : "lt", sortKey(keys[i], caseSensitive), sortKey(keys[best], caseSensitive)));
        if (better)
            best = i;
    }
    return items[best];
}

} // namespace

Result<Value> filterFirst(Renderer&, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    return items.empty() ? Value::undefined("No first item, sequence was empty.") : items.front();
}

Result<Value> filterLast(Renderer&, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    return items.empty() ? Value::undefined("No last item, sequence was empty.") : items.back();
}

Result<Value> filterList(Renderer&, const Value& v, const CallArgs&) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    return Value::list(std::move(items));
}

Result<Value> filterItems(Renderer&, const Value& v, const CallArgs&) {
    if (v.isUndefined())
        return Value::list({});
    if (!v.isMap())
        return runtimeError("Can only get item pairs from a mapping.");
    ValueList pairs;
    for (const auto& [k, value] : v.asMap().entries)
        pairs.push_back(Value::tuple({Value(k), value}));
    return Value::list(std::move(pairs));
}

Result<Value> filterJoin(Renderer& r, const Value& v, const CallArgs& a) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    ATELIER_ASSIGN(items, attributeValues(r, items, a.get(1, "attribute")));
    const Value* separator = a.get(0, "d");
    std::string sep;
    if (separator) {
        ATELIER_ASSIGN(sep, textOf(r, *separator));
    }
    const std::size_t maxBytes = r.limits().maxOutputBytes;
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) {
            ATELIER_TRY(r.checkLength(out.size() + sep.size()));
            out += sep;
        }
        if (items[i].isString()) {
            ATELIER_TRY(r.checkLength(out.size() + items[i].asString().size()));
            out += items[i].asString();
            continue;
        }
        auto text = items[i].str(maxBytes - out.size());
        if (!text.ok())
            return runtimeError("the template produced more than " + std::to_string(maxBytes) + " bytes");
        out += text.value();
    }
    return Value(std::move(out));
}

Result<Value> filterMap(Renderer& r, const Value& v, const CallArgs& a) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    ValueList out;
    if (a.positional.empty()) {
        const Value* attribute = a.get(99, "attribute");
        if (!attribute)
            return runtimeError("map requires a filter argument");
        const Value* fallback = a.get(99, "default");
        ATELIER_ASSIGN(const std::string path, textOf(r, *attribute));
        for (const Value& item : items) {
            ATELIER_ASSIGN(Value mapped, attributePath(item, path, r.limits().maxOutputBytes));
            out.push_back(mapped.isUndefined() && fallback ? *fallback : mapped);
        }
        return Value::list(std::move(out));
    }
    ATELIER_ASSIGN(const std::string filter, textOf(r, a.positional[0]));
    if (!isKnownFilter(filter))
        return runtimeError("No filter named '" + filter + "'.");
    CallArgs rest;
    rest.positional.assign(a.positional.begin() + 1, a.positional.end());
    rest.named = a.named;
    for (const Value& item : items) {
        ATELIER_ASSIGN(Value mapped, applyFilter(r, filter, item, rest));
        out.push_back(std::move(mapped));
    }
    return Value::list(std::move(out));
}

Result<Value> filterSelect(Renderer& r, const Value& v, const CallArgs& a) { return selectOrReject(r, v, a, false, true); }
Result<Value> filterReject(Renderer& r, const Value& v, const CallArgs& a) { return selectOrReject(r, v, a, false, false); }
Result<Value> filterSelectAttr(Renderer& r, const Value& v, const CallArgs& a) { return selectOrReject(r, v, a, true, true); }
Result<Value> filterRejectAttr(Renderer& r, const Value& v, const CallArgs& a) { return selectOrReject(r, v, a, true, false); }

Result<Value> filterReverse(Renderer&, const Value& v, const CallArgs&) {
    if (v.isString()) {
        std::u32string cps = text::decode(v.asString());
        std::reverse(cps.begin(), cps.end());
        return Value(text::encode(cps));
    }
    ATELIER_ASSIGN(ValueList items, iterate(v));
    std::reverse(items.begin(), items.end());
    return Value::list(std::move(items));
}

Result<Value> filterSort(Renderer& r, const Value& v, const CallArgs& a) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    ATELIER_ASSIGN(ValueList keys, attributeValues(r, items, a.get(2, "attribute")));
    ATELIER_TRY(chargeComparisons(r, keys, true));
    return sorted(std::move(items), argBool(a, 0, "reverse", false), argBool(a, 1, "case_sensitive", false), &keys);
}

Result<Value> filterDictSort(Renderer& r, const Value& v, const CallArgs& a) {
    if (!v.isMap())
        return runtimeError("You can only sort by either \"key\" or \"value\"");
    const Value* by = a.get(1, "by");
    const bool byValue = by && by->isString() && by->asString() == "value";
    ValueList pairs, keys;
    for (const auto& [k, value] : v.asMap().entries) {
        pairs.push_back(Value::tuple({Value(k), value}));
        keys.push_back(byValue ? value : Value(k));
    }
    ATELIER_TRY(chargeComparisons(r, keys, true));
    return sorted(std::move(pairs), argBool(a, 2, "reverse", false), argBool(a, 0, "case_sensitive", false), &keys);
}

Result<Value> filterUnique(Renderer& r, const Value& v, const CallArgs& a) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    ATELIER_ASSIGN(ValueList keys, attributeValues(r, items, a.get(1, "attribute")));
    const bool caseSensitive = argBool(a, 0, "case_sensitive", false);
    ValueList out, seen;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const Value key = sortKey(keys[i], caseSensitive);
        // One comparison with each kept key: quadratic, so bounded.
        const std::size_t perComparison = std::max<std::size_t>(key.bytes(), Value::kBytesPerItem / 8);
        ATELIER_TRY(r.chargeWork(seen.size() > SIZE_MAX / perComparison ? SIZE_MAX : seen.size() * perComparison));
        if (std::find(seen.begin(), seen.end(), key) != seen.end())
            continue;
        seen.push_back(key);
        out.push_back(items[i]);
    }
    return Value::list(std::move(out));
}

Result<Value> filterSum(Renderer& r, const Value& v, const CallArgs& a) {
    ATELIER_ASSIGN(ValueList items, iterate(v));
    ATELIER_ASSIGN(items, attributeValues(r, items, a.get(0, "attribute")));
    const Value* start = a.get(1, "start");
    Value total = start ? *start : Value(0);
    for (const Value& item : items) {
        ATELIER_ASSIGN(total, binaryOp("+", total, item, r.limits().maxOutputBytes));
        ATELIER_TRY(r.chargeBuilt(total)); // adding lists copies the total each time
    }
    return total;
}

Result<Value> filterMin(Renderer& r, const Value& v, const CallArgs& a) { return extreme(r, v, a, false); }
Result<Value> filterMax(Renderer& r, const Value& v, const CallArgs& a) { return extreme(r, v, a, true); }

} // namespace atelier::llm::jinja

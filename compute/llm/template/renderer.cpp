#include "llm/template/renderer.h"

#include "llm/template/filters.h"

#include <unordered_set>

namespace atelier::llm::jinja {

Error runtimeError(const std::string& message) { return makeError(ErrorCode::InvalidArgument, message); }

namespace {

constexpr std::size_t kBytesPerCall = 256; // a macro call's frame and arguments, against maxWorkBytes

// Visits each shared list and map once: a value can span 2**60 paths through a few hundred of them.
bool refersTo(const Value& value, const ValueMap* target, std::unordered_set<const void*>& seen) {
    if (value.isNamespace() && &value.namespaceMap() == target)
        return true;
    if (value.isList()) {
        if (!seen.insert(&value.asList()).second)
            return false;
        for (const Value& item : value.asList())
            if (refersTo(item, target, seen))
                return true;
    } else if (value.isMap() || value.isNamespace()) {
        if (!seen.insert(&value.asMap()).second)
            return false;
        for (const auto& entry : value.asMap().entries)
            if (refersTo(entry.second, target, seen))
                return true;
    }
    return false;
}

bool refersTo(const Value& value, const ValueMap* target) {
    std::unordered_set<const void*> seen;
    return refersTo(value, target, seen);
}

Error atLine(Error error, int line) {
    if (error.message.rfind("chat template", 0) != 0)
        error.message = "chat template error at line " + std::to_string(line) + ": " + error.message;
    return error;
}

} // namespace

Renderer::Renderer(const RenderLimits& limits, ValueMap globals) : mLimits(limits) { mRoot.vars = std::move(globals); }

Result<std::string> Renderer::render(const NodeList& nodes) {
    std::string out;
    mOut = &out;
    auto flow = renderNodes(nodes, mRoot);
    mOut = nullptr;
    if (!flow.ok())
        return flow.error();
    return out;
}

Result<Value> Renderer::call(const Value& callee, const CallArgs& args) {
    if (callee.isUndefined())
        return runtimeError(callee.undefinedHint());
    if (!callee.isFunction())
        return runtimeError("'" + callee.typeName() + "' object is not callable");
    return callee.asFunction().call(args);
}

Status Renderer::chargeIterations(std::size_t count) {
    mIterations += count;
    if (mIterations > mLimits.maxLoopIterations)
        return runtimeError("the template ran more than " + std::to_string(mLimits.maxLoopIterations) +
                            " loop iterations");
    return {};
}

Status Renderer::checkLength(std::size_t bytes) const {
    if (bytes > mLimits.maxOutputBytes)
        return runtimeError("the template produced more than " + std::to_string(mLimits.maxOutputBytes) + " bytes");
    return {};
}

Status Renderer::chargeWork(std::size_t bytes) {
    mWork = bytes > SIZE_MAX - mWork ? SIZE_MAX : mWork + bytes;
    if (mWork > mLimits.maxWorkBytes)
        return runtimeError("the template built or scanned more than " + std::to_string(mLimits.maxWorkBytes) +
                            " bytes of values");
    return {};
}

Status Renderer::chargeBuilt(const Value& value) {
    const std::uint64_t maxNodes = mLimits.maxOutputBytes / Value::kBytesPerItem;
    if (!value.isString() && value.nodes() > maxNodes)
        return runtimeError("a " + value.typeName() + " spanning more than " + std::to_string(maxNodes) +
                            " values, more than the output could hold");
    return chargeWork(value.bytes());
}

Status Renderer::emit(std::string_view text) {
    ATELIER_TRY(checkLength(mOut->size() + text.size()));
    ATELIER_TRY(chargeWork(text.size()));
    mOut->append(text);
    return {};
}

Result<std::string> Renderer::capture(const NodeList& nodes, Frame& frame) {
    std::string buffer;
    std::string* saved = mOut;
    mOut = &buffer;
    auto flow = renderNodes(nodes, frame);
    mOut = saved;
    if (!flow.ok())
        return flow.error();
    return buffer;
}

Value Renderer::lookup(const std::string& name, const Frame& frame) const {
    for (const Frame* f = &frame; f; f = f->parent)
        if (const Value* v = f->vars.find(name))
            return *v;
    return Value::undefined("'" + name + "' is undefined");
}

Result<Renderer::Flow> Renderer::renderNodes(const NodeList& nodes, Frame& frame) {
    for (const Node& node : nodes) {
        auto flow = renderNode(node, frame);
        if (!flow.ok())
            return atLine(flow.error(), node.line);
        if (*flow != Flow::Normal)
            return *flow;
    }
    return Flow::Normal;
}

Result<Renderer::Flow> Renderer::renderNode(const Node& node, Frame& frame) {
    switch (node.kind) {
    case Node::Kind::Data: ATELIER_TRY(emit(node.text)); break;
    case Node::Kind::Print: {
        ATELIER_ASSIGN(Value v, eval(*node.expr, frame));
        if (v.isString()) {
            ATELIER_TRY(emit(v.asString()));
            break;
        }
        auto text = v.str(mLimits.maxOutputBytes - mOut->size());
        if (!text.ok())
            return runtimeError("the template produced more than " + std::to_string(mLimits.maxOutputBytes) + " bytes");
        ATELIER_TRY(emit(text.value()));
        break;
    }
    case Node::Kind::If:
        for (const auto& [test, body] : node.branches) {
            ATELIER_ASSIGN(Value v, eval(*test, frame));
            if (v.truthy())
                return renderNodes(body, frame);
        }
        return renderNodes(node.elseBody, frame);
    case Node::Kind::For: return renderFor(node, frame);
    case Node::Kind::Set: ATELIER_TRY(renderSet(node, frame)); break;
    case Node::Kind::SetBlock: {
        ATELIER_ASSIGN(std::string text, capture(node.body, frame));
        frame.vars.set(node.targets[0], Value(std::move(text)));
        break;
    }
    case Node::Kind::Macro: frame.vars.set(node.text, makeMacro(node)); break;
    case Node::Kind::Break: return Flow::Break;
    case Node::Kind::Continue: return Flow::Continue;
    case Node::Kind::Scope: return renderNodes(node.body, frame);
    }
    return Flow::Normal;
}

static Status bindTargets(const std::vector<std::string>& targets, const Value& value, ValueMap& vars) {
    if (targets.size() == 1) {
        vars.set(targets[0], value);
        return {};
    }
    ATELIER_ASSIGN(ValueList parts, iterate(value));
    if (parts.size() != targets.size())
        return runtimeError(parts.size() > targets.size()
                                ? "too many values to unpack (expected " + std::to_string(targets.size()) + ")"
                                : "not enough values to unpack (expected " + std::to_string(targets.size()) + ", got " +
                                      std::to_string(parts.size()) + ")");
    for (std::size_t i = 0; i < parts.size(); ++i)
        vars.set(targets[i], parts[i]);
    return {};
}

Result<Renderer::Flow> Renderer::renderFor(const Node& node, Frame& frame) {
    ATELIER_ASSIGN(Value iterable, eval(*node.expr, frame));
    ATELIER_ASSIGN(ValueList items, iterate(iterable));
    ATELIER_TRY(chargeIterations(items.size()));
    if (node.condition) {
        ValueList kept;
        for (const Value& item : items) {
            Frame scope{{}, &frame};
            ATELIER_TRY(bindTargets(node.targets, item, scope.vars));
            ATELIER_ASSIGN(Value keep, eval(*node.condition, scope));
            if (keep.truthy())
                kept.push_back(item);
        }
        items = std::move(kept);
    }
    if (items.empty())
        return renderNodes(node.elseBody, frame);
    const auto n = static_cast<std::int64_t>(items.size());
    for (std::int64_t i = 0; i < n; ++i) {
        // Each iteration gets a fresh scope: a `set` in the body never outlives its iteration.
        Frame scope{{}, &frame};
        ATELIER_TRY(bindTargets(node.targets, items[i], scope.vars));
        ValueMap loop;
        loop.set("index", Value(i + 1));
        loop.set("index0", Value(i));
        loop.set("revindex", Value(n - i));
        loop.set("revindex0", Value(n - i - 1));
        loop.set("first", Value(i == 0));
        loop.set("last", Value(i == n - 1));
        loop.set("length", Value(n));
        loop.set("depth", Value(1));
        loop.set("depth0", Value(0));
        loop.set("previtem", i > 0 ? items[i - 1] : Value::undefined("there is no previous item"));
        loop.set("nextitem", i + 1 < n ? items[i + 1] : Value::undefined("there is no next item"));
        loop.set("cycle", Value::function("cycle", [i](const CallArgs& args) -> Result<Value> {
                     if (args.positional.empty())
                         return runtimeError("no items for cycling given");
                     return args.positional[static_cast<std::size_t>(i) % args.positional.size()];
                 }));
        scope.vars.set("loop", Value::map(std::move(loop)));
        ATELIER_ASSIGN(Flow flow, renderNodes(node.body, scope));
        if (flow == Flow::Break)
            break;
    }
    return Flow::Normal;
}

Status Renderer::renderSet(const Node& node, Frame& frame) {
    ATELIER_ASSIGN(Value value, eval(*node.expr, frame));
    if (node.attribute.empty())
        return bindTargets(node.targets, value, frame.vars);
    const Value target = lookup(node.targets[0], frame);
    if (!target.isNamespace())
        return runtimeError("cannot assign attribute on non-namespace object");
    // A namespace is the only mutable object, so it is the only way to build a cycle or to deepen
    // a value across loop iterations.
    ATELIER_TRY(checkDepth(value));
    if (refersTo(value, &target.namespaceMap()))
        return runtimeError("a namespace cannot contain itself");
    target.namespaceMap().set(node.attribute, std::move(value));
    return {};
}

Value Renderer::makeMacro(const Node& node) {
    return Value::function(node.text, [this, &node](const CallArgs& args) -> Result<Value> {
        if (args.positional.size() > node.params.size())
            return runtimeError("macro '" + node.text + "' takes not more than " + std::to_string(node.params.size()) +
                                " argument(s)");
        for (const auto& [key, value] : args.named) {
            bool known = false;
            for (const auto& param : node.params)
                known = known || param.first == key;
            if (!known)
                return runtimeError("macro '" + node.text + "' takes no keyword argument '" + key + "'");
        }
        if (mCallDepth >= mLimits.maxCallDepth)
            return runtimeError("macro calls nested deeper than " + std::to_string(mLimits.maxCallDepth));
        ATELIER_TRY(chargeWork(kBytesPerCall)); // f(n - 1) twice per call is 2**n calls with no output
        Frame scope{{}, &mRoot};
        for (std::size_t i = 0; i < node.params.size(); ++i) {
            const auto& [name, defaultValue] = node.params[i];
            if (const Value* given = args.get(i, name)) {
                scope.vars.set(name, *given);
            } else if (defaultValue) {
                ATELIER_ASSIGN(Value v, eval(*defaultValue, scope));
                scope.vars.set(name, std::move(v));
            } else {
                scope.vars.set(name, Value::undefined("parameter '" + name + "' was not provided"));
            }
        }
        ++mCallDepth;
        auto text = capture(node.body, scope);
        --mCallDepth;
        if (!text.ok())
            return text.error();
        return Value(std::move(text).value());
    });
}

} // namespace atelier::llm::jinja

#pragma once
// Walks a parsed template and writes its output, evaluating expressions with jinja2's semantics.

#include "llm/template/ast.h"
#include "llm/template/chat_template.h"

#include <string>

namespace atelier::llm::jinja {

Error runtimeError(const std::string& message);

class Renderer {
public:
    Renderer(const RenderLimits& limits, ValueMap globals);

    Result<std::string> render(const NodeList& nodes);

    // Services for filters and functions.
    Result<Value> call(const Value& callee, const CallArgs& args);
    Status chargeIterations(std::size_t count);
    Status checkLength(std::size_t bytes) const;
    // Counts bytes built or scanned against RenderLimits::maxWorkBytes.
    Status chargeWork(std::size_t bytes);
    // Charges a value a filter, call or operator built, refusing one that spans more items than
    // the output could ever hold.
    Status chargeBuilt(const Value& value);
    const RenderLimits& limits() const { return mLimits; }

private:
    struct Frame {
        ValueMap vars;
        Frame* parent = nullptr;
    };
    enum class Flow { Normal, Break, Continue };

    Result<Flow> renderNodes(const NodeList& nodes, Frame& frame);
    Result<Flow> renderNode(const Node& node, Frame& frame);
    Result<Flow> renderFor(const Node& node, Frame& frame);
    Status renderSet(const Node& node, Frame& frame);
    Result<std::string> capture(const NodeList& nodes, Frame& frame);
    Value makeMacro(const Node& node);
    Status emit(std::string_view text);

    Result<Value> eval(const Expr& expr, Frame& frame);
    Result<Value> evalCall(const Expr& expr, Frame& frame);
    Result<Value> evalCompare(const Expr& expr, Frame& frame);
    Result<Value> evalSlice(const Expr& expr, Frame& frame, const Value& target);
    Result<CallArgs> evalArgs(const Expr& expr, Frame& frame);
    Value lookup(const std::string& name, const Frame& frame) const;
    Status checkDepth(const Value& value) const;

    RenderLimits mLimits;
    Frame mRoot;
    std::string* mOut = nullptr;
    std::size_t mIterations = 0;
    std::size_t mWork = 0;
    int mCallDepth = 0;
};

} // namespace atelier::llm::jinja

// Expression evaluation for Renderer.
#include "llm/template/filters.h"
#include "llm/template/renderer.h"

namespace atelier::llm::jinja {

constexpr std::size_t kBytesPerEval = 16; // what evaluating one expression counts against maxWorkBytes

Status Renderer::checkDepth(const Value& value) const {
    if (value.depth() > Value::kMaxDepth)
        return runtimeError("values nested deeper than " + std::to_string(Value::kMaxDepth));
    return {};
}

Result<CallArgs> Renderer::evalArgs(const Expr& expr, Frame& frame) {
    CallArgs args;
    for (std::size_t i = 1; i < expr.args.size(); ++i) {
        ATELIER_ASSIGN(Value v, eval(*expr.args[i], frame));
        args.positional.push_back(std::move(v));
    }
    for (const auto& [name, valueExpr] : expr.kwargs) {
        ATELIER_ASSIGN(Value v, eval(*valueExpr, frame));
        args.named.emplace_back(name, std::move(v));
    }
    return args;
}

Result<Value> Renderer::evalCall(const Expr& expr, Frame& frame) {
    ATELIER_ASSIGN(Value callee, eval(*expr.args[0], frame));
    if (callee.isUndefined())
        return runtimeError(callee.undefinedHint());
    ATELIER_ASSIGN(CallArgs args, evalArgs(expr, frame));
    ATELIER_ASSIGN(Value result, call(callee, args));
    ATELIER_TRY(chargeBuilt(result));
    return result;
}

Result<Value> Renderer::evalCompare(const Expr& expr, Frame& frame) {
    ATELIER_ASSIGN(Value left, eval(*expr.args[0], frame));
    for (std::size_t i = 0; i < expr.ops.size(); ++i) {
        ATELIER_ASSIGN(Value right, eval(*expr.args[i + 1], frame));
        // == and `in` walk both sides.
        ATELIER_TRY(chargeWork(left.bytes()));
        ATELIER_TRY(chargeWork(right.bytes()));
        ATELIER_ASSIGN(bool holds, compare(expr.ops[i], left, right));
        if (!holds)
            return Value(false);
        left = std::move(right);
    }
    return Value(true);
}

Result<Value> Renderer::evalSlice(const Expr& expr, Frame& frame, const Value& target) {
    Value parts[3] = {Value::none(), Value::none(), Value::none()};
    for (std::size_t i = 0; i < 3; ++i) {
        if (expr.args[i]) {
            ATELIER_ASSIGN(parts[i], eval(*expr.args[i], frame));
        }
    }
    ATELIER_ASSIGN(Value slice, sliceOf(target, parts[0], parts[1], parts[2]));
    ATELIER_TRY(chargeBuilt(slice));
    return slice;
}

Result<Value> Renderer::eval(const Expr& expr, Frame& frame) {
    ATELIER_TRY(chargeWork(kBytesPerEval)); // a loop body of many expressions costs more than its iterations
    switch (expr.kind) {
    case Expr::Kind::Literal: return expr.literal;
    case Expr::Kind::Name: return lookup(expr.name, frame);
    case Expr::Kind::List:
    case Expr::Kind::Tuple: {
        ValueList items;
        for (const ExprPtr& item : expr.args) {
            ATELIER_ASSIGN(Value v, eval(*item, frame));
            items.push_back(std::move(v));
        }
        Value v = expr.kind == Expr::Kind::List ? Value::list(std::move(items)) : Value::tuple(std::move(items));
        ATELIER_TRY(checkDepth(v));
        ATELIER_TRY(chargeBuilt(v));
        return v;
    }
    case Expr::Kind::Dict: {
        ValueMap map;
        for (std::size_t i = 0; i + 1 < expr.args.size(); i += 2) {
            ATELIER_ASSIGN(Value key, eval(*expr.args[i], frame));
            if (!key.isString())
                return runtimeError("only string keys are supported in dict literals");
            ATELIER_ASSIGN(Value v, eval(*expr.args[i + 1], frame));
            map.set(key.asString(), std::move(v));
        }
        Value v = Value::map(std::move(map));
        ATELIER_TRY(checkDepth(v));
        ATELIER_TRY(chargeBuilt(v));
        return v;
    }
    case Expr::Kind::Getattr: {
        ATELIER_ASSIGN(Value object, eval(*expr.args[0], frame));
        if (object.isString() || object.isList()) // their methods read the whole receiver
            ATELIER_TRY(chargeWork(object.bytes()));
        return getAttribute(object, expr.name, mLimits.maxOutputBytes);
    }
    case Expr::Kind::Getitem: {
        ATELIER_ASSIGN(Value object, eval(*expr.args[0], frame));
        if (object.isString()) // indexing counts code points from the start
            ATELIER_TRY(chargeWork(object.bytes()));
        if (expr.args[1]->kind == Expr::Kind::Slice)
            return evalSlice(*expr.args[1], frame, object);
        ATELIER_ASSIGN(Value key, eval(*expr.args[1], frame));
        return getItem(object, key, mLimits.maxOutputBytes);
    }
    case Expr::Kind::Slice: return runtimeError("a slice is only valid inside []");
    case Expr::Kind::Call: return evalCall(expr, frame);
    case Expr::Kind::Filter: {
        ATELIER_ASSIGN(Value subject, eval(*expr.args[0], frame));
        ATELIER_ASSIGN(CallArgs args, evalArgs(expr, frame));
        return applyFilter(*this, expr.name, subject, args);
    }
    case Expr::Kind::Test: {
        ATELIER_ASSIGN(Value subject, eval(*expr.args[0], frame));
        ATELIER_ASSIGN(CallArgs args, evalArgs(expr, frame));
        ATELIER_ASSIGN(bool passed, applyTest(*this, expr.name, subject, args));
        return Value(passed != expr.negated);
    }
    case Expr::Kind::Unary: {
        ATELIER_ASSIGN(Value v, eval(*expr.args[0], frame));
        if (expr.name == "not")
            return Value(!v.truthy());
        if (v.isUndefined())
            return runtimeError(v.undefinedHint());
        if (!v.isNumber())
            return runtimeError("bad operand type for unary " + expr.name + ": '" + v.typeName() + "'");
        if (expr.name == "+")
            return v.isBool() ? Value(v.asInt()) : v;
        return v.isInt() ? Value(-v.asInt()) : Value(-v.asFloat());
    }
    case Expr::Kind::Binary: {
        ATELIER_ASSIGN(Value left, eval(*expr.args[0], frame));
        if (expr.name == "and" || expr.name == "or") {
            if (left.truthy() == (expr.name == "or"))
                return left;
            return eval(*expr.args[1], frame);
        }
        ATELIER_ASSIGN(Value right, eval(*expr.args[1], frame));
        ATELIER_ASSIGN(Value result, binaryOp(expr.name, left, right, mLimits.maxOutputBytes));
        ATELIER_TRY(chargeBuilt(result));
        return result;
    }
    case Expr::Kind::Compare: return evalCompare(expr, frame);
    case Expr::Kind::Conditional: {
        ATELIER_ASSIGN(Value test, eval(*expr.args[0], frame));
        if (test.truthy())
            return eval(*expr.args[1], frame);
        if (expr.args[2])
            return eval(*expr.args[2], frame);
        return Value::undefined("the inline if-expression on line " + std::to_string(expr.line) +
                                " evaluated to false and no else section was defined.");
    }
    }
    return runtimeError("unknown expression");
}

} // namespace atelier::llm::jinja

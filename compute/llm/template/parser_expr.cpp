// Expression grammar and precedence follow jinja2/parser.py (parse_condexpr .. parse_primary).
#include "llm/template/filters.h"
#include "llm/template/parser_impl.h"

namespace atelier::llm::jinja {

ExprPtr Parser::makeExpr(Expr::Kind kind, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->line = line;
    return e;
}

bool Parser::isTupleEnd(std::initializer_list<std::string_view> extraEnd) const {
    const TokenType t = current().type;
    if (t == TokenType::VariableEnd || t == TokenType::BlockEnd || t == TokenType::End || isOp(")"))
        return true;
    for (std::string_view name : extraEnd)
        if (isName(name))
            return true;
    return false;
}

Result<ExprPtr> Parser::parseTuple(bool withCondExpr, std::initializer_list<std::string_view> extraEnd,
                                   bool explicitParentheses) {
    const int line = current().line;
    std::vector<ExprPtr> items;
    bool isTuple = false;
    while (true) {
        if (!items.empty())
            ATELIER_TRY(expectOp(","));
        if (isTupleEnd(extraEnd))
            break;
        ATELIER_ASSIGN(ExprPtr item, parseExpression(withCondExpr));
        items.push_back(std::move(item));
        if (isOp(","))
            isTuple = true;
        else
            break;
    }
    if (!isTuple) {
        if (!items.empty())
            return std::move(items[0]);
        if (!explicitParentheses)
            return fail("Expected an expression, got " + describeCurrent());
    }
    ExprPtr tuple = makeExpr(Expr::Kind::Tuple, line);
    tuple->args = std::move(items);
    return tuple;
}

Result<ExprPtr> Parser::parseExpression(bool withCondExpr) { return withCondExpr ? parseCondExpr() : parseOr(); }

Result<ExprPtr> Parser::parseCondExpr() {
    const int line = current().line;
    ATELIER_ASSIGN(ExprPtr expr, parseOr());
    while (skipName("if")) {
        ExprPtr cond = makeExpr(Expr::Kind::Conditional, line);
        ATELIER_ASSIGN(ExprPtr test, parseOr());
        ExprPtr otherwise;
        if (skipName("else")) {
            ATELIER_ASSIGN(otherwise, parseCondExpr());
        }
        cond->args.push_back(std::move(test));
        cond->args.push_back(std::move(expr));
        cond->args.push_back(std::move(otherwise));
        expr = std::move(cond);
    }
    return expr;
}

static ExprPtr makeBinary(const char* op, ExprPtr left, ExprPtr right, int line) {
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::Binary;
    e->line = line;
    e->name = op;
    e->args.push_back(std::move(left));
    e->args.push_back(std::move(right));
    return e;
}

Result<ExprPtr> Parser::parseOr() {
    ATELIER_ASSIGN(ExprPtr left, parseAnd());
    while (isName("or")) {
        const int line = current().line;
        next();
        ATELIER_ASSIGN(ExprPtr right, parseAnd());
        left = makeBinary("or", std::move(left), std::move(right), line);
    }
    return left;
}

Result<ExprPtr> Parser::parseAnd() {
    ATELIER_ASSIGN(ExprPtr left, parseNot());
    while (isName("and")) {
        const int line = current().line;
        next();
        ATELIER_ASSIGN(ExprPtr right, parseNot());
        left = makeBinary("and", std::move(left), std::move(right), line);
    }
    return left;
}

Result<ExprPtr> Parser::parseNot() {
    DepthGuard guard(*this);
    if (guard.exceeded())
        return fail("expression nested too deeply");
    if (isName("not")) {
        ExprPtr e = makeExpr(Expr::Kind::Unary, current().line);
        next();
        e->name = "not";
        ATELIER_ASSIGN(ExprPtr operand, parseNot());
        e->args.push_back(std::move(operand));
        return e;
    }
    return parseCompare();
}

Result<ExprPtr> Parser::parseCompare() {
    const int line = current().line;
    ATELIER_ASSIGN(ExprPtr first, parseMath1());
    ExprPtr cmp = makeExpr(Expr::Kind::Compare, line);
    cmp->args.push_back(std::move(first));
    static const std::pair<const char*, const char*> kOps[] = {
        {"==", "eq"}, {"!=", "ne"}, {"<", "lt"}, {"<=", "lteq"}, {">", "gt"}, {">=", "gteq"}};
    while (true) {
        std::string op;
        for (const auto& [symbol, name] : kOps)
            if (isOp(symbol))
                op = name;
        if (!op.empty()) {
            next();
        } else if (skipName("in")) {
            op = "in";
        } else if (isName("not") && peek().type == TokenType::Name && peek().text == "in") {
            next();
            next();
            op = "notin";
        } else {
            break;
        }
        ATELIER_ASSIGN(ExprPtr operand, parseMath1());
        cmp->ops.push_back(op);
        cmp->args.push_back(std::move(operand));
    }
    if (cmp->ops.empty())
        return std::move(cmp->args[0]);
    return cmp;
}

Result<ExprPtr> Parser::parseMath1() {
    ATELIER_ASSIGN(ExprPtr left, parseConcat());
    while (isOp("+") || isOp("-")) {
        const char* op = isOp("+") ? "+" : "-";
        const int line = current().line;
        next();
        ATELIER_ASSIGN(ExprPtr right, parseConcat());
        left = makeBinary(op, std::move(left), std::move(right), line);
    }
    return left;
}

Result<ExprPtr> Parser::parseConcat() {
    ATELIER_ASSIGN(ExprPtr left, parseMath2());
    while (isOp("~")) {
        const int line = current().line;
        next();
        ATELIER_ASSIGN(ExprPtr right, parseMath2());
        left = makeBinary("~", std::move(left), std::move(right), line);
    }
    return left;
}

Result<ExprPtr> Parser::parseMath2() {
    ATELIER_ASSIGN(ExprPtr left, parsePow());
    while (isOp("*") || isOp("/") || isOp("//") || isOp("%")) {
        const std::string op = current().text;
        const int line = current().line;
        next();
        ATELIER_ASSIGN(ExprPtr right, parsePow());
        left = makeBinary(op == "*" ? "*" : op == "/" ? "/" : op == "//" ? "//" : "%", std::move(left), std::move(right), line);
    }
    return left;
}

Result<ExprPtr> Parser::parsePow() {
    ATELIER_ASSIGN(ExprPtr left, parseUnary());
    while (isOp("**")) {
        const int line = current().line;
        next();
        ATELIER_ASSIGN(ExprPtr right, parseUnary());
        left = makeBinary("**", std::move(left), std::move(right), line);
    }
    return left;
}

Result<ExprPtr> Parser::parseUnary(bool withFilter) {
    DepthGuard guard(*this);
    if (guard.exceeded())
        return fail("expression nested too deeply");
    ExprPtr node;
    if (isOp("-") || isOp("+")) {
        node = makeExpr(Expr::Kind::Unary, current().line);
        node->name = current().text;
        next();
        ATELIER_ASSIGN(ExprPtr operand, parseUnary(false));
        node->args.push_back(std::move(operand));
    } else {
        ATELIER_ASSIGN(node, parsePrimary());
    }
    ATELIER_ASSIGN(node, parsePostfix(std::move(node)));
    if (withFilter) {
        ATELIER_ASSIGN(node, parseFilterExpr(std::move(node)));
    }
    return node;
}

Result<ExprPtr> Parser::parsePrimary() {
    const Token& token = current();
    ExprPtr node = makeExpr(Expr::Kind::Literal, token.line);
    switch (token.type) {
    case TokenType::Name:
        if (token.text == "true" || token.text == "True" || token.text == "false" || token.text == "False") {
            node->literal = Value(token.text[0] == 't' || token.text[0] == 'T');
        } else if (token.text == "none" || token.text == "None") {
            node->literal = Value::none();
        } else {
            node->kind = Expr::Kind::Name;
            node->name = token.text;
        }
        next();
        return node;
    case TokenType::String: {
        std::string joined; // adjacent literals concatenate, as in Python
        while (current().type == TokenType::String) {
            joined += current().text;
            next();
        }
        node->literal = Value(std::move(joined));
        return node;
    }
    case TokenType::Integer:
        node->literal = Value(token.intValue);
        next();
        return node;
    case TokenType::Float:
        node->literal = Value(token.floatValue);
        next();
        return node;
    case TokenType::Operator:
        if (token.text == "(") {
            next();
            ATELIER_ASSIGN(node, parseTuple(true, {}, true));
            ATELIER_TRY(expectOp(")"));
            return node;
        }
        if (token.text == "[" || token.text == "{")
            return parseSequence(token.text == "{");
        break;
    default: break;
    }
    return failUnexpected();
}

Result<ExprPtr> Parser::parseSequence(bool dict) {
    ExprPtr node = makeExpr(dict ? Expr::Kind::Dict : Expr::Kind::List, current().line);
    const char* close = dict ? "}" : "]";
    next();
    while (!isOp(close)) {
        if (!node->args.empty()) {
            ATELIER_TRY(expectOp(","));
            if (isOp(close))
                break;
        }
        ATELIER_ASSIGN(ExprPtr item, parseExpression());
        node->args.push_back(std::move(item));
        if (dict) {
            ATELIER_TRY(expectOp(":"));
            ATELIER_ASSIGN(ExprPtr value, parseExpression());
            node->args.push_back(std::move(value));
        }
    }
    next();
    return node;
}

Result<ExprPtr> Parser::parsePostfix(ExprPtr node) {
    while (true) {
        if (isOp(".") || isOp("[")) {
            ATELIER_ASSIGN(node, parseSubscript(std::move(node)));
        } else if (isOp("(")) {
            ATELIER_ASSIGN(node, parseCall(std::move(node)));
        } else {
            return node;
        }
    }
}

Result<ExprPtr> Parser::parseFilterExpr(ExprPtr node) {
    while (true) {
        if (isOp("|")) {
            ATELIER_ASSIGN(node, parseFilter(std::move(node), false));
        } else if (isName("is")) {
            ATELIER_ASSIGN(node, parseTest(std::move(node)));
        } else if (isOp("(")) {
            ATELIER_ASSIGN(node, parseCall(std::move(node)));
        } else {
            return node;
        }
    }
}

Result<ExprPtr> Parser::parseSubscript(ExprPtr node) {
    const int line = current().line;
    if (skipOp(".")) {
        if (current().type == TokenType::Name) {
            ExprPtr attr = makeExpr(Expr::Kind::Getattr, line);
            attr->name = current().text;
            attr->args.push_back(std::move(node));
            next();
            return attr;
        }
        if (current().type != TokenType::Integer)
            return fail("expected name or number");
        ExprPtr item = makeExpr(Expr::Kind::Getitem, line);
        item->args.push_back(std::move(node));
        item->args.push_back(makeExpr(Expr::Kind::Literal, line));
        item->args.back()->literal = Value(current().intValue);
        next();
        return item;
    }
    next(); // '['
    std::vector<ExprPtr> keys;
    while (!isOp("]")) {
        if (!keys.empty())
            ATELIER_TRY(expectOp(","));
        ATELIER_ASSIGN(ExprPtr key, parseSubscribed());
        keys.push_back(std::move(key));
    }
    next();
    ExprPtr item = makeExpr(Expr::Kind::Getitem, line);
    item->args.push_back(std::move(node));
    if (keys.size() == 1) {
        item->args.push_back(std::move(keys[0]));
    } else {
        ExprPtr tuple = makeExpr(Expr::Kind::Tuple, line);
        tuple->args = std::move(keys);
        item->args.push_back(std::move(tuple));
    }
    return item;
}

Result<ExprPtr> Parser::parseSubscribed() {
    const int line = current().line;
    ExprPtr slice = makeExpr(Expr::Kind::Slice, line);
    if (skipOp(":")) {
        slice->args.push_back(nullptr);
    } else {
        ATELIER_ASSIGN(ExprPtr start, parseExpression());
        if (!skipOp(":"))
            return start;
        slice->args.push_back(std::move(start));
    }
    auto optionalPart = [&]() -> Result<ExprPtr> {
        if (isOp("]") || isOp(",") || isOp(":"))
            return ExprPtr();
        return parseExpression();
    };
    ATELIER_ASSIGN(ExprPtr stop, optionalPart());
    slice->args.push_back(std::move(stop));
    ExprPtr step;
    if (skipOp(":")) {
        ATELIER_ASSIGN(step, optionalPart());
    }
    slice->args.push_back(std::move(step));
    return slice;
}

Result<ExprPtr> Parser::parseCall(ExprPtr callee, Expr::Kind kind, std::string name) {
    ExprPtr call = makeExpr(kind, current().line);
    call->name = std::move(name);
    call->args.push_back(std::move(callee));
    ATELIER_TRY(expectOp("("));
    bool needComma = false;
    while (!isOp(")")) {
        if (needComma) {
            ATELIER_TRY(expectOp(","));
            if (isOp(")"))
                break;
        }
        if (isOp("*") || isOp("**"))
            return fail("*args and **kwargs in calls are not supported by this renderer");
        if (current().type == TokenType::Name && peek().type == TokenType::Operator && peek().text == "=") {
            std::string key = current().text;
            next();
            next();
            ATELIER_ASSIGN(ExprPtr value, parseExpression());
            call->kwargs.emplace_back(std::move(key), std::move(value));
        } else {
            if (!call->kwargs.empty())
                return fail("positional argument follows keyword argument");
            ATELIER_ASSIGN(ExprPtr value, parseExpression());
            call->args.push_back(std::move(value));
        }
        needComma = true;
    }
    next();
    return call;
}

Result<ExprPtr> Parser::parseFilter(ExprPtr node, bool startInline) {
    while (isOp("|") || startInline) {
        if (!startInline)
            next();
        startInline = false;
        const int line = current().line;
        ATELIER_ASSIGN(std::string name, expectName());
        while (skipOp(".")) {
            ATELIER_ASSIGN(std::string part, expectName());
            name += "." + part;
        }
        if (!isKnownFilter(name))
            return syntaxError(line, "No filter named '" + name + "'.");
        if (isOp("(")) {
            ATELIER_ASSIGN(node, parseCall(std::move(node), Expr::Kind::Filter, name));
        } else {
            ExprPtr filter = makeExpr(Expr::Kind::Filter, line);
            filter->name = name;
            filter->args.push_back(std::move(node));
            node = std::move(filter);
        }
    }
    return node;
}

Result<ExprPtr> Parser::parseTest(ExprPtr node) {
    const int line = current().line;
    next(); // 'is'
    const bool negated = skipName("not");
    ATELIER_ASSIGN(std::string name, expectName());
    while (skipOp(".")) {
        ATELIER_ASSIGN(std::string part, expectName());
        name += "." + part;
    }
    if (!isKnownTest(name))
        return syntaxError(line, "No test named '" + name + "'.");
    ExprPtr test;
    if (isOp("(")) {
        ATELIER_ASSIGN(test, parseCall(std::move(node), Expr::Kind::Test, name));
    } else {
        test = makeExpr(Expr::Kind::Test, line);
        test->name = name;
        test->args.push_back(std::move(node));
        const TokenType t = current().type;
        const bool argStart = t == TokenType::Name || t == TokenType::String || t == TokenType::Integer ||
                              t == TokenType::Float || isOp("(") || isOp("[") || isOp("{");
        if (argStart && !isName("else") && !isName("or") && !isName("and")) {
            if (isName("is"))
                return fail("You cannot chain multiple tests with is");
            ATELIER_ASSIGN(ExprPtr arg, parsePrimary());
            ATELIER_ASSIGN(arg, parsePostfix(std::move(arg)));
            test->args.push_back(std::move(arg));
        }
    }
    test->negated = negated;
    return test;
}

} // namespace atelier::llm::jinja

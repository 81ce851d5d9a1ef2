#include "llm/template/parser.h"

#include "llm/template/parser_impl.h"

namespace atelier::llm::jinja {

Result<NodeList> parseTemplate(std::string_view source) {
    ATELIER_ASSIGN(std::vector<Token> tokens, tokenize(source));
    return Parser(std::move(tokens)).parseAll();
}

const Token& Parser::peek(std::size_t ahead) const {
    return mTokens[std::min(mPos + ahead, mTokens.size() - 1)];
}

bool Parser::isOp(std::string_view op) const { return current().type == TokenType::Operator && current().text == op; }
bool Parser::isName(std::string_view name) const { return current().type == TokenType::Name && current().text == name; }

bool Parser::skipOp(std::string_view op) {
    if (!isOp(op))
        return false;
    next();
    return true;
}

bool Parser::skipName(std::string_view name) {
    if (!isName(name))
        return false;
    next();
    return true;
}

std::string Parser::describeCurrent() const {
    switch (current().type) {
    case TokenType::End: return "end of template";
    case TokenType::BlockEnd: return "end of statement block";
    case TokenType::VariableEnd: return "end of print statement";
    case TokenType::BlockBegin: return "begin of statement block";
    case TokenType::VariableBegin: return "begin of print statement";
    case TokenType::Data: return "template data";
    case TokenType::String: return "string literal";
    default: return "'" + current().text + "'";
    }
}

Error Parser::fail(const std::string& message) const { return syntaxError(current().line, message); }
Error Parser::failUnexpected() const { return fail("unexpected " + describeCurrent()); }

Status Parser::expectOp(std::string_view op) {
    if (!skipOp(op))
        return fail("expected '" + std::string(op) + "', got " + describeCurrent());
    return {};
}

Status Parser::expectBlockEnd() {
    if (current().type != TokenType::BlockEnd)
        return fail("expected end of statement block, got " + describeCurrent());
    next();
    return {};
}

Result<std::string> Parser::expectName() {
    if (current().type != TokenType::Name)
        return fail("expected a name, got " + describeCurrent());
    std::string name = current().text;
    next();
    return name;
}

Result<NodeList> Parser::parseAll() { return parseBody({}, nullptr); }

Result<NodeList> Parser::parseBody(std::initializer_list<std::string_view> endTags, std::string* matched) {
    DepthGuard guard(*this);
    if (guard.exceeded())
        return fail("blocks nested too deeply");
    NodeList nodes;
    while (true) {
        const Token& token = current();
        if (token.type == TokenType::End) {
            if (endTags.size() == 0)
                return nodes;
            std::string tags;
            for (std::string_view tag : endTags)
                tags += (tags.empty() ? "'" : " or '") + std::string(tag) + "'";
            return fail("Unexpected end of template. Jinja was looking for the following tags: " + tags + ".");
        }
        if (token.type == TokenType::Data) {
            Node node;
            node.kind = Node::Kind::Data;
            node.line = token.line;
            node.text = token.text;
            nodes.push_back(std::move(node));
            next();
        } else if (token.type == TokenType::VariableBegin) {
            Node node;
            node.kind = Node::Kind::Print;
            node.line = token.line;
            next();
            ATELIER_ASSIGN(node.expr, parseTuple(true));
            if (current().type != TokenType::VariableEnd)
                return fail("expected end of print statement, got " + describeCurrent());
            next();
            nodes.push_back(std::move(node));
        } else if (token.type == TokenType::BlockBegin) {
            next();
            for (std::string_view tag : endTags) {
                if (isName(tag)) {
                    *matched = current().text;
                    next();
                    return nodes;
                }
            }
            ATELIER_ASSIGN(Node node, parseStatement());
            nodes.push_back(std::move(node));
        } else {
            return failUnexpected();
        }
    }
}

Result<Node> Parser::parseStatement() {
    const int line = current().line;
    if (current().type != TokenType::Name)
        return fail("tag name expected");
    const std::string tag = current().text;
    if (tag == "if")
        return parseIf(line);
    if (tag == "for")
        return parseFor(line);
    if (tag == "set")
        return parseSet(line);
    if (tag == "macro")
        return parseMacro(line);
    Node node;
    node.line = line;
    if (tag == "break" || tag == "continue") {
        node.kind = tag == "break" ? Node::Kind::Break : Node::Kind::Continue;
        next();
        ATELIER_TRY(expectBlockEnd());
        return node;
    }
    if (tag == "generation") { // transformers' AssistantTracker tag: renders its body unchanged
        node.kind = Node::Kind::Scope;
        next();
        ATELIER_TRY(expectBlockEnd());
        std::string matched;
        ATELIER_ASSIGN(node.body, parseBody({"endgeneration"}, &matched));
        ATELIER_TRY(expectBlockEnd());
        return node;
    }
    for (const char* unsupported : {"block", "extends", "include", "import", "from", "call", "filter", "with",
                                    "autoescape", "raw", "do", "trans"})
        if (tag == unsupported)
            return fail("the '" + tag + "' tag is not supported by this renderer");
    return fail("Encountered unknown tag '" + tag + "'.");
}

Result<Node> Parser::parseIf(int line) {
    Node node;
    node.kind = Node::Kind::If;
    node.line = line;
    next();
    std::string matched;
    while (true) {
        ATELIER_ASSIGN(ExprPtr test, parseTuple(false));
        ATELIER_TRY(expectBlockEnd());
        ATELIER_ASSIGN(NodeList body, parseBody({"elif", "else", "endif"}, &matched));
        node.branches.emplace_back(std::move(test), std::move(body));
        if (matched != "elif")
            break;
    }
    if (matched == "else") {
        ATELIER_TRY(expectBlockEnd());
        ATELIER_ASSIGN(node.elseBody, parseBody({"endif"}, &matched));
    }
    ATELIER_TRY(expectBlockEnd());
    return node;
}

Result<std::vector<std::string>> Parser::parseTargetNames(std::string_view stopName) {
    const bool parenthesized = skipOp("(");
    std::vector<std::string> names;
    while (true) {
        ATELIER_ASSIGN(std::string name, expectName());
        names.push_back(std::move(name));
        if (!skipOp(","))
            break;
        if ((parenthesized && isOp(")")) || isName(stopName) || isOp("="))
            break;
    }
    if (parenthesized)
        ATELIER_TRY(expectOp(")"));
    return names;
}

Result<Node> Parser::parseFor(int line) {
    Node node;
    node.kind = Node::Kind::For;
    node.line = line;
    next();
    ATELIER_ASSIGN(node.targets, parseTargetNames("in"));
    if (!skipName("in"))
        return fail("expected 'in', got " + describeCurrent());
    ATELIER_ASSIGN(node.expr, parseTuple(false, {"recursive"}));
    if (isName("recursive"))
        return fail("recursive for loops are not supported by this renderer");
    if (skipName("if")) {
        ATELIER_ASSIGN(node.condition, parseExpression());
    }
    ATELIER_TRY(expectBlockEnd());
    std::string matched;
    ATELIER_ASSIGN(node.body, parseBody({"endfor", "else"}, &matched));
    if (matched == "else") {
        ATELIER_TRY(expectBlockEnd());
        ATELIER_ASSIGN(node.elseBody, parseBody({"endfor"}, &matched));
    }
    ATELIER_TRY(expectBlockEnd());
    return node;
}

Result<Node> Parser::parseSet(int line) {
    Node node;
    node.kind = Node::Kind::Set;
    node.line = line;
    next();
    if (current().type == TokenType::Name && peek().type == TokenType::Operator && peek().text == ".") {
        node.targets.push_back(current().text);
        next();
        next();
        ATELIER_ASSIGN(node.attribute, expectName());
    } else {
        ATELIER_ASSIGN(node.targets, parseTargetNames(""));
    }
    if (skipOp("=")) {
        ATELIER_ASSIGN(node.expr, parseTuple(true));
        ATELIER_TRY(expectBlockEnd());
        return node;
    }
    if (!node.attribute.empty() || node.targets.size() != 1)
        return fail("expected '=' in set");
    node.kind = Node::Kind::SetBlock;
    ATELIER_TRY(expectBlockEnd());
    std::string matched;
    ATELIER_ASSIGN(node.body, parseBody({"endset"}, &matched));
    ATELIER_TRY(expectBlockEnd());
    return node;
}

Result<Node> Parser::parseMacro(int line) {
    Node node;
    node.kind = Node::Kind::Macro;
    node.line = line;
    next();
    ATELIER_ASSIGN(node.text, expectName());
    ATELIER_TRY(expectOp("("));
    while (!isOp(")")) {
        if (!node.params.empty()) {
            ATELIER_TRY(expectOp(","));
            if (isOp(")"))
                break;
        }
        ATELIER_ASSIGN(std::string name, expectName());
        ExprPtr defaultValue;
        if (skipOp("=")) {
            ATELIER_ASSIGN(defaultValue, parseExpression());
        }
        node.params.emplace_back(std::move(name), std::move(defaultValue));
    }
    next();
    ATELIER_TRY(expectBlockEnd());
    std::string matched;
    ATELIER_ASSIGN(node.body, parseBody({"endmacro"}, &matched));
    ATELIER_TRY(expectBlockEnd());
    return node;
}

} // namespace atelier::llm::jinja

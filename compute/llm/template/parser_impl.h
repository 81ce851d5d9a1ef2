#pragma once
// Internal: the recursive-descent parser shared by parser.cpp (statements) and
// parser_expr.cpp (expressions).

#include "llm/template/ast.h"
#include "llm/template/lexer.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::llm::jinja {

class Parser {
public:
    explicit Parser(std::vector<Token> tokens) : mTokens(std::move(tokens)) {}

    Result<NodeList> parseAll();

private:
    friend class DepthGuard;

    // Token stream.
    const Token& current() const { return mTokens[mPos]; }
    const Token& peek(std::size_t ahead = 1) const;
    void next() { if (mPos + 1 < mTokens.size()) ++mPos; }
    bool isOp(std::string_view op) const;
    bool isName(std::string_view name) const;
    bool skipOp(std::string_view op);
    bool skipName(std::string_view name);
    Status expectOp(std::string_view op);
    Status expectBlockEnd();
    Result<std::string> expectName();
    Error fail(const std::string& message) const;
    Error failUnexpected() const;
    std::string describeCurrent() const;

    // Statements.
    Result<NodeList> parseBody(std::initializer_list<std::string_view> endTags, std::string* matched);
    Result<Node> parseStatement();
    Result<Node> parseIf(int line);
    Result<Node> parseFor(int line);
    Result<Node> parseSet(int line);
    Result<Node> parseMacro(int line);
    Result<std::vector<std::string>> parseTargetNames(std::string_view stopName);

    // Expressions, from loosest to tightest binding.
    Result<ExprPtr> parseTuple(bool withCondExpr, std::initializer_list<std::string_view> extraEnd = {},
                               bool explicitParentheses = false);
    Result<ExprPtr> parseExpression(bool withCondExpr = true);
    Result<ExprPtr> parseCondExpr();
    Result<ExprPtr> parseOr();
    Result<ExprPtr> parseAnd();
    Result<ExprPtr> parseNot();
    Result<ExprPtr> parseCompare();
    Result<ExprPtr> parseMath1();
    Result<ExprPtr> parseConcat();
    Result<ExprPtr> parseMath2();
    Result<ExprPtr> parsePow();
    Result<ExprPtr> parseUnary(bool withFilter = true);
    Result<ExprPtr> parsePrimary();
    Result<ExprPtr> parseSequence(bool dict);
    Result<ExprPtr> parsePostfix(ExprPtr node);
    Result<ExprPtr> parseFilterExpr(ExprPtr node);
    Result<ExprPtr> parseSubscript(ExprPtr node);
    Result<ExprPtr> parseSubscribed();
    Result<ExprPtr> parseCall(ExprPtr callee, Expr::Kind kind = Expr::Kind::Call, std::string name = {});
    Result<ExprPtr> parseFilter(ExprPtr node, bool startInline);
    Result<ExprPtr> parseTest(ExprPtr node);
    bool isTupleEnd(std::initializer_list<std::string_view> extraEnd) const;

    static ExprPtr makeExpr(Expr::Kind kind, int line);

    std::vector<Token> mTokens;
    std::size_t mPos = 0;
    int mDepth = 0;
};

// Caps recursion so hostile input like "((((((..." fails cleanly instead of overflowing the stack.
class DepthGuard {
public:
    explicit DepthGuard(Parser& parser) : mParser(parser) { ++mParser.mDepth; }
    ~DepthGuard() { --mParser.mDepth; }
    bool exceeded() const { return mParser.mDepth > kMaxDepth; }
    static constexpr int kMaxDepth = 200;

private:
    Parser& mParser;
};

} // namespace atelier::llm::jinja

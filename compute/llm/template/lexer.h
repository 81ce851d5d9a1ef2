#pragma once
// Splits template source into data and tag tokens the way jinja2's lexer does, including
// trim_blocks / lstrip_blocks and the '-' / '+' whitespace modifiers.

#include "core/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::llm::jinja {

enum class TokenType { Data, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End };

struct Token {
    TokenType type = TokenType::End;
    std::string text; // data, name, decoded string literal or operator
    std::int64_t intValue = 0;
    double floatValue = 0;
    int line = 1;
};

struct LexerOptions {
    bool trimBlocks = true;  // transformers' ImmutableSandboxedEnvironment(trim_blocks=True,
    bool lstripBlocks = true; //                                          lstrip_blocks=True)
};

Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options = {});

Error syntaxError(int line, const std::string& message);

} // namespace atelier::llm::jinja

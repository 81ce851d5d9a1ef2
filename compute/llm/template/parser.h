#pragma once
// Builds the statement tree from tokens with jinja2's grammar and operator precedence.

#include "core/result.h"
#include "llm/template/ast.h"

#include <string_view>

namespace atelier::llm::jinja {

Result<NodeList> parseTemplate(std::string_view source);

} // namespace atelier::llm::jinja

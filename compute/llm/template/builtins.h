#pragma once
// The global functions transformers' environment offers: range, namespace, dict,
// raise_exception and strftime_now.

#include "llm/template/value.h"

#include <ctime>

namespace atelier::llm::jinja {

void addBuiltins(ValueMap& globals, const std::tm& now);

std::string formatTime(const std::string& format, const std::tm& time); // C-locale strftime

} // namespace atelier::llm::jinja

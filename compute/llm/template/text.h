#pragma once
// UTF-8 string helpers with the semantics of Python's str methods, which jinja2 templates call.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::llm::jinja::text {

std::u32string decode(std::string_view utf8); // invalid bytes become U+FFFD
std::string encode(std::u32string_view codePoints);
void appendUtf8(std::string& out, char32_t codePoint);
std::size_t length(std::string_view utf8); // in code points, like len(str)

bool isSpace(char32_t c); // str.isspace()
bool isAllSpace(std::string_view utf8);
std::string strip(std::string_view s, bool left, bool right, const std::optional<std::string>& chars = {});
std::vector<std::string> split(std::string_view s, const std::optional<std::string>& sep, long maxSplit = -1);
std::vector<std::string> splitLines(std::string_view s);
std::string replace(std::string_view s, std::string_view from, std::string_view to, long count = -1);
// How many times replace() would substitute, found without building anything.
std::size_t count(std::string_view s, std::string_view sub, long max = -1);

std::string upper(std::string_view s);
std::string lower(std::string_view s);
std::string title(std::string_view s);
std::string capitalize(std::string_view s);

std::string pythonRepr(std::string_view s); // 'it\'s' quoting as repr(str)
std::string formatFloat(double v);          // repr(float)

} // namespace atelier::llm::jinja::text

#include "llm/pretokenizer.h"

#include <QChar>
#include <spdlog/spdlog.h>

#include <cstdint>

namespace atelier::llm {

namespace {

enum Class : uint8_t { Letter, Number, Space, Newline, Other };

struct Symbol {
    size_t start, length; // bytes of the text
    char32_t cp;          // the code point; ~0 for a byte that starts no valid sequence
    Class cls;
};

// Unicode White_Space, which \s means in the Oniguruma regexes of tokenizer.json.
bool isWhiteSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

Class classify(char32_t c)
{
    if (c == '\r' || c == '\n')
        return Newline;
    if (isWhiteSpace(c))
        return Space;
    if (c > 0x10FFFF)
        return Other;
    switch (QChar::category(c)) {
    case QChar::Letter_Uppercase:
    case QChar::Letter_Lowercase:
    case QChar::Letter_Titlecase:
    case QChar::Letter_Modifier:
    case QChar::Letter_Other:
        return Letter;
    case QChar::Number_DecimalDigit:
    case QChar::Number_Letter:
    case QChar::Number_Other:
        return Number;
    default:
        return Other;
    }
}

// Decodes UTF-8 leniently: a malformed sequence yields its first byte as a symbol of its own.
std::vector<Symbol> decode(std::string_view text)
{
    std::vector<Symbol> out;
    out.reserve(text.size());
    for (size_t at = 0; at < text.size();) {
        const auto lead = (unsigned char)text[at];
        size_t n = lead < 0x80 ? 1 : lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3
                 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
        char32_t cp = n == 1 ? lead : n == 2 ? lead & 0x1F : n == 3 ? lead & 0x0F : lead & 0x07;
        for (size_t k = 1; k < n; ++k) {
            const auto c = at + k < text.size() ? (unsigned char)text[at + k] : 0;
            if ((c & 0xC0) != 0x80) {
                n = 0;
                break;
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (n == 0 || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            out.push_back({at, 1, char32_t(~0u), Other});
            ++at;
            continue;
        }
        out.push_back({at, n, cp, classify(cp)});
        at += n;
    }
    return out;
}

char32_t lower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Length in symbols of a contraction ('s 't 're 've 'm 'll 'd) at i, or 0.
size_t contraction(const std::vector<Symbol>& s, size_t i, bool anyCase)
{
    if (s[i].cp != '\'' || i + 1 >= s.size())
        return 0;
    auto at = [&](size_t k) { return i + k < s.size() ? (anyCase ? lower(s[i + k].cp) : s[i + k].cp) : 0; };
    const char32_t a = at(1), b = at(2);
    if (a == 's' || a == 't' || a == 'm' || a == 'd')
        return 2;
    if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
        return 3;
    return 0;
}

bool isSpaceLike(Class c) { return c == Space || c == Newline; }

// The end of \s+(?!\S)|\s+ for a whitespace run [i, end): all of it before the text's end or
// more whitespace, else all but its last character (which then prefixes the next word).
size_t whitespaceRun(const std::vector<Symbol>& s, size_t i)
{
    size_t end = i;
    while (end < s.size() && isSpaceLike(s[end].cls))
        ++end;
    if (end == s.size() || end - i == 1)
        return end;
    return end - 1;
}

size_t matchGpt2(const std::vector<Symbol>& s, size_t i)
{
    if (size_t n = contraction(s, i, false))
        return i + n;
    const size_t j = s[i].cp == ' ' && i + 1 < s.size() ? i + 1 : i;
    const Class c = s[j].cls;
    if (c == Letter || c == Number) {
        size_t end = j;
        while (end < s.size() && s[end].cls == c)
            ++end;
        return end;
    }
    if (!isSpaceLike(c)) {
        size_t end = j;
        while (end < s.size() && !isSpaceLike(s[end].cls) && s[end].cls != Letter && s[end].cls != Number)
            ++end;
        return end;
    }
    return whitespaceRun(s, i);
}

size_t matchLlama3(const std::vector<Symbol>& s, size_t i, size_t maxDigits)
{
    if (size_t n = contraction(s, i, true))
        return i + n;
    const Class c = s[i].cls;
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if (c == Letter || (c != Newline && c != Number && i + 1 < s.size() && s[i + 1].cls == Letter)) {
        size_t end = i + 1;
        while (end < s.size() && s[end].cls == Letter)
            ++end;
        return end;
    }
    // \p{N}{1,n}
    if (c == Number) {
        size_t end = i + 1;
        while (end < s.size() && end - i < maxDigits && s[end].cls == Number)
            ++end;
        return end;
    }
    // ' '?[^\s\p{L}\p{N}]+[\r\n]*
    const size_t j = s[i].cp == ' ' && i + 1 < s.size() ? i + 1 : i;
    if (s[j].cls == Other) {
        size_t end = j;
        while (end < s.size() && s[end].cls == Other)
            ++end;
        while (end < s.size() && s[end].cls == Newline)
            ++end;
        return end;
    }
    // \s*[\r\n]+ : through the last line break of the whitespace run
    size_t end = i, lastBreak = 0;
    while (end < s.size() && isSpaceLike(s[end].cls)) {
        if (s[end].cls == Newline)
            lastBreak = end + 1;
        ++end;
    }
    if (lastBreak > 0)
        return lastBreak;
    return whitespaceRun(s, i);
}

} // namespace

PreTokenizer preTokenizerFor(std::string_view pre)
{
    if (pre == "qwen2" || pre == "deepseek-r1-qwen" || pre == "stablelm2")
        return PreTokenizer::Qwen2;
    if (pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3" || pre == "pixtral")
        return PreTokenizer::Llama3;
    if (pre != "gpt2" && pre != "gpt-2" && pre != "default")
        spdlog::warn("BPE pre-tokenizer '{}' is not known: splitting words as GPT-2 does; tokens may differ "
                     "from the model's own tokenizer", pre);
    return PreTokenizer::Gpt2;
}

bool ignoresMerges(std::string_view pre)
{
    return pre == "llama3" || pre == "llama-v3" || pre == "llama-bpe" || pre == "falcon3" || pre == "pixtral";
}

std::vector<std::string_view> preTokenize(std::string_view text, PreTokenizer kind)
{
    const std::vector<Symbol> s = decode(text);
    std::vector<std::string_view> words;
    for (size_t i = 0; i < s.size();) {
        const size_t end = kind == PreTokenizer::Gpt2     ? matchGpt2(s, i)
                           : kind == PreTokenizer::Llama3 ? matchLlama3(s, i, 3)
                                                          : matchLlama3(s, i, 1);
        const size_t stop = end > i ? end : i + 1; // every branch consumes; guard against a stall
        const size_t from = s[i].start;
        const size_t to = stop < s.size() ? s[stop].start : text.size();
        words.push_back(text.substr(from, to - from));
        i = stop;
    }
    return words;
}

} // namespace atelier::llm

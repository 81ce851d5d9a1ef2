#include "llm/template/lexer.h"

#include "llm/template/text.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>

namespace atelier::llm::jinja {

Error syntaxError(int line, const std::string& message) {
    return makeError(ErrorCode::Format, "chat template syntax error at line " + std::to_string(line) + ": " + message);
}

namespace {

bool isAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool isNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// jinja2 joins the source's lines with '\n' and drops one trailing newline (keep_trailing_newline=False).
std::string normalizeSource(std::string_view src) {
    std::string out;
    out.reserve(src.size());
    for (std::size_t i = 0; i < src.size(); ++i) {
        if (src[i] == '\r') {
            out += '\n';
            if (i + 1 < src.size() && src[i + 1] == '\n')
                ++i;
        } else {
            out += src[i];
        }
    }
    if (!out.empty() && out.back() == '\n')
        out.pop_back();
    return out;
}

int hexValue(char c) {
    if (isDigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

class Lexer {
public:
    Lexer(std::string_view source, const LexerOptions& options) : mSrc(normalizeSource(source)), mOptions(options) {}

    Result<std::vector<Token>> run() {
        while (mPos < mSrc.size()) {
            std::size_t open = mPos;
            while ((open = mSrc.find('{', open)) != std::string::npos) {
                if (open + 1 < mSrc.size() && (mSrc[open + 1] == '{' || mSrc[open + 1] == '%' || mSrc[open + 1] == '#'))
                    break;
                ++open;
            }
            if (open == std::string::npos) {
                addData(mSrc.substr(mPos));
                break;
            }
            const char kind = mSrc[open + 1];
            std::size_t after = open + 2;
            const char sign = after < mSrc.size() && (mSrc[after] == '-' || mSrc[after] == '+') ? mSrc[after] : 0;
            if (sign)
                ++after;
            std::string data = mSrc.substr(mPos, open - mPos);
            const int dataNewlines = countNewlines(data);
            if (sign == '-') {
                data = text::strip(data, false, true);
            } else if (sign != '+' && mOptions.lstripBlocks && kind != '{') {
                const std::size_t lineStart = data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1;
                if ((lineStart > 0 || mLineStarting) && lineStart < data.size() &&
                    text::isAllSpace(std::string_view(data).substr(lineStart)))
                    data.resize(lineStart);
            }
            addData(std::move(data));
            mLine += dataNewlines;
            mPos = after;
            mLineStarting = false;
            ATELIER_TRY(kind == '#' ? comment() : tag(kind == '%'));
        }
        mTokens.push_back(Token{TokenType::End, {}, 0, 0, mLine});
        return std::move(mTokens);
    }

private:
    static int countNewlines(std::string_view s) {
        int n = 0;
        for (char c : s)
            n += c == '\n';
        return n;
    }

    void addData(std::string data) {
        if (!data.empty())
            mTokens.push_back(Token{TokenType::Data, std::move(data), 0, 0, mLine});
    }

    void advance(std::size_t to) {
        mLine += countNewlines(std::string_view(mSrc).substr(mPos, to - mPos));
        mLineStarting = to > mPos && mSrc[to - 1] == '\n';
        mPos = to;
    }

    // Python's regex \s, which jinja2 uses after '-%}' and between tokens, also matches Unicode spaces.
    std::size_t spaceLength(std::size_t p) const {
        if (isAsciiSpace(mSrc[p]))
            return 1;
        const auto lead = static_cast<unsigned char>(mSrc[p]);
        const std::size_t n = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
        if (n == 0 || p + n > mSrc.size())
            return 0;
        const std::u32string cp = text::decode(std::string_view(mSrc).substr(p, n));
        return cp.size() == 1 && text::isSpace(cp[0]) ? n : 0;
    }

    std::size_t skipWhitespace(std::size_t p) const {
        while (p < mSrc.size()) {
            const std::size_t n = spaceLength(p);
            if (n == 0)
                break;
            p += n;
        }
        return p;
    }

    Status comment() {
        const int startLine = mLine;
        std::size_t close = mSrc.find("#}", mPos);
        if (close == std::string::npos)
            return syntaxError(startLine, "Missing end of comment tag");
        std::size_t end = close + 2;
        if (close > mPos && mSrc[close - 1] == '-')
            end = skipWhitespace(end);
        else if (!(close > mPos && mSrc[close - 1] == '+') && mOptions.trimBlocks && end < mSrc.size() && mSrc[end] == '\n')
            ++end;
        advance(end);
        return {};
    }

    // Returns the end of the closing delimiter at mPos, or npos when there is none.
    std::size_t closingAt(bool block) const {
        const std::string_view rest = std::string_view(mSrc).substr(mPos);
        const char* close = block ? "%}" : "}}";
        if (block && rest.starts_with("+%}"))
            return mPos + 3;
        if (rest.size() >= 3 && rest[0] == '-' && rest.substr(1, 2) == close)
            return skipWhitespace(mPos + 3);
        if (rest.starts_with(close)) {
            std::size_t end = mPos + 2;
            if (block && mOptions.trimBlocks && end < mSrc.size() && mSrc[end] == '\n')
                ++end;
            return end;
        }
        return std::string::npos;
    }

    Status tag(bool block) {
        mTokens.push_back(Token{block ? TokenType::BlockBegin : TokenType::VariableBegin, {}, 0, 0, mLine});
        std::string balance;
        while (true) {
            if (mPos >= mSrc.size())
                return syntaxError(mLine, std::string("unexpected end of template, expected '") + (block ? "%}" : "}}") + "'");
            if (balance.empty()) {
                const std::size_t end = closingAt(block);
                if (end != std::string::npos) {
                    mTokens.push_back(Token{block ? TokenType::BlockEnd : TokenType::VariableEnd, {}, 0, 0, mLine});
                    advance(end);
                    return {};
                }
            }
            const char c = mSrc[mPos];
            if (spaceLength(mPos) > 0) {
                advance(skipWhitespace(mPos));
            } else if (isDigit(c)) {
                number();
            } else if (isNameStart(c)) {
                std::size_t e = mPos;
                while (e < mSrc.size() && isNameChar(mSrc[e]))
                    ++e;
                mTokens.push_back(Token{TokenType::Name, mSrc.substr(mPos, e - mPos), 0, 0, mLine});
                advance(e);
            } else if (c == '\'' || c == '"') {
                ATELIER_TRY(string());
            } else {
                ATELIER_TRY(op(balance));
            }
        }
    }

    std::size_t digitsEnd(std::size_t p) const {
        while (p < mSrc.size() && (isDigit(mSrc[p]) || (mSrc[p] == '_' && p + 1 < mSrc.size() && isDigit(mSrc[p + 1]))))
            ++p;
        return p;
    }

    void number() {
        const bool afterDot = mPos > 0 && mSrc[mPos - 1] == '.';
        std::size_t e = digitsEnd(mPos);
        bool isFloat = false;
        if (!afterDot) {
            if (e + 1 < mSrc.size() && mSrc[e] == '.' && isDigit(mSrc[e + 1])) {
                e = digitsEnd(e + 1);
                isFloat = true;
            }
            if (e < mSrc.size() && (mSrc[e] == 'e' || mSrc[e] == 'E')) {
                std::size_t x = e + 1;
                if (x < mSrc.size() && (mSrc[x] == '+' || mSrc[x] == '-'))
                    ++x;
                if (x < mSrc.size() && isDigit(mSrc[x])) {
                    e = digitsEnd(x);
                    isFloat = true;
                }
            }
        }
        std::string digits;
        for (std::size_t i = mPos; i < e; ++i)
            if (mSrc[i] != '_')
                digits += mSrc[i];
        Token token{isFloat ? TokenType::Float : TokenType::Integer, digits, 0, 0, mLine};
        if (isFloat) {
            token.floatValue = std::strtod(digits.c_str(), nullptr);
        } else {
            errno = 0;
            token.intValue = std::strtoll(digits.c_str(), nullptr, 10);
            if (errno == ERANGE) {
                token.type = TokenType::Float; // Python ints are unbounded; a float keeps the magnitude
                token.floatValue = std::strtod(digits.c_str(), nullptr);
            }
        }
        mTokens.push_back(std::move(token));
        advance(e);
    }

    Status string() {
        const char quote = mSrc[mPos];
        const int line = mLine;
        std::string out;
        std::size_t p = mPos + 1;
        while (true) {
            if (p >= mSrc.size())
                return syntaxError(line, "unterminated string literal");
            const char c = mSrc[p];
            if (c == quote)
                break;
            if (c != '\\' || p + 1 >= mSrc.size()) {
                out += c;
                ++p;
                continue;
            }
            const char e = mSrc[p + 1];
            p += 2;
            switch (e) {
            case '\n': break; // line continuation
            case '\\': out += '\\'; break;
            case '\'': out += '\''; break;
            case '"': out += '"'; break;
            case 'a': out += '\a'; break;
            case 'b': out += '\b'; break;
            case 'f': out += '\f'; break;
            case 'n': out += '\n'; break;
            case 'r': out += '\r'; break;
            case 't': out += '\t'; break;
            case 'v': out += '\v'; break;
            case 'x':
            case 'u':
            case 'U': {
                const int width = e == 'x' ? 2 : e == 'u' ? 4 : 8;
                char32_t cp = 0;
                for (int i = 0; i < width; ++i, ++p) {
                    const int h = p < mSrc.size() ? hexValue(mSrc[p]) : -1;
                    if (h < 0)
                        return syntaxError(line, std::string("truncated \\") + e + " escape in string literal");
                    cp = (cp << 4) | static_cast<char32_t>(h);
                }
                if (cp > 0x10FFFF)
                    return syntaxError(line, "illegal Unicode character in string literal");
                text::appendUtf8(out, cp);
                break;
            }
            default:
                if (e >= '0' && e <= '7') {
                    char32_t cp = static_cast<char32_t>(e - '0');
                    for (int i = 0; i < 2 && p < mSrc.size() && mSrc[p] >= '0' && mSrc[p] <= '7'; ++i, ++p)
                        cp = cp * 8 + static_cast<char32_t>(mSrc[p] - '0');
                    text::appendUtf8(out, cp);
                } else {
                    out += '\\'; // Python keeps unknown escapes verbatim
                    out += e;
                }
            }
        }
        mTokens.push_back(Token{TokenType::String, std::move(out), 0, 0, line});
        advance(p + 1);
        return {};
    }

    Status op(std::string& balance) {
        static const char* const kTwoChar[] = {"//", "**", "==", "!=", ">=", "<="};
        const std::string_view rest = std::string_view(mSrc).substr(mPos);
        for (const char* two : kTwoChar) {
            if (rest.starts_with(two)) {
                mTokens.push_back(Token{TokenType::Operator, two, 0, 0, mLine});
                advance(mPos + 2);
                return {};
            }
        }
        const char c = rest[0];
        if (std::string_view("+-/*%~[](){}><=.:|,;").find(c) == std::string_view::npos)
            return syntaxError(mLine, std::string("unexpected char '") + c + "'");
        if (c == '(' || c == '[' || c == '{') {
            balance += c == '(' ? ')' : c == '[' ? ']' : '}';
        } else if (c == ')' || c == ']' || c == '}') {
            if (balance.empty() || balance.back() != c)
                return syntaxError(mLine, std::string("unexpected '") + c + "'");
            balance.pop_back();
        }
        mTokens.push_back(Token{TokenType::Operator, std::string(1, c), 0, 0, mLine});
        advance(mPos + 1);
        return {};
    }

    std::string mSrc;
    LexerOptions mOptions;
    std::size_t mPos = 0;
    int mLine = 1;
    bool mLineStarting = true;
    std::vector<Token> mTokens;
};

} // namespace

Result<std::vector<Token>> tokenize(std::string_view source, const LexerOptions& options) {
    return Lexer(source, options).run();
}

} // namespace atelier::llm::jinja

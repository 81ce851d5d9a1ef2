// A1111's emphasis grammar as a hand-written scanner. The token order follows its tokenizer: escapes,
// a lone backslash, '(' and '[', ":number)", ')' and ']', a run of other text, a lone ':'.
// Character classes are Python's for str patterns: \s is str.isspace(), \d a decimal digit (Nd),
// \w a letter, a number or '_'.

#include "diffusion/prompt_weights.h"

#include <QChar>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>

namespace atelier::diffusion {

namespace {

constexpr double kRoundMultiplier = 1.1;
constexpr double kSquareMultiplier = 1 / 1.1;

bool isPythonSpace(char32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

bool isWordChar(char32_t c)
{
    return c == '_' || QChar::isLetterOrNumber(c);
}

// The code point that starts at / ends before UTF-16 index `at`.
char32_t codePointAt(QStringView s, qsizetype at)
{
    if (QChar::isHighSurrogate(s[at].unicode()) && at + 1 < s.size() && s[at + 1].isLowSurrogate())
        return QChar::surrogateToUcs4(s[at], s[at + 1]);
    return s[at].unicode();
}

char32_t codePointBefore(QStringView s, qsizetype at)
{
    if (s[at - 1].isLowSurrogate() && at >= 2 && s[at - 2].isHighSurrogate())
        return QChar::surrogateToUcs4(s[at - 2], s[at - 1]);
    return s[at - 1].unicode();
}

qsizetype width(char32_t c) { return QChar::requiresSurrogates(c) ? 2 : 1; }

bool isSyntax(QChar c)
{
    return c == u'\\' || c == u'(' || c == u')' || c == u'[' || c == u']' || c == u':';
}

// ":" \s* [+-]?[.\d]+ \s* ")" at `at`.
struct WeightCloser {
    qsizetype end = 0;                     // one past the ')'
    qsizetype numberStart = 0, numberLength = 0;
    std::optional<double> value;           // none when Python's float() would refuse the number
};

std::optional<WeightCloser> weightCloserAt(QStringView s, qsizetype at)
{
    qsizetype k = at + 1;
    while (k < s.size() && isPythonSpace(s[k].unicode()))
        ++k;
    WeightCloser w;
    w.numberStart = k;
    std::string ascii; // the number with its digits as ASCII, for from_chars
    if (k < s.size() && (s[k] == u'+' || s[k] == u'-')) {
        if (s[k] == u'-')
            ascii += '-';
        ++k;
    }
    int digits = 0, dots = 0;
    while (k < s.size()) {
        const char32_t c = codePointAt(s, k);
        if (c == '.') {
            ascii += '.';
            ++dots;
        } else if (QChar::category(c) == QChar::Number_DecimalDigit) {
            ascii += char('0' + QChar::digitValue(c));
            ++digits;
        } else {
            break;
        }
        k += width(c);
    }
    if (digits + dots == 0)
        return std::nullopt;
    w.numberLength = k - w.numberStart;
    while (k < s.size() && isPythonSpace(s[k].unicode()))
        ++k;
    if (k >= s.size() || s[k] != u')')
        return std::nullopt;
    w.end = k + 1;
    double value = 0;
    const char* first = ascii.data();
    const auto [ptr, ec] = std::from_chars(first, first + ascii.size(), value);
    if (digits > 0 && dots <= 1 && ec == std::errc() && ptr == first + ascii.size())
        w.value = value;
    return w;
}

// The next \s*\bBREAK\b\s* in a text run at or after `from`: [start, end) and where BREAK is.
struct BreakMatch {
    qsizetype start, word, end;
};

std::optional<BreakMatch> breakIn(QStringView text, qsizetype from)
{
    for (qsizetype k = from; (k = text.indexOf(u"BREAK", k)) >= 0; ++k) {
        if (k > 0 && isWordChar(codePointBefore(text, k)))
            continue;
        if (k + 5 < text.size() && isWordChar(codePointAt(text, k + 5)))
            continue;
        BreakMatch m{k, k, k + 5};
        while (m.start > from && isPythonSpace(text[m.start - 1].unicode()))
            --m.start;
        while (m.end < text.size() && isPythonSpace(text[m.end].unicode()))
            ++m.end;
        return m;
    }
    return std::nullopt;
}

struct Parse {
    std::vector<PromptRun> runs; // before neighbours of equal weight merge
    std::vector<PromptSyntaxSpan> spans;
};

class PromptParser {
public:
    explicit PromptParser(const QString& prompt) : mText(prompt) {}

    Parse run()
    {
        for (qsizetype at = 0; at < mText.size();)
            at = step(at);
        // Unclosed brackets weight everything after them: round ones first, then square.
        for (auto* stack : {&mRound, &mSquare}) {
            const double multiplier = stack == &mRound ? kRoundMultiplier : kSquareMultiplier;
            for (const Open& open : *stack) {
                multiply(open.run, multiplier);
                span(PromptSyntax::Group, open.at, mText.size() - open.at, multiplier);
                span(PromptSyntax::Stray, open.at, 1, multiplier);
            }
        }
        for (const auto& [run, at] : mBreaks) {
            if (mParse.runs[run].weight == -1.0)
                span(PromptSyntax::Break, at, 5, 1.0);
        }
        std::stable_sort(mParse.spans.begin(), mParse.spans.end(), [](const auto& a, const auto& b) {
            return a.start < b.start || (a.start == b.start && a.length > b.length);
        });
        return std::move(mParse);
    }

private:
    struct Open {
        size_t run;   // the first run the bracket weights
        qsizetype at; // where the bracket is
    };

    // Consumes one token at `at`; returns where the next starts.
    qsizetype step(qsizetype at)
    {
        const QChar c = mText[at];
        if (c == u'\\') {
            const bool escape = at + 1 < mText.size() && (mText[at + 1] == u'(' || mText[at + 1] == u')' ||
                                                          mText[at + 1] == u'[' || mText[at + 1] == u']' ||
                                                          mText[at + 1] == u'\\');
            mParse.runs.push_back({escape ? QString(mText[at + 1]) : QString(), 1.0});
            span(PromptSyntax::Escape, at, escape ? 2 : 1, 1.0);
            return at + (escape ? 2 : 1);
        }
        if (c == u'(' || c == u'[') {
            (c == u'(' ? mRound : mSquare).push_back({mParse.runs.size(), at});
            return at + 1;
        }
        if (c == u':') {
            const auto weight = weightCloserAt(mText, at);
            if (!weight) {
                text(at, 1);
                return at + 1;
            }
            if (mRound.empty()) {
                text(at, weight->end - at);
                span(PromptSyntax::Stray, at, weight->end - at, 1.0);
                return weight->end;
            }
            const double value = weight->value.value_or(1.0);
            close(mRound, weight->end, value);
            span(weight->value ? PromptSyntax::Weight : PromptSyntax::Stray, weight->numberStart,
                 weight->numberLength, value);
            return weight->end;
        }
        if (c == u')' || c == u']') {
            std::vector<Open>& stack = c == u')' ? mRound : mSquare;
            if (stack.empty()) {
                text(at, 1);
                span(PromptSyntax::Stray, at, 1, 1.0);
            } else {
                close(stack, at + 1, c == u')' ? kRoundMultiplier : kSquareMultiplier);
            }
            return at + 1;
        }
        qsizetype end = at;
        while (end < mText.size() && !isSyntax(mText[end]))
            ++end;
        text(at, end - at);
        return end;
    }

    // Text is split at each BREAK, which becomes a run "BREAK" of weight -1.
    void text(qsizetype at, qsizetype length)
    {
        const QStringView run = QStringView(mText).mid(at, length);
        qsizetype from = 0;
        while (const auto m = breakIn(run, from)) {
            mParse.runs.push_back({run.mid(from, m->start - from).toString(), 1.0});
            mBreaks.push_back({mParse.runs.size(), at + m->word});
            mParse.runs.push_back({QStringLiteral("BREAK"), -1.0});
            from = m->end;
        }
        mParse.runs.push_back({run.mid(from).toString(), 1.0});
    }

    void close(std::vector<Open>& stack, qsizetype end, double multiplier)
    {
        const Open open = stack.back();
        stack.pop_back();
        multiply(open.run, multiplier);
        span(PromptSyntax::Group, open.at, end - open.at, multiplier);
    }

    void multiply(size_t from, double multiplier)
    {
        for (size_t k = from; k < mParse.runs.size(); ++k)
            mParse.runs[k].weight *= multiplier;
    }

    void span(PromptSyntax kind, qsizetype start, qsizetype length, double weight)
    {
        mParse.spans.push_back({kind, start, length, weight});
    }

    const QString& mText;
    Parse mParse;
    std::vector<Open> mRound, mSquare;
    std::vector<std::pair<size_t, qsizetype>> mBreaks; // run index, where BREAK is in the prompt
};

} // namespace

std::vector<PromptRun> parsePromptWeights(const QString& prompt)
{
    std::vector<PromptRun> merged;
    for (PromptRun& run : PromptParser(prompt).run().runs) {
        if (!merged.empty() && merged.back().weight == run.weight)
            merged.back().text += run.text;
        else
            merged.push_back(std::move(run));
    }
    if (merged.empty())
        merged.push_back({QString(), 1.0});
    return merged;
}

std::vector<PromptSyntaxSpan> promptSyntax(const QString& prompt)
{
    return PromptParser(prompt).run().spans;
}

} // namespace atelier::diffusion

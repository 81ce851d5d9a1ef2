#pragma once
// AUTOMATIC1111's prompt emphasis (modules/prompt_parser.py, parse_prompt_attention), restated:
//   (text)       x1.1, nested ((text)) x1.21          [text]   /1.1
//   (text:1.5)   x1.5 (a signed decimal, spaces allowed around it)
//   \( \) \[ \] \\   the character itself; a backslash before anything else is dropped
//   BREAK        (a whole word, capitals) ends the 77-token chunk
// Brackets need not balance: a closing one that closes nothing is text, an unclosed one weights
// everything after it (round ones first, then square, in opening order); a ')' closes the latest
// '(' even across an open '['. Weights multiply in A1111's order in doubles, and neighbouring runs
// of equal weight merge, so the runs and their text boundaries are A1111's exactly. Two quirks kept
// for parity: a BREAK inside brackets is not a break but the word "BREAK" weighted by -1 x the
// brackets; an empty prompt is one empty run. One difference: a weight that is no number
// ("(a:1.2.3)") makes A1111 raise; here its group weighs 1.

#include <QString>

#include <vector>

namespace atelier::diffusion {

struct PromptRun {
    QString text;
    double weight = 1.0; // A1111's multiplier for every token of the text

    bool isBreak() const { return weight == -1.0 && text == QLatin1String("BREAK"); }
    bool operator==(const PromptRun&) const = default;
};

// The prompt as runs of text and weight, as A1111's parse_prompt_attention returns them (at least one).
std::vector<PromptRun> parsePromptWeights(const QString& prompt);

enum class PromptSyntax {
    Group,  // a bracketed group, brackets and weight included; an unclosed one runs to the end
    Weight, // the number of a (text:1.5) group
    Escape, // \( \) \[ \] \\, or a lone backslash that is dropped
    Break,  // a BREAK that ends the chunk
    Stray,  // a bracket that closes nothing (kept as text), an unclosed one, or a weight that is no number
};

struct PromptSyntaxSpan {
    PromptSyntax kind = PromptSyntax::Group;
    qsizetype start = 0;  // in UTF-16 units of the prompt, as QSyntaxHighlighter counts
    qsizetype length = 0;
    double weight = 1.0;  // Group: its own multiplier (1.1, 1/1.1 or its number); Weight: the number

    bool operator==(const PromptSyntaxSpan&) const = default;
};

// What the prompt's syntax marks, for a highlighter: sorted by start, longer spans first.
std::vector<PromptSyntaxSpan> promptSyntax(const QString& prompt);

} // namespace atelier::diffusion

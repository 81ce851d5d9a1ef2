#pragma once
// Splits a chat message's Markdown into prose and fenced code, so code can be shown in its own
// monospace block with a copy button while the prose is rendered by Qt's Markdown reader.

#include <QList>
#include <QString>

namespace atelier::ui {

struct MarkdownBlock {
    enum class Kind { Prose, Code };
    Kind kind = Kind::Prose;
    QString text;     // prose as Markdown; code verbatim, without the fences
    QString language; // a code block's info string ("cpp"); may be empty
    bool closed = true; // false for a code block whose closing fence has not been written yet
    bool operator==(const MarkdownBlock&) const = default;
};

// CommonMark fences: ``` or ~~~ (three or more), indented by at most three spaces; the closing fence
// uses the same character and is at least as long. An unclosed fence runs to the end (as while an
// answer streams in).
QList<MarkdownBlock> splitMarkdown(const QString& markdown);

} // namespace atelier::ui

#include "chat/markdown_blocks.h"

#include <QStringList>

namespace atelier::ui {

namespace {

struct Fence {
    QChar character;
    int length = 0;
    int indent = 0;
    QString info;
};

// A fence opening or closing line, or length 0.
Fence fenceOf(const QString& line)
{
    Fence f;
    int i = 0;
    while (i < line.size() && i < 4 && line[i] == QLatin1Char(' '))
        ++i;
    if (i > 3 || i >= line.size() || (line[i] != QLatin1Char('`') && line[i] != QLatin1Char('~')))
        return f;
    const QChar c = line[i];
    int n = 0;
    while (i + n < line.size() && line[i + n] == c)
        ++n;
    if (n < 3)
        return f;
    const QString info = line.mid(i + n).trimmed();
    if (c == QLatin1Char('`') && info.contains(QLatin1Char('`')))
        return f; // an info string with a backtick is inline code, not a fence
    f.character = c;
    f.length = n;
    f.indent = i;
    f.info = info.section(QLatin1Char(' '), 0, 0);
    return f;
}

bool closes(const QString& line, const Fence& open)
{
    const Fence f = fenceOf(line);
    return f.length >= open.length && f.character == open.character && f.info.isEmpty() &&
           line.trimmed().size() == f.length;
}

// Removes up to `indent` leading spaces, as CommonMark does inside an indented fence.
QString unindent(const QString& line, int indent)
{
    int i = 0;
    while (i < indent && i < line.size() && line[i] == QLatin1Char(' '))
        ++i;
    return line.mid(i);
}

} // namespace

QList<MarkdownBlock> splitMarkdown(const QString& markdown)
{
    QList<MarkdownBlock> blocks;
    QStringList prose, code;
    Fence open;
    auto flushProse = [&] {
        const QString text = prose.join(QLatin1Char('\n'));
        if (!text.trimmed().isEmpty())
            blocks.append({MarkdownBlock::Kind::Prose, text, {}, true});
        prose.clear();
    };
    const QStringList lines = markdown.split(QLatin1Char('\n'));
    for (const QString& line : lines) {
        if (open.length == 0) {
            const Fence f = fenceOf(line);
            if (f.length == 0) {
                prose.append(line);
                continue;
            }
            flushProse();
            open = f;
            continue;
        }
        if (closes(line, open)) {
            blocks.append({MarkdownBlock::Kind::Code, code.join(QLatin1Char('\n')), open.info, true});
            code.clear();
            open = {};
            continue;
        }
        code.append(unindent(line, open.indent));
    }
    if (open.length > 0)
        blocks.append({MarkdownBlock::Kind::Code, code.join(QLatin1Char('\n')), open.info, false});
    else
        flushProse();
    return blocks;
}

} // namespace atelier::ui

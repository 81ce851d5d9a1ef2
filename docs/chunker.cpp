#include "docs/chunker.h"

#include <QStringList>

#include <algorithm>

namespace atelier::docs {

namespace {

// A run of lines that stays together when it fits: a paragraph, a code block, a fence. Blocks of
// one section (the text under one heading) may share a chunk; a new section starts a new chunk.
struct Block {
    qsizetype start = 0; // character offsets in the text, [start, end)
    qsizetype end = 0;
    int section = 0;
    bool whole = false; // a code fence: split only when it is far too long
};

struct Line {
    qsizetype start = 0;
    qsizetype end = 0; // before the '\n'
};

std::vector<Line> splitLines(const QString& text)
{
    std::vector<Line> lines;
    qsizetype start = 0;
    while (true) {
        const qsizetype nl = text.indexOf(QLatin1Char('\n'), start);
        lines.push_back({start, nl < 0 ? text.size() : nl});
        if (nl < 0)
            break;
        start = nl + 1;
    }
    return lines;
}

bool isBlank(const QString& text, const Line& l)
{
    for (qsizetype i = l.start; i < l.end; ++i)
        if (!text[i].isSpace())
            return false;
    return true;
}

// "## Title" -> 2 (and the title); 0 when the line is no ATX heading.
int headingLevel(const QString& text, const Line& l, QString* title)
{
    qsizetype i = l.start;
    while (i < l.end && i - l.start < 3 && text[i] == QLatin1Char(' '))
        ++i;
    int level = 0;
    while (i < l.end && text[i] == QLatin1Char('#') && level < 7) {
        ++level;
        ++i;
    }
    if (level == 0 || level > 6 || (i < l.end && text[i] != QLatin1Char(' ') && text[i] != QLatin1Char('\t')))
        return 0;
    QString t = text.mid(i, l.end - i).trimmed();
    while (t.endsWith(QLatin1Char('#')))
        t.chop(1);
    *title = t.trimmed();
    return level;
}

// "```" or "~~~" (three or more) opening a fence; '' when the line opens none.
QString fenceMarker(const QString& text, const Line& l)
{
    qsizetype i = l.start;
    while (i < l.end && i - l.start < 3 && text[i] == QLatin1Char(' '))
        ++i;
    if (i >= l.end || (text[i] != QLatin1Char('`') && text[i] != QLatin1Char('~')))
        return {};
    const QChar c = text[i];
    qsizetype n = 0;
    while (i + n < l.end && text[i + n] == c)
        ++n;
    return n >= 3 ? QString(n, c) : QString();
}

struct Sections {
    std::vector<Block> blocks;
    std::vector<QString> headings; // headings[section]: the heading path of each section
};

Sections plainBlocks(const QString& text, const std::vector<Line>& lines, bool code)
{
    Sections s{{}, {QString()}};
    Block cur{-1, -1};
    bool sawBlank = false;
    for (const Line& l : lines) {
        if (isBlank(text, l)) {
            sawBlank = cur.start >= 0;
            continue;
        }
        // Source code: a blank line ends a block only when the next line starts at column 0 (a new
        // top-level definition), not inside an indented body or before a closing brace.
        const QChar first = text[l.start];
        const bool topLevel = !first.isSpace() && first != QLatin1Char('}') && first != QLatin1Char(')') &&
                              first != QLatin1Char(']');
        if (cur.start >= 0 && sawBlank && (!code || topLevel)) {
            s.blocks.push_back(cur);
            cur.start = -1;
        }
        if (cur.start < 0)
            cur.start = l.start;
        cur.end = l.end;
        sawBlank = false;
    }
    if (cur.start >= 0)
        s.blocks.push_back(cur);
    return s;
}

Sections markdownBlocks(const QString& text, const std::vector<Line>& lines)
{
    Sections s{{}, {QString()}};
    std::vector<QString> path; // path[level - 1]
    Block cur{-1, -1, 0};
    auto flush = [&] {
        if (cur.start >= 0)
            s.blocks.push_back(cur);
        cur = Block{-1, -1, int(s.headings.size()) - 1};
    };
    for (size_t i = 0; i < lines.size(); ++i) {
        const Line& l = lines[i];
        if (const QString marker = fenceMarker(text, l); !marker.isEmpty()) {
            flush();
            Block fence{l.start, l.end, cur.section, true};
            for (++i; i < lines.size(); ++i) {
                fence.end = lines[i].end;
                const QString close = text.mid(lines[i].start, lines[i].end - lines[i].start).trimmed();
                if (close.startsWith(marker) && close.count(marker[0]) == close.size())
                    break;
            }
            s.blocks.push_back(fence);
            continue;
        }
        QString title;
        if (const int level = headingLevel(text, l, &title); level > 0) {
            flush();
            path.resize(level);
            path[level - 1] = title;
            QStringList names;
            for (const QString& p : path)
                if (!p.isEmpty())
                    names << p;
            s.headings.push_back(names.join(QStringLiteral(" > ")));
            // The heading line opens its section's first chunk, so a search for it finds the section.
            cur = Block{l.start, l.end, int(s.headings.size()) - 1};
            flush();
            continue;
        }
        if (isBlank(text, l)) {
            flush();
            continue;
        }
        if (cur.start < 0)
            cur.start = l.start;
        cur.end = l.end;
    }
    flush();
    return s;
}

// Where to cut [start, end) so the first piece has at most `max` characters: after a line break,
// else after a space, else at `max` (never between the two halves of a surrogate pair).
qsizetype cutPoint(const QString& text, qsizetype start, qsizetype end, int max)
{
    const qsizetype limit = start + max;
    if (end <= limit)
        return end;
    for (QChar sep : {QLatin1Char('\n'), QLatin1Char(' ')}) {
        const qsizetype at = text.lastIndexOf(sep, limit - 1);
        if (at > start + max / 2)
            return at + 1;
    }
    return text[limit - 1].isHighSurrogate() ? limit - 1 : limit;
}

// UTF-8 offsets and line numbers of character offsets.
class Positions {
public:
    Positions(const QString& text, const std::vector<Line>& lines) : mText(text), mLines(lines)
    {
        mLineBytes.reserve(lines.size());
        long long bytes = 0;
        for (const Line& l : lines) {
            mLineBytes.push_back(bytes);
            bytes += QStringView(text).mid(l.start, l.end - l.start).toUtf8().size() + 1;
        }
    }
    int line(qsizetype offset) const // 0-based index into lines
    {
        auto it = std::upper_bound(mLines.begin(), mLines.end(), offset,
                                   [](qsizetype o, const Line& l) { return o < l.start; });
        return int(std::max<std::ptrdiff_t>(0, (it - mLines.begin()) - 1));
    }
    long long byte(qsizetype offset) const
    {
        const int l = line(offset);
        return mLineBytes[l] + QStringView(mText).mid(mLines[l].start, offset - mLines[l].start).toUtf8().size();
    }

private:
    const QString& mText;
    const std::vector<Line>& mLines;
    std::vector<long long> mLineBytes;
};

} // namespace

Chunks chunkText(const QString& text, TextKind kind, const ChunkOptions& options, int page)
{
    const int max = std::max(64, options.maxChars);
    const int overlap = std::clamp(options.overlapChars, 0, max / 2);
    const std::vector<Line> lines = splitLines(text);
    const Sections sections = kind == TextKind::Markdown ? markdownBlocks(text, lines)
                                                         : plainBlocks(text, lines, kind == TextKind::Code);
    const Positions positions(text, lines);

    Chunks chunks;
    auto emitChunk = [&](qsizetype start, qsizetype end, int section) {
        while (start < end && text[start].isSpace())
            ++start;
        while (end > start && text[end - 1].isSpace())
            --end;
        if (start >= end)
            return;
        Chunk c;
        c.ordinal = int(chunks.size());
        c.byteStart = positions.byte(start);
        c.byteEnd = positions.byte(end);
        c.lineStart = positions.line(start) + 1;
        c.lineEnd = positions.line(end - 1) + 1;
        c.page = page;
        c.heading = sections.headings[section];
        c.text = text.mid(start, end - start);
        chunks.push_back(std::move(c));
    };

    qsizetype curStart = -1, curEnd = -1;
    int curSection = 0;
    auto add = [&](qsizetype start, qsizetype end, int section) {
        if (curStart >= 0 && section == curSection && end - curStart <= max) {
            curEnd = end;
            return;
        }
        qsizetype newStart = start;
        if (curStart >= 0) {
            emitChunk(curStart, curEnd, curSection);
            if (section == curSection && overlap > 0) {
                // Start a little before the previous chunk ended, at a word boundary.
                qsizetype from = std::max(curStart, curEnd - overlap);
                while (from < curEnd && !text[from].isSpace())
                    ++from;
                if (from < curEnd && from < start)
                    newStart = from;
            }
        }
        curStart = newStart;
        curEnd = end;
        curSection = section;
    };

    for (const Block& b : sections.blocks) {
        const qsizetype limit = b.whole ? qsizetype(max) * 4 : max;
        if (b.end - b.start <= limit) {
            add(b.start, b.end, b.section);
            continue;
        }
        for (qsizetype s = b.start; s < b.end;) {
            const qsizetype cut = cutPoint(text, s, b.end, max);
            add(s, cut, b.section);
            s = cut;
        }
    }
    if (curStart >= 0)
        emitChunk(curStart, curEnd, curSection);
    return chunks;
}

} // namespace atelier::docs

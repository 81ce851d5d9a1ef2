#include "docs/chunker.h"

#include <QHash>

namespace atelier::docs {

namespace {

QString decodeEntity(QStringView name)
{
    static const QHash<QString, QString> named = {
        {QStringLiteral("amp"), QStringLiteral("&")},   {QStringLiteral("lt"), QStringLiteral("<")},
        {QStringLiteral("gt"), QStringLiteral(">")},    {QStringLiteral("quot"), QStringLiteral("\"")},
        {QStringLiteral("apos"), QStringLiteral("'")},  {QStringLiteral("nbsp"), QStringLiteral(" ")},
        {QStringLiteral("mdash"), QStringLiteral("—")}, {QStringLiteral("ndash"), QStringLiteral("–")},
        {QStringLiteral("hellip"), QStringLiteral("…")}, {QStringLiteral("copy"), QStringLiteral("©")},
    };
    if (name.startsWith(u'#')) {
        bool ok = false;
        const uint code = name.size() > 1 && (name[1] == u'x' || name[1] == u'X') ? name.mid(2).toUInt(&ok, 16)
                                                                                 : name.mid(1).toUInt(&ok, 10);
        if (!ok || code == 0 || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return QStringLiteral("\uFFFD");
        const char32_t c = code;
        return QString::fromUcs4(&c, 1);
    }
    return named.value(name.toString().toLower());
}

// The lower-case tag name at text[i] (just after '<' or "</").
QString tagName(const QString& text, qsizetype i)
{
    qsizetype j = i;
    while (j < text.size() && (text[j].isLetterOrNumber() || text[j] == u'-'))
        ++j;
    return text.mid(i, j - i).toLower();
}

// The offset just past the '>' closing the tag that starts at `i`, quotes respected; -1 if none.
qsizetype tagEnd(const QString& text, qsizetype i)
{
    QChar quote;
    for (; i < text.size(); ++i) {
        const QChar c = text[i];
        if (!quote.isNull()) {
            if (c == quote)
                quote = QChar();
        } else if (c == u'"' || c == u'\'') {
            quote = c;
        } else if (c == u'>') {
            return i + 1;
        }
    }
    return -1;
}

bool isBlockTag(const QString& name)
{
    static const QStringList blocks = {
        QStringLiteral("p"),       QStringLiteral("div"),    QStringLiteral("section"), QStringLiteral("article"),
        QStringLiteral("header"),  QStringLiteral("footer"), QStringLiteral("ul"),      QStringLiteral("ol"),
        QStringLiteral("table"),   QStringLiteral("tr"),     QStringLiteral("pre"),     QStringLiteral("blockquote"),
        QStringLiteral("title"),   QStringLiteral("main"),   QStringLiteral("nav"),     QStringLiteral("hr"),
        QStringLiteral("dl"),      QStringLiteral("dt"),     QStringLiteral("dd"),      QStringLiteral("figure"),
    };
    return blocks.contains(name);
}

} // namespace

QString htmlToText(const QString& html)
{
    QString out;
    out.reserve(html.size() / 2);
    bool pre = false; // inside <pre>: spaces kept
    auto space = [&] {
        if (!out.isEmpty() && !out.back().isSpace())
            out += u' ';
    };
    qsizetype i = 0;
    while (i < html.size()) {
        const QChar c = html[i];
        if (c == u'<') {
            if (html.mid(i, 4) == QLatin1String("<!--")) {
                const qsizetype end = html.indexOf(QLatin1String("-->"), i + 4);
                i = end < 0 ? html.size() : end + 3;
                continue;
            }
            const bool closing = i + 1 < html.size() && html[i + 1] == u'/';
            const QString name = tagName(html, i + (closing ? 2 : 1));
            const qsizetype end = tagEnd(html, i + 1);
            if (end < 0)
                break; // an unterminated tag: the rest is not text
            if (name.isEmpty() && !closing && i + 1 < html.size() && html[i + 1] != u'!' && html[i + 1] != u'?') {
                out += c; // a bare '<' in text
                ++i;
                continue;
            }
            i = end;
            if (!closing && (name == QLatin1String("script") || name == QLatin1String("style") ||
                             name == QLatin1String("noscript") || name == QLatin1String("template"))) {
                const qsizetype close = html.indexOf(QLatin1String("</") + name, i, Qt::CaseInsensitive);
                const qsizetype after = close < 0 ? -1 : tagEnd(html, close + 2);
                i = after < 0 ? html.size() : after;
                continue;
            }
            if (name.size() == 2 && name[0] == u'h' && name[1] >= u'1' && name[1] <= u'6') {
                out += closing ? QStringLiteral("\n\n")
                               : QStringLiteral("\n\n") + QString(name[1].digitValue(), u'#') + u' ';
            } else if (name == QLatin1String("br")) {
                out += u'\n';
            } else if (name == QLatin1String("li")) {
                if (!closing)
                    out += QStringLiteral("\n- ");
            } else if (name == QLatin1String("td") || name == QLatin1String("th")) {
                space();
            } else if (isBlockTag(name)) {
                out += QStringLiteral("\n\n");
                if (name == QLatin1String("pre"))
                    pre = !closing;
            }
            continue;
        }
        if (c == u'&') {
            const qsizetype semi = html.indexOf(u';', i + 1);
            if (semi > i + 1 && semi - i <= 10) {
                const QString decoded = decodeEntity(QStringView(html).mid(i + 1, semi - i - 1));
                if (!decoded.isEmpty()) {
                    out += decoded;
                    i = semi + 1;
                    continue;
                }
            }
            out += c;
            ++i;
            continue;
        }
        if (c.isSpace() && !pre)
            space();
        else
            out += c;
        ++i;
    }
    // Lines without their edge spaces, and at most one blank line in a row.
    QStringList lines = out.split(u'\n');
    QStringList kept;
    for (QString& line : lines) {
        line = line.trimmed();
        if (line.isEmpty() && (kept.isEmpty() || kept.back().isEmpty()))
            continue;
        kept << line;
    }
    while (!kept.isEmpty() && kept.back().isEmpty())
        kept.removeLast();
    return kept.join(u'\n');
}

} // namespace atelier::docs

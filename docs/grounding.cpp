#include "docs/grounding.h"

#include <QRegularExpression>

namespace atelier::docs {

QString groundedQuestion(const QString& question, const std::vector<Hit>& hits, int maxCharsPerSource)
{
    if (hits.empty())
        return question;
    QString text = QStringLiteral(
        "Answer the question using the numbered sources below. Cite the sources you use by their "
        "number in square brackets, like [1]. If the sources do not contain the answer, say so.\n\n");
    for (size_t i = 0; i < hits.size(); ++i) {
        const Hit& h = hits[i];
        QString body = h.text;
        if (body.size() > maxCharsPerSource)
            body = body.left(maxCharsPerSource) + QStringLiteral(" …");
        text += QStringLiteral("[%1] %2 (%3)\n%4\n\n").arg(i + 1).arg(h.path.section(u'/', -1), positionText(h), body);
    }
    text += QStringLiteral("Question: ") + question;
    return text;
}

QString sourceList(const std::vector<Hit>& hits)
{
    QStringList lines;
    for (size_t i = 0; i < hits.size(); ++i) {
        const Hit& h = hits[i];
        QString line = QStringLiteral("[%1] %2, %3").arg(i + 1).arg(h.path, positionText(h));
        if (!h.heading.isEmpty())
            line += QStringLiteral(" (%1)").arg(h.heading);
        lines << line;
    }
    return lines.join(u'\n');
}

QList<int> citedSources(const QString& answer, int count)
{
    static const QRegularExpression bracket(QStringLiteral("\\[(\\d+(?:\\s*,\\s*\\d+)*)\\]"));
    QList<int> cited;
    for (auto it = bracket.globalMatch(answer); it.hasNext();) {
        for (const QString& part : it.next().captured(1).split(u',')) {
            const int n = part.trimmed().toInt();
            if (n >= 1 && n <= count && !cited.contains(n))
                cited << n;
        }
    }
    return cited;
}

} // namespace atelier::docs

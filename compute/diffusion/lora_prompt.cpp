#include "diffusion/lora_prompt.h"

#include <QRegularExpression>
#include <QStringList>

namespace atelier::diffusion {

PromptLoras extractLoraTags(const QString& prompt)
{
    // A1111: re.compile(r"<(\w+):([^>]+)>"), the name's part being the network type.
    static const QRegularExpression tag(QStringLiteral(R"(<(\w+):([^>]+)>)"),
                                        QRegularExpression::UseUnicodePropertiesOption);
    PromptLoras out;
    qsizetype from = 0;
    auto it = tag.globalMatch(prompt);
    while (it.hasNext()) {
        const QRegularExpressionMatch m = it.next();
        if (m.captured(1) != QLatin1String("lora"))
            continue;
        const QStringList items = m.captured(2).split(QLatin1Char(':'));
        LoraTag t;
        t.name = items.value(0).trimmed();
        t.start = m.capturedStart(0);
        t.length = m.capturedLength(0);
        if (items.size() > 1) {
            bool ok = false;
            t.weight = items[1].trimmed().toDouble(&ok);
            t.valid = ok;
            if (!ok)
                t.weight = 1.0;
        }
        t.unetWeight = t.weight;
        if (items.size() > 2) {
            bool ok = false;
            t.unetWeight = items[2].trimmed().toDouble(&ok);
            t.valid = t.valid && ok;
            if (!ok)
                t.unetWeight = t.weight;
        }
        t.valid = t.valid && !t.name.isEmpty();
        out.prompt += prompt.mid(from, t.start - from);
        from = t.start + t.length;
        out.loras.push_back(t);
    }
    out.prompt += prompt.mid(from);
    return out;
}

QString loraTag(const QString& name, double weight)
{
    return QStringLiteral("<lora:%1:%2>").arg(name, QString::number(weight, 'g', 6));
}

} // namespace atelier::diffusion

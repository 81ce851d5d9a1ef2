#include "diffusion/generation_parameters.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QStringList>

namespace atelier::diffusion {

namespace {

// A1111's re_param_code: a key of word characters, spaces, '-' and '/', then a quoted or bare value.
const QRegularExpression& parameterPattern()
{
    static const QRegularExpression re(QStringLiteral(R"re(\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$))re"),
                                       QRegularExpression::UseUnicodePropertiesOption);
    return re;
}

QString quoted(const QString& value)
{
    if (!value.contains(QLatin1Char(',')) && !value.contains(QLatin1Char('\n')) && !value.contains(QLatin1Char(':')))
        return value;
    // json.dumps(value, ensure_ascii=False): the one-element array's text without its brackets.
    const QByteArray json = QJsonDocument(QJsonArray{value}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(json.mid(1, json.size() - 2));
}

QString unquoted(const QString& value)
{
    if (value.size() < 2 || !value.startsWith(QLatin1Char('"')) || !value.endsWith(QLatin1Char('"')))
        return value;
    const QJsonDocument doc = QJsonDocument::fromJson(QStringLiteral("[%1]").arg(value).toUtf8());
    if (!doc.isArray() || doc.array().size() != 1 || !doc.array().at(0).isString())
        return value;
    return doc.array().at(0).toString();
}

QString number(double v) { return QString::number(v, 'g', 10); }

QList<QPair<QString, QString>> pairsOf(const QString& line)
{
    QList<QPair<QString, QString>> pairs;
    auto it = parameterPattern().globalMatch(line);
    while (it.hasNext()) {
        const auto m = it.next();
        if (m.capturedLength(0) == 0)
            break;
        pairs.append({m.captured(1).trimmed(), unquoted(m.captured(2).trimmed())});
    }
    return pairs;
}

} // namespace

QString formatA1111(const GenerationParameters& p)
{
    QList<QPair<QString, QString>> params;
    params.append({QStringLiteral("Steps"), QString::number(p.steps)});
    params.append({QStringLiteral("Sampler"), p.sampler});
    if (!p.scheduleType.isEmpty())
        params.append({QStringLiteral("Schedule type"), p.scheduleType});
    params.append({QStringLiteral("CFG scale"), number(p.cfgScale)});
    params.append({QStringLiteral("Seed"), QString::number(p.seed)});
    params.append({QStringLiteral("Size"), QStringLiteral("%1x%2").arg(p.width).arg(p.height)});
    if (!p.modelHash.isEmpty())
        params.append({QStringLiteral("Model hash"), p.modelHash});
    if (!p.model.isEmpty())
        params.append({QStringLiteral("Model"), p.model});
    if (!p.vaeHash.isEmpty())
        params.append({QStringLiteral("VAE hash"), p.vaeHash});
    if (!p.vae.isEmpty())
        params.append({QStringLiteral("VAE"), p.vae});
    if (p.denoisingStrength)
        params.append({QStringLiteral("Denoising strength"), number(*p.denoisingStrength)});
    if (p.clipSkip > 1)
        params.append({QStringLiteral("Clip skip"), QString::number(p.clipSkip)});
    if (p.maskBlur)
        params.append({QStringLiteral("Mask blur"), QString::number(*p.maskBlur)});
    params.append(p.extras);
    if (!p.version.isEmpty())
        params.append({QStringLiteral("Version"), p.version});

    QStringList written;
    for (const auto& [key, value] : params)
        written << (key == value ? key : key + QStringLiteral(": ") + quoted(value));
    QString text = p.prompt;
    if (!p.negativePrompt.isEmpty())
        text += QStringLiteral("\nNegative prompt: ") + p.negativePrompt;
    return text + QLatin1Char('\n') + written.join(QStringLiteral(", "));
}

Result<GenerationParameters> parseA1111(const QString& text)
{
    QStringList lines = text.trimmed().split(QLatin1Char('\n'));
    QString last = lines.takeLast();
    QList<QPair<QString, QString>> pairs = pairsOf(last);
    if (pairs.size() < 3) {
        lines.append(last);
        pairs.clear();
    }

    GenerationParameters p;
    p.sampler.clear();
    bool negative = false;
    for (QString line : std::as_const(lines)) {
        line = line.trimmed();
        if (line.startsWith(QLatin1String("Negative prompt:"))) {
            negative = true;
            line = line.mid(16).trimmed();
        }
        QString& target = negative ? p.negativePrompt : p.prompt;
        target += (target.isEmpty() ? QString() : QStringLiteral("\n")) + line;
    }
    if (p.prompt.isEmpty() && p.negativePrompt.isEmpty() && pairs.isEmpty())
        return makeError(ErrorCode::Format, "no AUTOMATIC1111 parameters in this text");

    for (const auto& [key, value] : std::as_const(pairs)) {
        bool ok = true;
        if (key == QLatin1String("Steps")) {
            const int steps = value.toInt(&ok);
            p.steps = ok ? steps : p.steps;
        } else if (key == QLatin1String("Sampler")) {
            p.sampler = value;
        } else if (key == QLatin1String("Schedule type")) {
            p.scheduleType = value;
        } else if (key == QLatin1String("CFG scale")) {
            const double cfg = value.toDouble(&ok);
            p.cfgScale = ok ? cfg : p.cfgScale;
        } else if (key == QLatin1String("Seed")) {
            p.seed = value.toULongLong(&ok);
            if (!ok) { // A1111 seeds are signed in places (-1: random); keep the bits
                p.seed = quint64(value.toLongLong(&ok));
            }
        } else if (key == QLatin1String("Size")) {
            static const QRegularExpression size(QStringLiteral("^(\\d+)x(\\d+)$"));
            const auto m = size.match(value);
            ok = m.hasMatch();
            if (ok) {
                p.width = m.captured(1).toInt();
                p.height = m.captured(2).toInt();
            }
        } else if (key == QLatin1String("Model hash")) {
            p.modelHash = value;
        } else if (key == QLatin1String("Model")) {
            p.model = value;
        } else if (key == QLatin1String("VAE hash")) {
            p.vaeHash = value;
        } else if (key == QLatin1String("VAE")) {
            p.vae = value;
        } else if (key == QLatin1String("Denoising strength")) {
            const double strength = value.toDouble(&ok);
            if (ok)
                p.denoisingStrength = strength;
        } else if (key == QLatin1String("Clip skip")) {
            const int skip = value.toInt(&ok);
            p.clipSkip = ok ? skip : p.clipSkip;
        } else if (key == QLatin1String("Mask blur")) {
            const int blur = value.toInt(&ok);
            if (ok)
                p.maskBlur = blur;
        } else if (key == QLatin1String("Version")) {
            p.version = value;
        } else {
            p.extras.append({key, value});
            continue;
        }
        if (!ok) // a value we cannot read as its type stays visible rather than lost
            p.extras.append({key, value});
    }
    return p;
}

QString loraHashes(const GenerationParameters& p)
{
    for (const auto& [key, value] : p.extras)
        if (key == QLatin1String("Lora hashes"))
            return value;
    return {};
}

void setLoraHashes(GenerationParameters& p, const QString& value)
{
    const auto key = QStringLiteral("Lora hashes");
    for (qsizetype i = 0; i < p.extras.size(); ++i)
        if (p.extras[i].first == key) {
            if (value.isEmpty())
                p.extras.removeAt(i);
            else
                p.extras[i].second = value;
            return;
        }
    if (!value.isEmpty())
        p.extras.append({key, value});
}

} // namespace atelier::diffusion

// PictureRecord and its two texts: A1111 `parameters` (what other tools read, and what the PNG
// carries) and the database's JSON copy (every field, lossless); a record read from a PNG's chunks.

#include "store/picture_store.h"

#include "io/png_text.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace atelier::store {

namespace {

// JSON numbers are doubles: a seed above 2^53 would lose its low bits, so it goes as a string.
constexpr quint64 kExactInDouble = quint64(1) << 53;

QJsonValue seedValue(quint64 seed)
{
    return seed <= kExactInDouble ? QJsonValue(double(seed)) : QJsonValue(QString::number(seed));
}

quint64 seedOf(const QJsonValue& value)
{
    if (value.isString())
        return value.toString().toULongLong();
    const double d = value.toDouble();
    return d > 0 ? quint64(d) : 0;
}

quint32 bigEndian(const char* p)
{
    return (quint32(quint8(p[0])) << 24) | (quint32(quint8(p[1])) << 16) | (quint32(quint8(p[2])) << 8) | quint8(p[3]);
}

PictureKind kindOf(const diffusion::GenerationParameters& p)
{
    if (p.maskBlur)
        return PictureKind::Inpaint;
    return p.denoisingStrength ? PictureKind::Img2Img : PictureKind::Txt2Img;
}

// Values another tool wrote that no picture can have (NaN, infinities, negative steps) read as
// Atelier's defaults: the rest of the picture imports, and the database never sees them.
diffusion::GenerationParameters withSaneValues(diffusion::GenerationParameters p)
{
    const diffusion::GenerationParameters defaults;
    if (p.steps < 1 || p.steps > 10000)
        p.steps = defaults.steps;
    if (!std::isfinite(p.cfgScale) || std::abs(p.cfgScale) > 1000)
        p.cfgScale = defaults.cfgScale;
    if (p.denoisingStrength && !(*p.denoisingStrength >= 0 && *p.denoisingStrength <= 1))
        p.denoisingStrength.reset();
    if (p.clipSkip < 1 || p.clipSkip > 100)
        p.clipSkip = defaults.clipSkip;
    if (p.maskBlur && (*p.maskBlur < 0 || *p.maskBlur > 10000))
        p.maskBlur.reset();
    return p;
}

QString text(const QList<io::PngTextChunk>& chunks, const QString& keyword)
{
    for (const io::PngTextChunk& chunk : chunks) {
        if (chunk.keyword == keyword)
            return chunk.text;
    }
    return {};
}

} // namespace

QString pictureKindName(PictureKind kind)
{
    switch (kind) {
    case PictureKind::Img2Img:
        return QStringLiteral("img2img");
    case PictureKind::Inpaint:
        return QStringLiteral("inpaint");
    case PictureKind::Txt2Img:
        break;
    }
    return QStringLiteral("txt2img");
}

PictureKind pictureKindFromName(const QString& name)
{
    if (name == QLatin1String("img2img"))
        return PictureKind::Img2Img;
    if (name == QLatin1String("inpaint"))
        return PictureKind::Inpaint;
    return PictureKind::Txt2Img;
}

QJsonObject parametersToJson(const diffusion::GenerationParameters& p)
{
    QJsonObject json{
        {"prompt", p.prompt},       {"negativePrompt", p.negativePrompt}, {"steps", p.steps},
        {"sampler", p.sampler},     {"scheduleType", p.scheduleType},     {"cfgScale", p.cfgScale},
        {"seed", seedValue(p.seed)}, {"width", p.width},                  {"height", p.height},
        {"modelHash", p.modelHash}, {"model", p.model},                   {"vaeHash", p.vaeHash},
        {"vae", p.vae},             {"clipSkip", p.clipSkip},             {"version", p.version},
    };
    if (p.denoisingStrength)
        json.insert("denoisingStrength", *p.denoisingStrength);
    if (p.maskBlur)
        json.insert("maskBlur", *p.maskBlur);
    QJsonArray extras;
    for (const auto& [key, value] : p.extras)
        extras.append(QJsonArray{key, value});
    json.insert("extras", extras);
    return json;
}

diffusion::GenerationParameters parametersFromJson(const QJsonObject& json)
{
    diffusion::GenerationParameters p;
    p.prompt = json.value("prompt").toString();
    p.negativePrompt = json.value("negativePrompt").toString();
    p.steps = json.value("steps").toInt(p.steps);
    p.sampler = json.value("sampler").toString(p.sampler);
    p.scheduleType = json.value("scheduleType").toString();
    p.cfgScale = json.value("cfgScale").toDouble(p.cfgScale);
    p.seed = seedOf(json.value("seed"));
    p.width = json.value("width").toInt(p.width);
    p.height = json.value("height").toInt(p.height);
    p.modelHash = json.value("modelHash").toString();
    p.model = json.value("model").toString();
    p.vaeHash = json.value("vaeHash").toString();
    p.vae = json.value("vae").toString();
    p.clipSkip = json.value("clipSkip").toInt(p.clipSkip);
    p.version = json.value("version").toString();
    if (json.contains("denoisingStrength"))
        p.denoisingStrength = json.value("denoisingStrength").toDouble();
    if (json.contains("maskBlur"))
        p.maskBlur = json.value("maskBlur").toInt();
    for (const QJsonValue& pair : json.value("extras").toArray()) {
        const QJsonArray kv = pair.toArray();
        if (kv.size() == 2)
            p.extras.append({kv.at(0).toString(), kv.at(1).toString()});
    }
    return p;
}

PictureRecord PictureRecord::fromParameters(const diffusion::GenerationParameters& p, PictureKind kind)
{
    PictureRecord r;
    r.kind = kind;
    r.prompt = p.prompt;
    r.negativePrompt = p.negativePrompt;
    r.parametersText = diffusion::formatA1111(p);
    r.parametersJson = parametersToJson(p);
    r.model = p.model;
    r.modelHash = p.modelHash;
    r.sampler = p.sampler;
    r.scheduler = p.scheduleType;
    r.steps = p.steps;
    r.cfgScale = p.cfgScale;
    r.seed = p.seed;
    r.width = p.width;
    r.height = p.height;
    r.strength = p.denoisingStrength;
    return r;
}

diffusion::GenerationParameters PictureRecord::parameters() const
{
    if (!parametersJson.isEmpty())
        return parametersFromJson(parametersJson);
    diffusion::GenerationParameters p;
    p.prompt = prompt;
    p.negativePrompt = negativePrompt;
    p.model = model;
    p.modelHash = modelHash;
    p.sampler = sampler;
    p.scheduleType = scheduler;
    p.steps = steps;
    p.cfgScale = cfgScale;
    p.seed = seed;
    p.width = width;
    p.height = height;
    p.denoisingStrength = strength;
    return p;
}

Result<PictureRecord> PictureStore::recordFromPng(const QByteArray& png, const QString& origin)
{
    auto read = io::readPngText(png);
    if (!read.ok()) {
        return makeError(read.error().code,
                         QStringLiteral("%1: %2").arg(origin, QString::fromStdString(read.error().message)).toStdString());
    }
    const QList<io::PngTextChunk> chunks = std::move(read).value();
    const QString a1111 = text(chunks, QStringLiteral("parameters"));
    if (a1111.trimmed().isEmpty()) {
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1 carries no generation parameters (no \"parameters\" text chunk).")
                             .arg(origin)
                             .toStdString());
    }
    auto parsed = diffusion::parseA1111(a1111);
    if (!parsed.ok()) {
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1: %2").arg(origin, QString::fromStdString(parsed.error().message)).toStdString());
    }
    const diffusion::GenerationParameters parameters = withSaneValues(std::move(parsed).value());
    PictureRecord record = PictureRecord::fromParameters(parameters, kindOf(parameters));
    record.parametersText = a1111; // as the tool wrote it
    // Create's `atelier` chunk (diffusion/generation_json.h) knows what A1111 text cannot say.
    const QJsonObject atelier = QJsonDocument::fromJson(text(chunks, QStringLiteral("atelier")).toUtf8()).object();
    if (atelier.contains("kind"))
        record.kind = pictureKindFromName(atelier.value("kind").toString());
    const QJsonObject timings = atelier.value("timings").toObject();
    const double seconds = timings.value("text_s").toDouble() + timings.value("sampling_s").toDouble() +
                            timings.value("decode_s").toDouble();
    if (seconds > 0 && seconds < 1e7)
        record.durationMs = qint64(seconds * 1000);

    // The picture's own size beats what its text claims. readPngText has checked the signature
    // and the chunk lengths; IHDR is the first chunk of every PNG.
    if (png.size() < 24 || png.mid(12, 4) != "IHDR") {
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1 is not a PNG picture: it has no image header.").arg(origin).toStdString());
    }
    record.width = int(bigEndian(png.constData() + 16) & 0x7fffffff);
    record.height = int(bigEndian(png.constData() + 20) & 0x7fffffff);
    return record;
}

} // namespace atelier::store

#include "catalogue.h"

#include "core/app_paths.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QUrl>

#include <cmath>

namespace atelier::models {

namespace {

constexpr qint64 kMaxBytes = qint64(1) << 50; // 1 PiB: past any model file, below double's 2^53
constexpr int kMaxModels = 1000;
constexpr int kMaxUrls = 8;

Error refuse(const QString& origin, const QString& where, const QString& what)
{
    return makeError(ErrorCode::Format,
                     QStringLiteral("%1: %2 %3").arg(origin, where, what).toStdString());
}

// One model's checks; `where` is "model 3 (\"id\")" in messages.
class Fields {
public:
    Fields(const QJsonObject& object, QString origin, QString where)
        : mObject(object), mOrigin(std::move(origin)), mWhere(std::move(where)) {}

    Result<QString> text(const char* key, int maxLength, bool required) const
    {
        const QJsonValue v = mObject.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                return refuse(mOrigin, mWhere, QStringLiteral("has no \"%1\"").arg(key));
            return QString();
        }
        if (!v.isString())
            return refuse(mOrigin, mWhere, QStringLiteral("\"%1\" must be text").arg(key));
        const QString s = v.toString();
        if (required && s.trimmed().isEmpty())
            return refuse(mOrigin, mWhere, QStringLiteral("\"%1\" is empty").arg(key));
        if (s.size() > maxLength)
            return refuse(mOrigin, mWhere, QStringLiteral("\"%1\" is longer than %2 characters").arg(key).arg(maxLength));
        for (const QChar c : s)
            if (c.category() == QChar::Other_Control)
                return refuse(mOrigin, mWhere, QStringLiteral("\"%1\" holds a control character").arg(key));
        return s;
    }

    Result<qint64> whole(const char* key, qint64 min, qint64 max, bool required) const
    {
        const QJsonValue v = mObject.value(QLatin1String(key));
        if (v.isUndefined() || v.isNull()) {
            if (required)
                return refuse(mOrigin, mWhere, QStringLiteral("has no \"%1\"").arg(key));
            return qint64(0);
        }
        const double d = v.toDouble(std::nan(""));
        if (!v.isDouble() || !std::isfinite(d) || d != std::floor(d))
            return refuse(mOrigin, mWhere, QStringLiteral("\"%1\" must be a whole number").arg(key));
        if (d < double(min) || d > double(max))
            return refuse(mOrigin, mWhere, QStringLiteral("\"%1\" must be between %2 and %3, got %4")
                                               .arg(key).arg(min).arg(max).arg(qint64(d)));
        return qint64(d);
    }

    QJsonValue raw(const char* key) const { return mObject.value(QLatin1String(key)); }
    Error error(const QString& what) const { return refuse(mOrigin, mWhere, what); }

private:
    QJsonObject mObject;
    QString mOrigin;
    QString mWhere;
};

Result<ModelKind> kindFrom(const QString& text)
{
    if (text == "chat") return ModelKind::Chat;
    if (text == "image") return ModelKind::Image;
    if (text == "embedding") return ModelKind::Embedding;
    if (text == "vision projector") return ModelKind::VisionProjector;
    return makeError(ErrorCode::Format, "");
}

Result<CatalogueModel> parseModel(const QJsonValue& value, int index, const QString& origin)
{
    QString where = QStringLiteral("model %1").arg(index + 1);
    if (!value.isObject())
        return refuse(origin, where, QStringLiteral("is not a JSON object"));
    const QJsonObject object = value.toObject();
    const QString rawId = object.value(QLatin1String("id")).toString();
    if (!rawId.isEmpty())
        where += QStringLiteral(" (\"%1\")").arg(rawId.left(64));
    const Fields f(object, origin, where);

    CatalogueModel m;
    ATELIER_ASSIGN(m.id, f.text("id", 64, true));
    static const QRegularExpression idPattern(QStringLiteral("^[a-z0-9][a-z0-9._-]*$"));
    if (!idPattern.match(m.id).hasMatch())
        return f.error(QStringLiteral("\"id\" may hold only a-z, 0-9, '.', '_' and '-'"));
    ATELIER_ASSIGN(m.name, f.text("name", 100, true));
    ATELIER_ASSIGN(const QString kind, f.text("kind", 32, true));
    auto k = kindFrom(kind);
    if (!k)
        return f.error(QStringLiteral("\"kind\" must be chat, image, embedding or vision projector, got \"%1\"").arg(kind));
    m.kind = k.value();
    ATELIER_ASSIGN(m.architecture, f.text("architecture", 32, true));
    ATELIER_ASSIGN(m.quantization, f.text("quantization", 32, false));
    ATELIER_ASSIGN(m.licence, f.text("licence", 100, true));
    ATELIER_ASSIGN(m.description, f.text("description", 400, false));

    ATELIER_ASSIGN(m.file, f.text("file", 200, true));
    if (m.file.contains('/') || m.file.contains('\\') || m.file.startsWith('.') || m.file.contains(QChar(0)))
        return f.error(QStringLiteral("\"file\" must be a plain file name, got \"%1\"").arg(m.file));
    const QString wantedSuffix = m.kind == ModelKind::Image ? QStringLiteral(".safetensors") : QStringLiteral(".gguf");
    if (!m.file.endsWith(wantedSuffix, Qt::CaseInsensitive))
        return f.error(QStringLiteral("\"file\" of a %1 model must end in %2").arg(kindName(m.kind), wantedSuffix));

    const QJsonValue urls = f.raw("urls");
    if (!urls.isArray() || urls.toArray().isEmpty() || urls.toArray().size() > kMaxUrls)
        return f.error(QStringLiteral("\"urls\" must be a list of 1 to %1 addresses").arg(kMaxUrls));
    for (const QJsonValue& u : urls.toArray()) {
        const QUrl url(u.toString(), QUrl::StrictMode);
        if (!u.isString() || u.toString().size() > 2000 || !url.isValid() || url.host().isEmpty() ||
            (url.scheme() != "https" && url.scheme() != "http"))
            return f.error(QStringLiteral("\"urls\" holds something that is not an http(s) address: %1")
                               .arg(u.toString().left(200)));
        m.urls << url.toString();
    }

    ATELIER_ASSIGN(m.size, f.whole("size", 0, kMaxBytes, false));
    ATELIER_ASSIGN(m.memory, f.whole("memory", 1, kMaxBytes, true));
    ATELIER_ASSIGN(const qint64 context, f.whole("context", 0, 100'000'000, false));
    m.contextLength = int(context);
    ATELIER_ASSIGN(m.sha256, f.text("sha256", 64, false));
    static const QRegularExpression hexPattern(QStringLiteral("^[0-9a-fA-F]{64}$"));
    if (!m.sha256.isEmpty() && !hexPattern.match(m.sha256).hasMatch())
        return f.error(QStringLiteral("\"sha256\" must be 64 hexadecimal digits or empty"));
    m.sha256 = m.sha256.toLower();
    return m;
}

} // namespace

QString kindName(ModelKind kind)
{
    switch (kind) {
    case ModelKind::Chat: return QStringLiteral("chat");
    case ModelKind::Image: return QStringLiteral("image");
    case ModelKind::Embedding: return QStringLiteral("embedding");
    case ModelKind::VisionProjector: return QStringLiteral("vision projector");
    }
    return {};
}

const CatalogueModel* Catalogue::find(const QString& nameOrId) const
{
    for (const CatalogueModel& m : models)
        if (m.id.compare(nameOrId, Qt::CaseInsensitive) == 0)
            return &m;
    if (const CatalogueModel* m = findByFile(nameOrId))
        return m;
    for (const CatalogueModel& m : models)
        if (m.name.compare(nameOrId, Qt::CaseInsensitive) == 0)
            return &m;
    return nullptr;
}

const CatalogueModel* Catalogue::findByFile(const QString& fileName) const
{
    for (const CatalogueModel& m : models)
        if (m.file == fileName)
            return &m;
    return nullptr;
}

const CatalogueModel* Catalogue::bestChatModel(qint64 budgetBytes, qint64 capBytes) const
{
    const CatalogueModel* best = nullptr;
    for (const CatalogueModel& m : models) {
        if (m.kind != ModelKind::Chat || (budgetBytes > 0 && m.memory * 2 > budgetBytes) ||
            (capBytes > 0 && m.memory > capBytes))
            continue;
        if (!best || m.memory > best->memory)
            best = &m;
    }
    return best;
}

Result<Catalogue> parseCatalogue(const QByteArray& json, const QString& origin)
{
    if (json.size() > kMaxCatalogueBytes)
        return makeError(ErrorCode::Format, QStringLiteral("%1: the catalogue is larger than %2 bytes")
                                                .arg(origin).arg(kMaxCatalogueBytes).toStdString());
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return makeError(ErrorCode::Format, QStringLiteral("%1: not valid JSON (%2 at byte %3)")
                                                .arg(origin, parseError.errorString()).arg(parseError.offset)
                                                .toStdString());
    if (!doc.isObject())
        return makeError(ErrorCode::Format, QStringLiteral("%1: the catalogue must be a JSON object").arg(origin).toStdString());
    const QJsonObject root = doc.object();
    Catalogue catalogue;
    const QJsonValue version = root.value(QLatin1String("version"));
    if (version.toDouble() != 1.0)
        return makeError(ErrorCode::Format, QStringLiteral("%1: unknown catalogue version (this Atelier reads version 1)")
                                                .arg(origin).toStdString());
    const QJsonValue list = root.value(QLatin1String("models"));
    if (!list.isArray() || list.toArray().size() > kMaxModels)
        return makeError(ErrorCode::Format, QStringLiteral("%1: \"models\" must be a list of at most %2 models")
                                                .arg(origin).arg(kMaxModels).toStdString());
    QSet<QString> ids;
    QSet<QString> files;
    const QJsonArray array = list.toArray();
    for (int i = 0; i < array.size(); ++i) {
        ATELIER_ASSIGN(CatalogueModel m, parseModel(array[i], i, origin));
        if (ids.contains(m.id))
            return makeError(ErrorCode::Format, QStringLiteral("%1: the id \"%2\" is listed twice").arg(origin, m.id).toStdString());
        if (files.contains(m.file))
            return makeError(ErrorCode::Format, QStringLiteral("%1: the file \"%2\" is listed twice").arg(origin, m.file).toStdString());
        ids.insert(m.id);
        files.insert(m.file);
        catalogue.models << m;
    }
    return catalogue;
}

Result<Catalogue> readCatalogue(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, QStringLiteral("cannot read the model catalogue %1: %2")
                                            .arg(QDir::toNativeSeparators(path), file.errorString()).toStdString());
    if (file.size() > kMaxCatalogueBytes)
        return makeError(ErrorCode::Format, QStringLiteral("%1: the catalogue is larger than %2 bytes")
                                                .arg(QDir::toNativeSeparators(path)).arg(kMaxCatalogueBytes).toStdString());
    return parseCatalogue(file.read(kMaxCatalogueBytes + 1), QDir::toNativeSeparators(path));
}

QString cataloguePath()
{
    const QString fromEnvironment = qEnvironmentVariable("ATELIER_CATALOGUE");
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString user = QDir(paths::dataDir()).filePath(QStringLiteral("catalogue.json"));
    if (QFileInfo::exists(user))
        return user;
    return QStringLiteral(":/catalogue/models.json");
}

Result<Catalogue> loadCatalogue() { return readCatalogue(cataloguePath()); }

} // namespace atelier::models

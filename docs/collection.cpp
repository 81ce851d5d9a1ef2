#include "docs/collection.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <algorithm>

namespace atelier::docs {

QByteArray CollectionSettings::toJson() const
{
    QJsonObject o{{QStringLiteral("chunkChars"), chunks.maxChars},
                  {QStringLiteral("overlapChars"), chunks.overlapChars},
                  {QStringLiteral("maxFileBytes"), double(maxFileBytes)}};
    if (!embeddingModel.isEmpty())
        o[QStringLiteral("embeddingModel")] = embeddingModel;
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

CollectionSettings CollectionSettings::fromJson(const QByteArray& json)
{
    CollectionSettings s;
    const QJsonObject o = QJsonDocument::fromJson(json).object();
    s.chunks.maxChars = std::clamp(o.value(QStringLiteral("chunkChars")).toInt(s.chunks.maxChars), 64, 100000);
    s.chunks.overlapChars =
        std::clamp(o.value(QStringLiteral("overlapChars")).toInt(s.chunks.overlapChars), 0, s.chunks.maxChars / 2);
    const double maxBytes = o.value(QStringLiteral("maxFileBytes")).toDouble(double(s.maxFileBytes));
    if (maxBytes >= 1 && maxBytes <= 1e12)
        s.maxFileBytes = qint64(maxBytes);
    s.embeddingModel = o.value(QStringLiteral("embeddingModel")).toString();
    return s;
}

QString positionText(const Hit& hit)
{
    if (hit.page > 0)
        return QStringLiteral("page %1").arg(hit.page);
    if (hit.lineEnd > hit.lineStart)
        return QStringLiteral("lines %1-%2").arg(hit.lineStart).arg(hit.lineEnd);
    return QStringLiteral("line %1").arg(hit.lineStart);
}

} // namespace atelier::docs

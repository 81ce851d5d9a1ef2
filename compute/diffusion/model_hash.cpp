#include "diffusion/model_hash.h"

#include "core/app_paths.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace atelier::diffusion {

namespace {

QJsonObject readCache(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QJsonDocument::fromJson(file.readAll()).object(); // a damaged cache reads as empty
}

} // namespace

std::string modelHash(const std::string& path, const std::string& cacheFile)
{
    const QFileInfo info(QString::fromStdString(path));
    if (!info.isFile())
        return {};
    const QString cachePath =
        cacheFile.empty() ? paths::cacheDir() + QStringLiteral("/model-hashes.json") : QString::fromStdString(cacheFile);
    const QString key = info.absoluteFilePath();
    const QJsonObject stamp{{"size", double(info.size())},
                            {"mtime", double(info.lastModified().toMSecsSinceEpoch())}};
    QJsonObject cache = readCache(cachePath);
    const QJsonObject known = cache.value(key).toObject();
    if (known.value("size") == stamp.value("size") && known.value("mtime") == stamp.value("mtime") &&
        known.value("sha256").toString().size() == 64)
        return known.value("sha256").toString().left(10).toStdString();

    QFile file(key);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file))
        return {};
    const QString sha256 = QString::fromLatin1(hash.result().toHex());
    QJsonObject entry = stamp;
    entry.insert("sha256", sha256);
    cache.insert(key, entry);
    QDir().mkpath(QFileInfo(cachePath).absolutePath());
    QSaveFile out(cachePath); // losing the cache only costs a re-read
    if (out.open(QIODevice::WriteOnly)) {
        out.write(QJsonDocument(cache).toJson(QJsonDocument::Indented));
        out.commit();
    }
    return sha256.left(10).toStdString();
}

} // namespace atelier::diffusion

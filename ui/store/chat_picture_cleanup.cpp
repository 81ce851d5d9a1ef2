#include "store/chat_picture_cleanup.h"

#include "store/database.h"
#include "store/sql.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QSqlQuery>

namespace atelier::store {

Result<QStringList> namedChatPictures(Database& db)
{
    // A message's pictures live beside its stats in the stats column (chat_store.cpp).
    ATELIER_ASSIGN(QSqlQuery query, execute(db, QStringLiteral("read the chat pictures' names"),
                                            QStringLiteral("SELECT stats FROM messages WHERE instr(stats, '\"pictures\"') > 0")));
    QSet<QString> names;
    while (query.next()) {
        const QJsonObject stats = QJsonDocument::fromJson(query.value(0).toString().toUtf8()).object();
        for (const QJsonValue& name : stats.value(QLatin1String("pictures")).toArray())
            if (name.isString() && !name.toString().isEmpty())
                names.insert(name.toString());
    }
    QStringList list(names.begin(), names.end());
    list.sort();
    return list;
}

Result<ChatPictureCleanup> removeUnusedChatPictures(Database& db, const QString& folder, qint64 minAgeSeconds)
{
    ATELIER_ASSIGN(const QStringList named, namedChatPictures(db));
    const QSet<QString> inUse(named.begin(), named.end());
    // The names keepChatPicture gives (ui/chat/picture_files.cpp): a hash of the bytes and the format.
    static const QRegularExpression atelierName(QStringLiteral("^[0-9a-f]{32}\\.[a-z0-9]{1,8}$"));
    const QDateTime oldest = QDateTime::currentDateTimeUtc().addSecs(-minAgeSeconds);
    ChatPictureCleanup cleanup;
    const QFileInfoList files = QDir(folder).entryInfoList(QDir::Files | QDir::Hidden | QDir::System, QDir::Name);
    for (const QFileInfo& file : files) {
        const QString name = file.fileName();
        const bool unused = !inUse.contains(name) && atelierName.match(name).hasMatch() && !file.isSymLink() &&
                            file.lastModified().toUTC() < oldest;
        if (!unused) {
            ++cleanup.kept;
            continue;
        }
        const qint64 size = file.size();
        if (QFile::remove(file.absoluteFilePath())) {
            cleanup.removed << name;
            cleanup.removedBytes += size;
        } else {
            ++cleanup.kept;
        }
    }
    return cleanup;
}

} // namespace atelier::store

// PictureStore::recoverOrphans: picture files in the gallery folder that no row names. A process
// killed between writing a picture and committing its row leaves one; without this pass it would
// stay on disk for ever, unseen (issue 18).

#include "store/picture_store.h"

#include "store/database.h"
#include "store/gallery_files.h"
#include "store/sql.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QSet>
#include <QSqlQuery>

#include <algorithm>

namespace atelier::store {

namespace {

const QLatin1String kMaskSuffix("-mask.png"); // an inpaint's mask beside "<name>.png" (inpaint_record.cpp)

bool isMask(const QString& file) { return file.endsWith(kMaskSuffix, Qt::CaseInsensitive); }

QString maskOf(const QString& file) { return file.chopped(4) + kMaskSuffix; } // "x.png" -> "x-mask.png"

Result<QByteArray> readPicture(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly) || file.size() > kMaxPictureFileBytes)
        return makeError(ErrorCode::Io, QStringLiteral("Could not read %1.").arg(path).toStdString());
    return file.readAll();
}

} // namespace

Result<OrphanRecovery> PictureStore::recoverOrphans(qint64 minAgeSeconds)
{
    OrphanRecovery recovery;
    if (!QFileInfo(mGalleryDir).isDir())
        return recovery;

    const QString what = QStringLiteral("list the pictures' files");
    ATELIER_ASSIGN(QSqlQuery query, execute(mDb, what,
                                            QStringLiteral("SELECT file FROM pictures UNION "
                                                           "SELECT mask_file FROM pictures WHERE mask_file IS NOT NULL")));
    QSet<QString> named;
    while (query.next())
        named.insert(query.value(0).toString());
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());

    // Plain files only: a link in the gallery is never adopted, followed or deleted.
    const QDir gallery(mGalleryDir);
    const QDateTime settled = QDateTime::currentDateTime().addSecs(-minAgeSeconds);
    QStringList orphans;
    QDirIterator it(mGalleryDir, {QStringLiteral("*.png"), QStringLiteral("*.PNG")},
                    QDir::Files | QDir::NoSymLinks | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        const QString path = it.next();
        const QString file = gallery.relativeFilePath(path);
        if (!named.contains(file) && it.fileInfo().lastModified() < settled)
            orphans << file;
    }
    // Pictures before masks, so a mask goes with the picture it belongs to.
    std::stable_partition(orphans.begin(), orphans.end(), [](const QString& file) { return !isMask(file); });

    QSet<QString> claimed;
    for (const QString& file : std::as_const(orphans)) {
        if (claimed.contains(file))
            continue;
        const QString path = absolutePath(file);
        Result<PictureRecord> record = makeError(ErrorCode::Format, "a mask says nothing of what made it");
        if (!isMask(file)) {
            auto png = readPicture(path);
            record = png.ok() ? recordFromPng(png.value(), path) : Result<PictureRecord>(png.error());
        }
        if (record.ok()) {
            PictureRecord& r = record.value();
            r.file = file;
            r.created = QFileInfo(path).lastModified();
            if (orphans.contains(maskOf(file))) {
                r.maskFile = maskOf(file);
                claimed.insert(r.maskFile);
            }
            ATELIER_ASSIGN(const bool inserted, insertRow(r));
            if (inserted) // else another Atelier adopted it a moment ago
                recovery.adopted << r;
            continue;
        }
        // Nothing says what made it: no row can show it. Checked again right before it goes, since
        // another process may have recorded it since the list above.
        ATELIER_ASSIGN(const bool used, fileInUse(file));
        if (!used && QFile::remove(path))
            recovery.removed << file;
    }
    return recovery;
}

} // namespace atelier::store

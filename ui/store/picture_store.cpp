#include "store/picture_store.h"

#include "io/png_text.h"
#include "store/database.h"
#include "store/gallery_files.h"
#include "store/sql.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>

#include <spdlog/spdlog.h>

#include <cmath>

namespace atelier::store {

namespace {

constexpr int kMaxNameTries = 1000;   // "-2" ... "-1000" after a taken name
constexpr int kSqliteConstraint = 19; // SQLite's primary result code (sqlite3.h)

const QString kColumns = QStringLiteral(
    "id, file, created, kind, prompt, negative, parameters, parameters_json, model, model_hash, sampler, "
    "scheduler, steps, cfg, seed, width, height, strength, duration_ms, parent_id, mask_file");

QString nonNull(const QString& text) { return text.isNull() ? QString("") : text; }
QVariant idOrNull(qint64 id) { return id == 0 ? QVariant(QMetaType::fromType<qint64>()) : QVariant(id); }
QVariant textOrNull(const QString& text) { return text.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(text); }
QString jsonText(const QJsonObject& json) { return QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)); }

// The row's JSON without the prompts, which the prompt and negative columns already hold: a long
// prompt is stored in the row as its text, folded for search, and inside the A1111 text, no more.
QString storedJson(QJsonObject json)
{
    json.remove(QStringLiteral("prompt"));
    json.remove(QStringLiteral("negativePrompt"));
    return jsonText(json);
}

PictureRecord readPicture(const QSqlQuery& q)
{
    PictureRecord r;
    r.id = q.value(0).toLongLong();
    r.file = q.value(1).toString();
    r.created = QDateTime::fromMSecsSinceEpoch(q.value(2).toLongLong());
    r.kind = pictureKindFromName(q.value(3).toString());
    r.prompt = q.value(4).toString();
    r.negativePrompt = q.value(5).toString();
    r.parametersText = q.value(6).toString();
    r.parametersJson = QJsonDocument::fromJson(q.value(7).toString().toUtf8()).object();
    if (!r.parametersJson.isEmpty()) { // the prompts live in their own columns (storedJson)
        r.parametersJson.insert(QStringLiteral("prompt"), r.prompt);
        r.parametersJson.insert(QStringLiteral("negativePrompt"), r.negativePrompt);
    }
    r.model = q.value(8).toString();
    r.modelHash = q.value(9).toString();
    r.sampler = q.value(10).toString();
    r.scheduler = q.value(11).toString();
    r.steps = q.value(12).toInt();
    r.cfgScale = q.value(13).toDouble();
    r.seed = quint64(q.value(14).toLongLong()); // the same 64 bits
    r.width = q.value(15).toInt();
    r.height = q.value(16).toInt();
    if (!q.value(17).isNull())
        r.strength = q.value(17).toDouble();
    r.durationMs = q.value(18).toLongLong();
    r.parentId = q.value(19).toLongLong();
    r.maskFile = q.value(20).toString();
    return r;
}

// " AND ..." for `filter`, appending the values it binds.
QString whereFilter(const PictureFilter& filter, QVariantList& values)
{
    QString sql;
    if (!filter.text.isEmpty()) {
        sql += QStringLiteral(" AND instr(prompt_folded, ?) > 0");
        values << filter.text.toCaseFolded();
    }
    if (!filter.model.isEmpty()) {
        sql += QStringLiteral(" AND model = ?");
        values << filter.model;
    }
    if (filter.from.isValid()) {
        sql += QStringLiteral(" AND created >= ?");
        values << filter.from.startOfDay().toMSecsSinceEpoch();
    }
    if (filter.to.isValid()) {
        sql += QStringLiteral(" AND created < ?");
        values << filter.to.addDays(1).startOfDay().toMSecsSinceEpoch();
    }
    return sql;
}

Error noPicture(const Database& db, qint64 id)
{
    return makeError(ErrorCode::InvalidArgument,
                     QStringLiteral("There is no picture %1 in %2.").arg(id).arg(db.path()).toStdString());
}

// The PNG with the record's A1111 `parameters` in it, for every other tool; text chunks already
// there (Create's `atelier` JSON among them) are kept as they are.
Result<QByteArray> withParameters(const QByteArray& png, const PictureRecord& record)
{
    ATELIER_ASSIGN(const QList<io::PngTextChunk> chunks, io::readPngText(png));
    for (const io::PngTextChunk& chunk : chunks) {
        if (chunk.keyword == QLatin1String("parameters"))
            return png;
    }
    return io::addPngText(png, {{QStringLiteral("parameters"), record.parametersText}});
}

} // namespace

PictureStore::PictureStore(Database& db, QString galleryDir)
    : mDb(db)
    , mGalleryDir(QDir::cleanPath(galleryDir))
{
}

QString PictureStore::absolutePath(const QString& file) const
{
    return file.isEmpty() ? QString() : mGalleryDir + QLatin1Char('/') + file;
}

QString PictureStore::defaultFileName(const PictureRecord& record) const
{
    const QDateTime local = record.created.toLocalTime();
    return QStringLiteral("%1/%2-%3.png")
        .arg(local.toString(QStringLiteral("yyyy-MM-dd")), local.toString(QStringLiteral("HHmmss-zzz")))
        .arg(record.seed);
}

Result<PictureRecord> PictureStore::add(PictureRecord record, const QByteArray& png)
{
    if (!record.created.isValid())
        record.created = QDateTime::currentDateTime();
    if (record.parametersJson.isEmpty())
        record.parametersJson = parametersToJson(record.parameters());
    if (record.parametersText.isEmpty())
        record.parametersText = diffusion::formatA1111(record.parameters());
    const QString wanted = record.file.isEmpty() ? defaultFileName(record) : record.file;
    ATELIER_ASSIGN(const QByteArray bytes, withParameters(png, record));

    ATELIER_ASSIGN(const QString wantedPath, pathInGallery(mGalleryDir, wanted));
    const QString folder = QFileInfo(wantedPath).absolutePath();
    if (!QDir().mkpath(folder)) {
        return makeError(ErrorCode::Io,
                         QStringLiteral("Could not create the folder %1 for the picture.").arg(folder).toStdString());
    }
    ATELIER_TRY(pathInGallery(mGalleryDir, wanted)); // the folder just made is no link out

    // Time and seed make names that two processes (or two pictures of one millisecond) can share:
    // the file is created exclusively, and a name taken on disk or in a row means the next one.
    for (int n = 1; n <= kMaxNameTries; ++n) {
        record.file = candidateName(wanted, n);
        const QString path = absolutePath(record.file);
        ATELIER_ASSIGN(const Creation created, createExclusively(path, bytes));
        if (created == Creation::NameTaken)
            continue;
        auto inserted = insertRow(record);
        if (inserted.ok() && inserted.value())
            return record;
        QFile::remove(path); // ours, and a file without its row would never show in the gallery
        if (!inserted.ok())
            return inserted.error();
    }
    return makeError(ErrorCode::Io, QStringLiteral("Could not find a free file name for %1 in %2.")
                                        .arg(wanted, mGalleryDir)
                                        .toStdString());
}

Result<bool> PictureStore::insertRow(PictureRecord& record)
{
    const QString what = QStringLiteral("record the picture %1").arg(record.file);
    QSqlQuery query(mDb.sql());
    if (!query.prepare(QStringLiteral(
            "INSERT INTO pictures (file, created, kind, prompt, prompt_folded, negative, parameters, "
            "parameters_json, model, model_hash, sampler, scheduler, steps, cfg, seed, width, height, "
            "strength, duration_ms, parent_id, mask_file) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")))
        return sqlError(mDb, what, query.lastError());
    // SQLite stores NaN as NULL; a value no parser should have let through still makes a row.
    const double cfg = std::isfinite(record.cfgScale) ? record.cfgScale : 0.0;
    const bool strength = record.strength && std::isfinite(*record.strength);
    for (const QVariant& value : QVariantList{
             record.file, record.created.toMSecsSinceEpoch(), pictureKindName(record.kind), nonNull(record.prompt),
             nonNull(record.prompt.toCaseFolded()), nonNull(record.negativePrompt), nonNull(record.parametersText),
             storedJson(record.parametersJson), nonNull(record.model), nonNull(record.modelHash), nonNull(record.sampler),
             nonNull(record.scheduler), record.steps, cfg, qint64(record.seed), record.width, record.height,
             strength ? QVariant(*record.strength) : QVariant(QMetaType::fromType<double>()), record.durationMs,
             idOrNull(record.parentId), textOrNull(record.maskFile)})
        query.addBindValue(value);
    if (!query.exec()) {
        const QSqlError error = query.lastError();
        if ((error.nativeErrorCode().toInt() & 0xff) == kSqliteConstraint &&
            error.databaseText().contains(QLatin1String("pictures.file")))
            return false; // UNIQUE(file): a row already names it
        return sqlError(mDb, what, error);
    }
    record.id = query.lastInsertId().toLongLong();
    return true;
}

Result<bool> PictureStore::fileInUse(const QString& file)
{
    ATELIER_ASSIGN(const QVariant rows,
                   scalar(mDb, QStringLiteral("check whether a picture uses %1").arg(file),
                          QStringLiteral("SELECT count(*) FROM pictures WHERE file = ? OR mask_file = ?"), {file, file}));
    return rows.toLongLong() > 0;
}

Result<PictureRecord> PictureStore::importFile(const QString& path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, QStringLiteral("Could not read %1: %2").arg(path, file.errorString()).toStdString());
    if (file.size() > kMaxPictureFileBytes) {
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1 is too large for a picture (%2 bytes).").arg(path).arg(file.size()).toStdString());
    }
    const QByteArray png = file.readAll();
    ATELIER_ASSIGN(PictureRecord record, recordFromPng(png, path));
    return add(std::move(record), png);
}

Result<PictureRecord> PictureStore::picture(qint64 id) const
{
    const QString what = QStringLiteral("read picture %1").arg(id);
    ATELIER_ASSIGN(QSqlQuery query,
                   execute(mDb, what, QStringLiteral("SELECT %1 FROM pictures WHERE id = ?").arg(kColumns), {id}));
    if (query.next())
        return readPicture(query);
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    return noPicture(mDb, id);
}

Result<qint64> PictureStore::pictureAt(const QString& path) const
{
    const QString file = QDir(mGalleryDir).relativeFilePath(QFileInfo(path).absoluteFilePath());
    if (file.startsWith(QLatin1String("../")) || QDir::isAbsolutePath(file))
        return qint64(0); // outside the gallery
    ATELIER_ASSIGN(QSqlQuery query,
                   execute(mDb, QStringLiteral("find the picture %1").arg(file),
                           QStringLiteral("SELECT id FROM pictures WHERE file = ? AND removed IS NULL "
                                          "ORDER BY id DESC LIMIT 1"),
                           {file}));
    return query.next() ? query.value(0).toLongLong() : qint64(0);
}

Result<QList<PictureRecord>> PictureStore::pictures(const PictureFilter& filter, const PictureCursor& after,
                                                    int limit) const
{
    const QString what = QStringLiteral("list the pictures");
    QVariantList values;
    QString sql = QStringLiteral("SELECT %1 FROM pictures WHERE removed IS NULL").arg(kColumns) + whereFilter(filter, values);
    if (after.id != 0) {
        sql += QStringLiteral(" AND (created < ? OR (created = ? AND id < ?))");
        values << after.created << after.created << after.id;
    }
    sql += QStringLiteral(" ORDER BY created DESC, id DESC LIMIT ?");
    values << limit;
    ATELIER_ASSIGN(QSqlQuery query, execute(mDb, what, sql, values));
    QList<PictureRecord> found;
    while (query.next())
        found << readPicture(query);
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    return found;
}

Result<int> PictureStore::count(const PictureFilter& filter) const
{
    QVariantList values;
    const QString sql = QStringLiteral("SELECT count(*) FROM pictures WHERE removed IS NULL") + whereFilter(filter, values);
    ATELIER_ASSIGN(const QVariant n, scalar(mDb, QStringLiteral("count the pictures"), sql, values));
    return n.toInt();
}

Result<QStringList> PictureStore::models() const
{
    const QString what = QStringLiteral("list the pictures' models");
    ATELIER_ASSIGN(QSqlQuery query,
                   execute(mDb, what,
                           QStringLiteral("SELECT DISTINCT model FROM pictures WHERE removed IS NULL AND model <> '' "
                                          "ORDER BY model")));
    QStringList names;
    while (query.next())
        names << query.value(0).toString();
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    return names;
}

Status PictureStore::remove(qint64 id)
{
    ATELIER_ASSIGN(const QSqlQuery query,
                   execute(mDb, QStringLiteral("delete picture %1").arg(id),
                           QStringLiteral("UPDATE pictures SET removed = coalesce(removed, ?) WHERE id = ?"),
                           {QDateTime::currentMSecsSinceEpoch(), id}));
    if (query.numRowsAffected() == 0)
        return noPicture(mDb, id);
    return {};
}

Status PictureStore::restore(qint64 id)
{
    ATELIER_ASSIGN(const QSqlQuery query, execute(mDb, QStringLiteral("restore picture %1").arg(id),
                                                  QStringLiteral("UPDATE pictures SET removed = NULL WHERE id = ?"), {id}));
    if (query.numRowsAffected() == 0)
        return noPicture(mDb, id);
    return {};
}

Result<QList<qint64>> PictureStore::purgeRemoved()
{
    const QString what = QStringLiteral("delete the removed pictures");
    ATELIER_ASSIGN(WriteTransaction transaction, WriteTransaction::begin(mDb, what));
    ATELIER_ASSIGN(QSqlQuery query, execute(mDb, what,
                                            QStringLiteral("SELECT id, file, mask_file FROM pictures "
                                                           "WHERE removed IS NOT NULL")));
    QList<qint64> ids;
    QStringList files;
    while (query.next()) {
        ids << query.value(0).toLongLong();
        files << query.value(1).toString() << query.value(2).toString();
    }
    ATELIER_TRY(execute(mDb, what, QStringLiteral("DELETE FROM pictures WHERE removed IS NOT NULL")));
    ATELIER_TRY(transaction.commit());
    // Files go only once their rows are gone: a failed commit leaves every picture whole. A row
    // names a path, which is not proof the file is Atelier's: only the gallery folder's are deleted.
    for (const QString& file : std::as_const(files)) {
        if (file.isEmpty())
            continue;
        auto path = pathInGallery(mGalleryDir, file);
        if (!path.ok()) {
            spdlog::warn("{} It was left where it is.", path.error().message);
            continue;
        }
        auto used = fileInUse(file);
        if (used.ok() && !used.value())
            QFile::remove(path.value());
    }
    return ids;
}

Result<QList<PromptUse>> PictureStore::prompts(const QString& filter, int limit) const
{
    const QString what = QStringLiteral("read the prompt history");
    QVariantList values;
    QString sql = QStringLiteral("SELECT text, image, count(*), max(used) FROM prompt_uses");
    if (!filter.isEmpty()) {
        sql += QStringLiteral(" WHERE instr(text_folded, ?) > 0");
        values << filter.toCaseFolded();
    }
    sql += QStringLiteral(" GROUP BY text, image ORDER BY max(used) DESC LIMIT ?");
    values << limit;
    ATELIER_ASSIGN(QSqlQuery query, execute(mDb, what, sql, values));
    QList<PromptUse> found;
    while (query.next()) {
        found.append({query.value(0).toString(), query.value(1).toInt() != 0, query.value(2).toInt(),
                      QDateTime::fromMSecsSinceEpoch(query.value(3).toLongLong())});
    }
    if (query.lastError().isValid())
        return sqlError(mDb, what, query.lastError());
    return found;
}

} // namespace atelier::store

#include "docs/collection_store.h"

#include "store/database.h"
#include "store/sql.h"

#include <QDateTime>
#include <QRegularExpression>

#include <cstring>

namespace atelier::docs {

using store::execute;
using store::scalar;
using store::WriteTransaction;

namespace {

// "1, 2, 3" for an IN (...) list; the ids are this program's integers, never user text.
QString idList(const std::vector<qint64>& ids)
{
    QStringList parts;
    for (qint64 id : ids)
        parts << QString::number(id);
    return parts.join(QStringLiteral(", "));
}

constexpr const char* kHitColumns =
    "c.id, col.name, f.path, c.page, c.line_start, c.line_end, c.byte_start, c.heading, c.text";

Hit readHit(const QSqlQuery& q)
{
    Hit h;
    h.chunkId = q.value(0).toLongLong();
    h.collection = q.value(1).toString();
    h.path = q.value(2).toString();
    h.page = q.value(3).toInt();
    h.lineStart = q.value(4).toInt();
    h.lineEnd = q.value(5).toInt();
    h.byteStart = q.value(6).toLongLong();
    h.heading = q.value(7).toString();
    h.text = q.value(8).toString();
    return h;
}

FileRecord readFile(const QSqlQuery& q)
{
    FileRecord f;
    f.id = q.value(0).toLongLong();
    f.path = q.value(1).toString();
    f.size = q.value(2).toLongLong();
    f.mtime = q.value(3).toLongLong();
    f.hash = q.value(4).toByteArray();
    f.kind = q.value(5).toString();
    f.indexed = q.value(6).toString() == QLatin1String("indexed");
    f.reason = q.value(7).toString();
    return f;
}

// '' instead of a null QString, which Qt SQL binds as NULL.
QString text(const QString& s) { return s.isNull() ? QStringLiteral("") : s; }

} // namespace

Result<std::vector<std::pair<qint64, QString>>> CollectionStore::chunksWithoutVectors(qint64 collectionId,
                                                                                      const QString& model, int limit)
{
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("find chunks without vectors"),
                                        QStringLiteral("SELECT c.id, c.heading, c.text FROM doc_chunks AS c "
                                                       "JOIN doc_files AS f ON f.id = c.file_id "
                                                       "WHERE f.collection_id = ? AND NOT EXISTS (SELECT 1 FROM doc_vectors AS v "
                                                       "WHERE v.chunk_id = c.id AND v.model = ?) ORDER BY c.id LIMIT ?"),
                                        {collectionId, model, limit}));
    std::vector<std::pair<qint64, QString>> out;
    while (q.next()) {
        const QString heading = q.value(1).toString(), text = q.value(2).toString();
        out.emplace_back(q.value(0).toLongLong(), heading.isEmpty() ? text : heading + u'\n' + text);
    }
    return out;
}

Result<int> CollectionStore::vectorCount(qint64 collectionId, const QString& model)
{
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("count the vectors"),
                                        QStringLiteral("SELECT COUNT(*) FROM doc_vectors AS v "
                                                       "JOIN doc_chunks AS c ON c.id = v.chunk_id "
                                                       "JOIN doc_files AS f ON f.id = c.file_id "
                                                       "WHERE f.collection_id = ? AND v.model = ?"),
                                        {collectionId, model}));
    return q.next() ? q.value(0).toInt() : 0;
}

QString ftsQuery(const QString& text)
{
    static const QRegularExpression word(QStringLiteral("[\\p{L}\\p{N}_]+"));
    QStringList terms;
    for (auto it = word.globalMatch(text); it.hasNext();) {
        const QString w = it.next().captured();
        if (!terms.contains(QLatin1Char('"') + w + QLatin1Char('"')))
            terms << QLatin1Char('"') + w + QLatin1Char('"');
    }
    return terms.join(QStringLiteral(" OR "));
}

Result<Collection> CollectionStore::create(const QString& name, const CollectionSettings& settings)
{
    const QString trimmed = name.trimmed();
    if (trimmed.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "a collection needs a name");
    ATELIER_ASSIGN(const QVariant taken,
                   scalar(mDb, QStringLiteral("look for the collection"),
                          QStringLiteral("SELECT count(*) FROM doc_collections WHERE name = ?"), {trimmed}));
    if (taken.toInt() > 0)
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("there is a collection named %1 already").arg(trimmed).toStdString());
    ATELIER_TRY(execute(mDb, QStringLiteral("create the collection"),
                        QStringLiteral("INSERT INTO doc_collections (name, created, settings) VALUES (?, ?, ?)"),
                        {trimmed, QDateTime::currentMSecsSinceEpoch(), QString::fromUtf8(settings.toJson())}));
    return find(trimmed);
}

Result<Collection> CollectionStore::find(const QString& name)
{
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("read the collection"),
                                        QStringLiteral("SELECT id, name, settings FROM doc_collections WHERE name = ?"),
                                        {name.trimmed()}));
    if (!q.next())
        return makeError(ErrorCode::InvalidArgument,
                         QStringLiteral("there is no collection named %1").arg(name).toStdString());
    Collection c;
    c.id = q.value(0).toLongLong();
    c.name = q.value(1).toString();
    c.settings = CollectionSettings::fromJson(q.value(2).toByteArray());
    return fill(std::move(c));
}

Result<Collection> CollectionStore::fill(Collection c)
{
    ATELIER_ASSIGN(QSqlQuery roots, execute(mDb, QStringLiteral("read the collection's folders"),
                                            QStringLiteral("SELECT path FROM doc_roots WHERE collection_id = ? ORDER BY id"),
                                            {c.id}));
    while (roots.next())
        c.roots << roots.value(0).toString();
    ATELIER_ASSIGN(QSqlQuery counts,
                   execute(mDb, QStringLiteral("count the collection's files"),
                           QStringLiteral("SELECT sum(status = 'indexed'), sum(status = 'skipped'), "
                                          "(SELECT count(*) FROM doc_chunks JOIN doc_files AS g ON g.id = file_id "
                                          " WHERE g.collection_id = ?) FROM doc_files WHERE collection_id = ?"),
                           {c.id, c.id}));
    if (counts.next()) {
        c.indexedFiles = counts.value(0).toInt();
        c.skippedFiles = counts.value(1).toInt();
        c.chunks = counts.value(2).toInt();
    }
    return c;
}

Result<std::vector<Collection>> CollectionStore::list()
{
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("list the collections"),
                                        QStringLiteral("SELECT id, name, settings FROM doc_collections ORDER BY name")));
    std::vector<Collection> all;
    while (q.next()) {
        Collection c;
        c.id = q.value(0).toLongLong();
        c.name = q.value(1).toString();
        c.settings = CollectionSettings::fromJson(q.value(2).toByteArray());
        all.push_back(std::move(c));
    }
    for (Collection& c : all) {
        ATELIER_ASSIGN(c, fill(std::move(c)));
    }
    return all;
}

Status CollectionStore::remove(const QString& name)
{
    ATELIER_ASSIGN(const Collection c, find(name));
    ATELIER_TRY(execute(mDb, QStringLiteral("remove the collection"),
                        QStringLiteral("DELETE FROM doc_collections WHERE id = ?"), {c.id}));
    return {};
}

Status CollectionStore::addRoots(qint64 collectionId, const QStringList& absolutePaths)
{
    ATELIER_ASSIGN(WriteTransaction t, WriteTransaction::begin(mDb, QStringLiteral("add the folders")));
    for (const QString& path : absolutePaths)
        ATELIER_TRY(execute(mDb, QStringLiteral("add %1").arg(path),
                            QStringLiteral("INSERT OR IGNORE INTO doc_roots (collection_id, path) VALUES (?, ?)"),
                            {collectionId, path}));
    return t.commit();
}

Status CollectionStore::removeRoot(qint64 collectionId, const QString& path)
{
    ATELIER_TRY(execute(mDb, QStringLiteral("remove %1").arg(path),
                        QStringLiteral("DELETE FROM doc_roots WHERE collection_id = ? AND path = ?"), {collectionId, path}));
    return {};
}

Status CollectionStore::setSettings(qint64 collectionId, const CollectionSettings& settings)
{
    ATELIER_ASSIGN(WriteTransaction t, WriteTransaction::begin(mDb, QStringLiteral("change the chunk settings")));
    ATELIER_ASSIGN(const QVariant old, scalar(mDb, QStringLiteral("change the chunk settings"),
                                              QStringLiteral("SELECT settings FROM doc_collections WHERE id = ?"),
                                              {collectionId}));
    const CollectionSettings before = CollectionSettings::fromJson(old.toByteArray());
    ATELIER_TRY(execute(mDb, QStringLiteral("change the chunk settings"),
                        QStringLiteral("UPDATE doc_collections SET settings = ? WHERE id = ?"),
                        {QString::fromUtf8(settings.toJson()), collectionId}));
    if (before.chunks.maxChars != settings.chunks.maxChars || before.chunks.overlapChars != settings.chunks.overlapChars ||
        before.maxFileBytes != settings.maxFileBytes) {
        // size -1 matches no file: the next update reads each one again.
        ATELIER_TRY(execute(mDb, QStringLiteral("change the chunk settings"),
                            QStringLiteral("UPDATE doc_files SET size = -1, hash = '' WHERE collection_id = ?"),
                            {collectionId}));
    }
    return t.commit();
}

Result<QHash<QString, FileRecord>> CollectionStore::files(qint64 collectionId)
{
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("read the collection's files"),
                                        QStringLiteral("SELECT id, path, size, mtime, hash, kind, status, reason "
                                                       "FROM doc_files WHERE collection_id = ?"),
                                        {collectionId}));
    QHash<QString, FileRecord> files;
    while (q.next()) {
        FileRecord f = readFile(q);
        files.insert(f.path, std::move(f));
    }
    return files;
}

Result<std::vector<FileRecord>> CollectionStore::skippedFiles(qint64 collectionId)
{
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("read the skipped files"),
                                        QStringLiteral("SELECT id, path, size, mtime, hash, kind, status, reason FROM doc_files "
                                                       "WHERE collection_id = ? AND status = 'skipped' ORDER BY path"),
                                        {collectionId}));
    std::vector<FileRecord> files;
    while (q.next())
        files.push_back(readFile(q));
    return files;
}

Result<std::vector<qint64>> CollectionStore::writeFile(qint64 collectionId, const FileRecord& file, const Chunks& chunks)
{
    ATELIER_ASSIGN(WriteTransaction t, WriteTransaction::begin(mDb, QStringLiteral("index %1").arg(file.path)));
    const QVariantList values = {file.size, file.mtime, text(QString::fromLatin1(file.hash)), text(file.kind),
                                 file.indexed ? QStringLiteral("indexed") : QStringLiteral("skipped"), text(file.reason),
                                 QDateTime::currentMSecsSinceEpoch()};
    qint64 fileId = file.id;
    if (fileId > 0) {
        ATELIER_TRY(execute(mDb, QStringLiteral("index %1").arg(file.path),
                            QStringLiteral("DELETE FROM doc_chunks WHERE file_id = ?"), {fileId}));
        ATELIER_TRY(execute(mDb, QStringLiteral("index %1").arg(file.path),
                            QStringLiteral("UPDATE doc_files SET size = ?, mtime = ?, hash = ?, kind = ?, status = ?, "
                                           "reason = ?, indexed = ? WHERE id = ?"),
                            values + QVariantList{fileId}));
    } else {
        ATELIER_ASSIGN(QSqlQuery q,
                       execute(mDb, QStringLiteral("index %1").arg(file.path),
                               QStringLiteral("INSERT INTO doc_files (collection_id, path, size, mtime, hash, kind, "
                                              "status, reason, indexed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                               QVariantList{collectionId, file.path} + values));
        fileId = q.lastInsertId().toLongLong();
    }
    std::vector<qint64> ids;
    ids.reserve(chunks.size());
    for (const Chunk& c : chunks) {
        ATELIER_ASSIGN(QSqlQuery q,
                       execute(mDb, QStringLiteral("index %1").arg(file.path),
                               QStringLiteral("INSERT INTO doc_chunks (file_id, ordinal, byte_start, byte_end, line_start, "
                                              "line_end, page, heading, text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
                               {fileId, c.ordinal, c.byteStart, c.byteEnd, c.lineStart, c.lineEnd, c.page, text(c.heading),
                                text(c.text)}));
        ids.push_back(q.lastInsertId().toLongLong());
    }
    ATELIER_TRY(t.commit());
    return ids;
}

Status CollectionStore::touchFile(qint64 fileId, qint64 mtime)
{
    ATELIER_TRY(execute(mDb, QStringLiteral("update a file's time"),
                        QStringLiteral("UPDATE doc_files SET mtime = ? WHERE id = ?"), {mtime, fileId}));
    return {};
}

Status CollectionStore::removeFiles(const std::vector<qint64>& fileIds)
{
    if (fileIds.empty())
        return {};
    ATELIER_TRY(execute(mDb, QStringLiteral("drop removed files"),
                        QStringLiteral("DELETE FROM doc_files WHERE id IN (%1)").arg(idList(fileIds))));
    return {};
}

Result<std::vector<Hit>> CollectionStore::keywordSearch(const std::vector<qint64>& collectionIds, const QString& query, int k)
{
    const QString match = ftsQuery(query);
    if (match.isEmpty() || collectionIds.empty() || k <= 0)
        return std::vector<Hit>{};
    // bm25() is smaller for better matches; a heading word weighs half a body word.
    ATELIER_ASSIGN(QSqlQuery q,
                   execute(mDb, QStringLiteral("search the documents"),
                           QStringLiteral("SELECT %1, bm25(doc_chunks_fts, 1.0, 0.5) AS rank FROM doc_chunks_fts "
                                          "JOIN doc_chunks AS c ON c.id = doc_chunks_fts.rowid "
                                          "JOIN doc_files AS f ON f.id = c.file_id "
                                          "JOIN doc_collections AS col ON col.id = f.collection_id "
                                          "WHERE doc_chunks_fts MATCH ? AND f.collection_id IN (%2) "
                                          "ORDER BY rank LIMIT ?")
                               .arg(QLatin1String(kHitColumns), idList(collectionIds)),
                           {match, k}));
    std::vector<Hit> hits;
    while (q.next()) {
        Hit h = readHit(q);
        h.score = -q.value(9).toDouble();
        hits.push_back(std::move(h));
    }
    return hits;
}

Status CollectionStore::writeVectors(const QString& model, const std::vector<qint64>& chunkIds,
                                     const std::vector<std::vector<float>>& vectors)
{
    if (chunkIds.size() != vectors.size())
        return makeError(ErrorCode::InvalidArgument, "one vector per chunk");
    ATELIER_ASSIGN(WriteTransaction t, WriteTransaction::begin(mDb, QStringLiteral("store the vectors")));
    for (size_t i = 0; i < chunkIds.size(); ++i) {
        const QByteArray blob(reinterpret_cast<const char*>(vectors[i].data()), qsizetype(vectors[i].size() * sizeof(float)));
        ATELIER_TRY(execute(mDb, QStringLiteral("store the vectors"),
                            QStringLiteral("INSERT OR REPLACE INTO doc_vectors (chunk_id, model, vector) VALUES (?, ?, ?)"),
                            {chunkIds[i], model, blob}));
    }
    return t.commit();
}

Result<std::vector<std::pair<qint64, std::vector<float>>>> CollectionStore::vectors(const std::vector<qint64>& collectionIds,
                                                                                     const QString& model)
{
    std::vector<std::pair<qint64, std::vector<float>>> out;
    if (collectionIds.empty())
        return out;
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("read the vectors"),
                                        QStringLiteral("SELECT v.chunk_id, v.vector FROM doc_vectors AS v "
                                                       "JOIN doc_chunks AS c ON c.id = v.chunk_id "
                                                       "JOIN doc_files AS f ON f.id = c.file_id "
                                                       "WHERE v.model = ? AND f.collection_id IN (%1)")
                                            .arg(idList(collectionIds)),
                                        {model}));
    while (q.next()) {
        const QByteArray blob = q.value(1).toByteArray();
        std::vector<float> v(size_t(blob.size()) / sizeof(float));
        std::memcpy(v.data(), blob.constData(), v.size() * sizeof(float));
        out.emplace_back(q.value(0).toLongLong(), std::move(v));
    }
    return out;
}

Result<std::vector<Hit>> CollectionStore::hits(const std::vector<qint64>& chunkIds)
{
    if (chunkIds.empty())
        return std::vector<Hit>{};
    ATELIER_ASSIGN(QSqlQuery q, execute(mDb, QStringLiteral("read the chunks"),
                                        QStringLiteral("SELECT %1 FROM doc_chunks AS c JOIN doc_files AS f ON f.id = c.file_id "
                                                       "JOIN doc_collections AS col ON col.id = f.collection_id "
                                                       "WHERE c.id IN (%2)")
                                            .arg(QLatin1String(kHitColumns), idList(chunkIds))));
    QHash<qint64, Hit> byId;
    while (q.next()) {
        Hit h = readHit(q);
        byId.insert(h.chunkId, std::move(h));
    }
    std::vector<Hit> ordered;
    for (qint64 id : chunkIds)
        if (byId.contains(id))
            ordered.push_back(byId.value(id));
    return ordered;
}

} // namespace atelier::docs

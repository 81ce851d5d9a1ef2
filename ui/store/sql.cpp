#include "store/sql.h"

#include "store/database.h"

#include <QSqlDatabase>

#include <utility>

namespace atelier::store {

namespace {

// SQLite's primary result codes (sqlite3.h). The driver may hand over extended codes, whose low
// byte is the primary one.
constexpr int kSqliteBusy = 5;
constexpr int kSqliteLocked = 6;
constexpr int kSqliteCorrupt = 11;
constexpr int kSqliteNotADatabase = 26;

} // namespace

Error sqlError(const Database& db, const QString& what, const QSqlError& error)
{
    const int code = error.nativeErrorCode().toInt() & 0xff;
    const QString detail = error.databaseText().isEmpty() ? error.text() : error.databaseText();
    switch (code) {
    case kSqliteBusy:
    case kSqliteLocked:
        return makeError(ErrorCode::Io,
                         QStringLiteral("%1 is locked by another program or connection (still busy after "
                                        "%2 ms); could not %3: %4")
                             .arg(db.path(), QString::number(db.busyTimeoutMs()), what, detail)
                             .toStdString());
    case kSqliteNotADatabase:
        return makeError(ErrorCode::Format, QStringLiteral("%1 is not an SQLite database; could not %2: %3")
                                                .arg(db.path(), what, detail)
                                                .toStdString());
    case kSqliteCorrupt:
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1 is damaged; could not %2: %3").arg(db.path(), what, detail).toStdString());
    default:
        return makeError(ErrorCode::Io,
                         QStringLiteral("%1: could not %2: %3").arg(db.path(), what, detail).toStdString());
    }
}

Result<QSqlQuery> execute(Database& db, const QString& what, const QString& sql, const QVariantList& values)
{
    QSqlQuery query(db.sql());
    query.setForwardOnly(true);
    if (!query.prepare(sql))
        return sqlError(db, what, query.lastError());
    for (const QVariant& value : values)
        query.addBindValue(value);
    if (!query.exec())
        return sqlError(db, what, query.lastError());
    return query;
}

Result<QVariant> scalar(Database& db, const QString& what, const QString& sql, const QVariantList& values)
{
    ATELIER_ASSIGN(QSqlQuery query, execute(db, what, sql, values));
    if (!query.next()) {
        if (query.lastError().isValid())
            return sqlError(db, what, query.lastError());
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1: could not %2: no row came back").arg(db.path(), what).toStdString());
    }
    return query.value(0);
}

Result<WriteTransaction> WriteTransaction::begin(Database& db, const QString& what)
{
    ATELIER_TRY(execute(db, what, QStringLiteral("BEGIN IMMEDIATE")));
    return WriteTransaction(db, what);
}

WriteTransaction::WriteTransaction(WriteTransaction&& other) noexcept
    : mDb(std::exchange(other.mDb, nullptr)), mWhat(std::move(other.mWhat))
{
}

WriteTransaction::~WriteTransaction()
{
    if (mDb)
        QSqlQuery(QStringLiteral("ROLLBACK"), mDb->sql());
}

Status WriteTransaction::commit()
{
    Database* db = std::exchange(mDb, nullptr);
    auto committed = execute(*db, mWhat, QStringLiteral("COMMIT"));
    if (!committed.ok()) {
        QSqlQuery(QStringLiteral("ROLLBACK"), db->sql());
        return committed.error();
    }
    return {};
}

} // namespace atelier::store

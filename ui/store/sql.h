#pragma once
// Inside atelier_store: prepared statements and write transactions that report failures as
// Result errors naming the file, what was being done and SQLite's own message.

#include "core/result.h"

#include <QSqlError>
#include <QSqlQuery>
#include <QString>
#include <QVariantList>

namespace atelier::store {

class Database;

// `what` completes "could not ...": "add the message". Busy, not-a-database and corruption
// are told apart by SQLite's result code, so the user reads which one it was.
Error sqlError(const Database& db, const QString& what, const QSqlError& error);

// Prepares `sql`, binds `values` in order to its `?` and runs it; a forward-only query to read.
Result<QSqlQuery> execute(Database& db, const QString& what, const QString& sql,
                          const QVariantList& values = {});
// The first column of the first row; an error when there is no row.
Result<QVariant> scalar(Database& db, const QString& what, const QString& sql,
                        const QVariantList& values = {});

// BEGIN IMMEDIATE ... COMMIT. Taking the write lock up front means a read-then-write
// transaction waits for other writers (up to the busy timeout) instead of failing half-way.
// Rolled back when it goes out of scope uncommitted.
class WriteTransaction {
public:
    static Result<WriteTransaction> begin(Database& db, const QString& what);
    WriteTransaction(WriteTransaction&& other) noexcept;
    WriteTransaction& operator=(WriteTransaction&&) = delete;
    ~WriteTransaction();

    Status commit();

private:
    WriteTransaction(Database& db, QString what) : mDb(&db), mWhat(std::move(what)) {}

    Database* mDb = nullptr; // null once committed, rolled back or moved from
    QString mWhat;
};

} // namespace atelier::store

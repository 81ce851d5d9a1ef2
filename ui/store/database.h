#pragma once
// The one SQLite file (paths::databasePath()) that chats and the gallery share: WAL journal, a
// versioned schema migrated on open, and errors instead of a silently empty replacement.

#include "core/result.h"

#include <QSqlDatabase>
#include <QString>

#include <memory>

namespace atelier::store {

class Database {
public:
    // The schema this build writes; open() migrates older files up to it.
    static constexpr int kSchemaVersion = 4; // 1: chats; 2: pictures; 3: one row per picture file; 4: documents

    // Opens or creates the file and migrates it. A file that is not an Atelier database, a schema
    // newer than this build, a corrupt file or a lock held by another process for longer than
    // `busyTimeoutMs` each give an error naming the file and the problem.
    static Result<std::unique_ptr<Database>> open(const QString& path, int busyTimeoutMs = 3000);
    ~Database(); // closes the connection

    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    QSqlDatabase& sql() { return mSql; }
    const QString& path() const { return mPath; }
    int busyTimeoutMs() const { return mBusyTimeoutMs; } // how long a statement waits for a lock

private:
    Database(QSqlDatabase sql, QString path) : mSql(std::move(sql)), mPath(std::move(path)) {}

    QSqlDatabase mSql;
    QString mPath;
    int mBusyTimeoutMs = 0;
};

} // namespace atelier::store

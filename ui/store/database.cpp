#include "store/database.h"

#include "store/schema.h"
#include "store/sql.h"

#include <QDir>
#include <QFileInfo>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>

namespace atelier::store {

namespace {

Error keptAsItIs(Error error)
{
    if (!error.message.empty() && error.message.back() != '.')
        error.message += '.';
    error.message += " The file was left as it is.";
    return error;
}

// Only reads: nothing is written to a file until it is known to be an undamaged Atelier database
// of a schema this build understands. A new, empty file passes (application id and version 0).
Status checkOwnFile(Database& db)
{
    const QString readHeader = QStringLiteral("read its header");
    ATELIER_ASSIGN(const QVariant applicationId, scalar(db, readHeader, QStringLiteral("PRAGMA application_id")));
    ATELIER_ASSIGN(const QVariant version, scalar(db, readHeader, QStringLiteral("PRAGMA user_version")));
    ATELIER_ASSIGN(const QVariant objects, scalar(db, QStringLiteral("read its list of tables"),
                                                  QStringLiteral("SELECT count(*) FROM sqlite_master")));
    const int id = applicationId.toInt();
    if (id != kApplicationId && id != 0) {
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1 is not an Atelier database: it is another program's SQLite file "
                                        "(application id 0x%2).")
                             .arg(db.path(), QStringLiteral("%1").arg(quint32(id), 8, 16, QLatin1Char('0')))
                             .toStdString());
    }
    if (id == 0 && (objects.toLongLong() > 0 || version.toInt() != 0)) {
        return makeError(ErrorCode::Format,
                         QStringLiteral("%1 is not an Atelier database: it is an SQLite file with other tables "
                                        "and no Atelier mark.")
                             .arg(db.path())
                             .toStdString());
    }
    ATELIER_TRY(checkSchemaVersion(db, version.toInt()));
    if (objects.toLongLong() == 0)
        return {};

    const QString check = QStringLiteral("check it for damage");
    ATELIER_ASSIGN(QSqlQuery query, execute(db, check, QStringLiteral("PRAGMA quick_check(5)")));
    QStringList problems;
    while (query.next())
        problems << query.value(0).toString();
    if (query.lastError().isValid())
        return sqlError(db, check, query.lastError());
    if (problems == QStringList{QStringLiteral("ok")})
        return {};
    return makeError(ErrorCode::Format,
                     QStringLiteral("%1 is damaged: %2").arg(db.path(), problems.join(QStringLiteral("; "))).toStdString());
}

// WAL: readers never wait for the writer, and a commit is one append to the log. synchronous=NORMAL
// keeps every commit through a crash of the program (not of the power) at a fraction of FULL's fsyncs.
Status configure(Database& db)
{
    const QString setUp = QStringLiteral("set it up");
    ATELIER_ASSIGN(const QVariant mode, scalar(db, QStringLiteral("switch it to write-ahead logging"),
                                               QStringLiteral("PRAGMA journal_mode = WAL")));
    if (mode.toString().compare(QStringLiteral("wal"), Qt::CaseInsensitive) != 0) {
        spdlog::warn("{}: SQLite kept the '{}' journal instead of write-ahead logging", db.path().toStdString(),
                     mode.toString().toStdString());
    }
    ATELIER_TRY(execute(db, setUp, QStringLiteral("PRAGMA synchronous = NORMAL")));
    ATELIER_TRY(execute(db, setUp, QStringLiteral("PRAGMA foreign_keys = ON")));
    return {};
}

} // namespace

Result<std::unique_ptr<Database>> Database::open(const QString& path, int busyTimeoutMs)
{
    const QFileInfo info(path);
    if (info.exists() && !info.isFile())
        return makeError(ErrorCode::Io, QStringLiteral("%1 is not a file.").arg(path).toStdString());
    if (!QDir().mkpath(info.absolutePath())) {
        return makeError(ErrorCode::Io, QStringLiteral("Could not create the folder %1 for the database.")
                                            .arg(info.absolutePath())
                                            .toStdString());
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QSQLITE"))) {
        return makeError(ErrorCode::Unsupported,
                         QStringLiteral("Cannot open %1: Qt's SQLite driver (QSQLITE) is not installed "
                                        "(Debian: libqt6sql6-sqlite).")
                             .arg(path)
                             .toStdString());
    }

    // A connection name per Database: two open files (or two opens of one file) never share one.
    static std::atomic<int> nextConnection{0};
    const QString connection = QStringLiteral("atelier.store.%1").arg(nextConnection++);
    // Owned from here on, so every early return below closes and removes the connection.
    std::unique_ptr<Database> db(new Database(QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection), path));
    db->mBusyTimeoutMs = std::max(busyTimeoutMs, 0);
    db->mSql.setDatabaseName(path);
    // sqlite3_busy_timeout (what PRAGMA busy_timeout sets) from the first statement on, so reading
    // the header of a locked file already waits this long and no longer.
    db->mSql.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(db->mBusyTimeoutMs));
    if (!db->mSql.open())
        return sqlError(*db, QStringLiteral("open it"), db->mSql.lastError());

    if (Status checked = checkOwnFile(*db); !checked.ok())
        return keptAsItIs(checked.error());
    ATELIER_TRY(configure(*db));
    ATELIER_TRY(migrate(*db));
    return db;
}

Database::~Database()
{
    const QString connection = mSql.connectionName();
    mSql.close();
    // removeDatabase() warns that the connection is still in use while any QSqlDatabase copy lives.
    mSql = QSqlDatabase();
    QSqlDatabase::removeDatabase(connection);
}

} // namespace atelier::store

// Database::open: the settings a new file gets, migrations, and every file it must refuse without
// touching a byte of it.

#include "tst_store.h"

#include <QDir>
#include <QElapsedTimer>
#include <QSqlQuery>

#include <random>

using namespace atelier;
using namespace atelier::store;
using atelier::test::fileBytes;
using atelier::test::RawConnection;
using atelier::test::writeFile;

namespace {

constexpr int kAtelierApplicationId = 0x41544C52; // "ATLR", as schema.h marks our files

QVariant pragma(Database& db, const char* name)
{
    QSqlQuery query(db.sql());
    if (!query.exec(QStringLiteral("PRAGMA %1").arg(QLatin1String(name))) || !query.next())
        return {};
    return query.value(0);
}

// An Atelier database with a few hundred KiB of messages, closed (so fully checkpointed).
bool writeRealDatabase(const QString& path)
{
    auto db = Database::open(path);
    if (!db.ok())
        return false;
    ChatStore store(**db);
    auto conversation = store.createConversation(QStringLiteral("filler"), {});
    if (!conversation.ok())
        return false;
    qint64 parent = 0;
    for (int i = 0; i < 300; ++i) {
        auto added = store.addMessage(conversation->id, parent, i % 2 ? QStringLiteral("assistant") : QStringLiteral("user"),
                                      QStringLiteral("message %1 ").arg(i).repeated(80));
        if (!added.ok())
            return false;
        parent = added->id;
    }
    return true;
}

QByteArray randomBytes(qsizetype size, unsigned seed)
{
    std::mt19937 random(seed);
    QByteArray bytes(size, Qt::Uninitialized);
    for (char& byte : bytes)
        byte = char(random());
    return bytes;
}

QString errorText(const Error& error) { return QString::fromStdString(error.message); }

} // namespace

void TestStore::newDatabaseIsConfigured()
{
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath(), 1234));
    QCOMPARE(db->path(), dbPath());
    QCOMPARE(pragma(*db, "journal_mode").toString(), QStringLiteral("wal"));
    QCOMPARE(pragma(*db, "synchronous").toInt(), 1); // NORMAL
    QCOMPARE(pragma(*db, "foreign_keys").toInt(), 1);
    QCOMPARE(pragma(*db, "busy_timeout").toInt(), 1234);
    QCOMPARE(pragma(*db, "application_id").toInt(), kAtelierApplicationId);
    QCOMPARE(pragma(*db, "user_version").toInt(), Database::kSchemaVersion);
    QStringList tables = db->sql().tables();
    tables.sort();
    QCOMPARE(tables, (QStringList{"conversations", "doc_chunks", "doc_chunks_fts", "doc_chunks_fts_config",
                                  "doc_chunks_fts_data", "doc_chunks_fts_docsize", "doc_chunks_fts_idx",
                                  "doc_collections", "doc_files", "doc_roots", "doc_vectors", "messages",
                                  "pictures", "sqlite_sequence"}));
}

void TestStore::createsMissingFolder()
{
    const QString path = mDir->filePath(QStringLiteral("new/nested/folder/atelier.sqlite3"));
    ASSIGN_OR_FAIL(auto db, Database::open(path));
    QVERIFY(QFile::exists(path));
    ChatStore store(*db);
    VERIFY_OK(store.createConversation(QStringLiteral("x"), {}));
}

void TestStore::migratesSchemaZero_data()
{
    QTest::addColumn<QString>("start");
    QTest::newRow("no file") << "none";
    QTest::newRow("empty file") << "empty";
    QTest::newRow("SQLite file without tables") << "bare";
}

void TestStore::migratesSchemaZero()
{
    QFETCH(QString, start);
    if (start == QLatin1String("empty")) {
        QVERIFY(writeFile(dbPath(), {}));
    } else if (start == QLatin1String("bare")) {
        RawConnection raw(dbPath());
        QVERIFY(raw.exec(QStringLiteral("CREATE TABLE t (x)")));
        QVERIFY(raw.exec(QStringLiteral("DROP TABLE t")));
        QCOMPARE(raw.scalar(QStringLiteral("PRAGMA user_version")).toInt(), 0);
    }
    qint64 id = 0;
    {
        ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
        QCOMPARE(pragma(*db, "user_version").toInt(), Database::kSchemaVersion);
        QCOMPARE(pragma(*db, "application_id").toInt(), kAtelierApplicationId);
        ChatStore store(*db);
        ASSIGN_OR_FAIL(const Conversation c, store.createConversation(QStringLiteral("after migration"), {}));
        id = c.id;
    }
    // Opening a current file again migrates nothing and keeps the row.
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath()));
    QCOMPARE(pragma(*db, "user_version").toInt(), Database::kSchemaVersion);
    ChatStore store(*db);
    ASSIGN_OR_FAIL(const Conversation c, store.conversation(id));
    QCOMPARE(c.title, QStringLiteral("after migration"));
}

void TestStore::refusesNewerSchema()
{
    QVERIFY(writeRealDatabase(dbPath()));
    {
        RawConnection newer(dbPath());
        QVERIFY(newer.exec(QStringLiteral("PRAGMA user_version = %1").arg(Database::kSchemaVersion + 1)));
    }
    const QByteArray before = fileBytes(dbPath());
    const auto opened = Database::open(dbPath());
    QVERIFY(!opened.ok());
    const QString message = errorText(opened.error());
    QCOMPARE(opened.error().code, ErrorCode::Unsupported);
    QVERIFY2(message.contains(dbPath()) && message.contains(QStringLiteral("newer Atelier")) &&
                 message.contains(QStringLiteral("schema %1").arg(Database::kSchemaVersion + 1)),
             qPrintable(message));
    QVERIFY(fileBytes(dbPath()) == before);
    QCOMPARE(QDir(mDir->path()).entryList(QDir::Files), QStringList{"atelier.sqlite3"});
}

void TestStore::refusesForeignFile_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("expected");
    const QString notSqlite = QStringLiteral("is not an SQLite database");
    const QString damaged = QStringLiteral("is damaged");
    const QString notOurs = QStringLiteral("is not an Atelier database");
    QTest::newRow("random bytes") << "random" << notSqlite;
    QTest::newRow("a few random bytes") << "short random" << notSqlite;
    QTest::newRow("text file") << "text" << notSqlite;
    QTest::newRow("SQLite header overwritten") << "header" << notSqlite;
    QTest::newRow("truncated to half") << "truncated" << damaged;
    QTest::newRow("pages overwritten") << "pages" << damaged;
    QTest::newRow("another program's database") << "foreign id" << notOurs;
    QTest::newRow("unmarked database with tables") << "unmarked" << notOurs;
}

void TestStore::refusesForeignFile()
{
    QFETCH(QString, kind);
    QFETCH(QString, expected);
    const QString path = dbPath();
    if (kind == QLatin1String("random")) {
        QVERIFY(writeFile(path, randomBytes(8192, 1)));
    } else if (kind == QLatin1String("short random")) {
        QVERIFY(writeFile(path, randomBytes(37, 2)));
    } else if (kind == QLatin1String("text")) {
        QVERIFY(writeFile(path, QByteArray("These are my notes, not a database.\n").repeated(100)));
    } else if (kind == QLatin1String("foreign id") || kind == QLatin1String("unmarked")) {
        RawConnection other(path);
        if (kind == QLatin1String("foreign id"))
            QVERIFY(other.exec(QStringLiteral("PRAGMA application_id = 305419896"))); // 0x12345678
        QVERIFY(other.exec(QStringLiteral("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")));
        QVERIFY(other.exec(QStringLiteral("INSERT INTO notes (body) VALUES ('keep me')")));
    } else {
        QVERIFY(writeRealDatabase(path));
        QByteArray bytes = fileBytes(path);
        QVERIFY(bytes.size() > 64 * 4096);
        if (kind == QLatin1String("header"))
            bytes.replace(0, 16, "not sqlite here!");
        else if (kind == QLatin1String("truncated"))
            bytes.truncate(bytes.size() / 2);
        else if (kind == QLatin1String("pages"))
            bytes.replace(bytes.size() / 2 / 4096 * 4096, 3 * 4096, randomBytes(3 * 4096, 3));
        QVERIFY(writeFile(path, bytes));
    }
    const QByteArray before = fileBytes(path);

    QElapsedTimer timer;
    timer.start();
    const auto opened = Database::open(path, 5000);
    QVERIFY2(!opened.ok(), qPrintable(kind));
    const QString message = errorText(opened.error());
    qDebug("%s", qPrintable(message));
    QVERIFY2(message.contains(path) && message.contains(expected), qPrintable(message));
    QVERIFY2(message.contains(QStringLiteral("left as it is")), qPrintable(message));
    QVERIFY(timer.elapsed() < 4000); // refused, not mistaken for a lock and waited on
    QVERIFY(fileBytes(path) == before);
    QCOMPARE(QDir(mDir->path()).entryList(QDir::Files), QStringList{"atelier.sqlite3"});
}

void TestStore::refusesFolder()
{
    QVERIFY(QDir(mDir->path()).mkdir(QStringLiteral("atelier.sqlite3")));
    const auto opened = Database::open(dbPath());
    QVERIFY(!opened.ok());
    QVERIFY2(errorText(opened.error()).contains(QStringLiteral("is not a file")), opened.error().message.c_str());
}

void TestStore::lockedDatabase_data()
{
    QTest::addColumn<bool>("wal");
    QTest::newRow("rollback-journal file: open waits, then fails") << false;
    QTest::newRow("WAL file: reads go on, a write waits, then fails") << true;
}

void TestStore::lockedDatabase()
{
    QFETCH(bool, wal);
    constexpr int kTimeoutMs = 300;
    if (wal)
        QVERIFY(writeRealDatabase(dbPath()));
    RawConnection holder(dbPath());
    QVERIFY(holder.exec(QStringLiteral("BEGIN EXCLUSIVE")));
    if (!wal)
        QVERIFY(holder.exec(QStringLiteral("CREATE TABLE pending (x)")));

    Error failure;
    qint64 waited = 0;
    {
        QElapsedTimer timer;
        timer.start();
        auto opened = Database::open(dbPath(), kTimeoutMs);
        if (wal) {
            QVERIFY2(opened.ok(), opened.ok() ? "" : opened.error().message.c_str());
            ChatStore store(**opened);
            ASSIGN_OR_FAIL(const QList<Conversation> readable, store.conversations());
            QCOMPARE(readable.size(), 1);
            timer.restart();
            const auto created = store.createConversation(QStringLiteral("blocked"), {});
            QVERIFY(!created.ok());
            failure = created.error();
        } else {
            QVERIFY(!opened.ok());
            failure = opened.error();
        }
        waited = timer.elapsed();
    }
    const QString message = errorText(failure);
    qDebug("after %lld ms: %s", waited, qPrintable(message));
    QVERIFY2(message.contains(dbPath()) && message.contains(QStringLiteral("locked")), qPrintable(message));
    QVERIFY2(waited >= kTimeoutMs * 8 / 10 && waited < kTimeoutMs + 3000, qPrintable(QString::number(waited)));

    // Once the other side lets go, the same calls work.
    QVERIFY(holder.exec(QStringLiteral("ROLLBACK")));
    ASSIGN_OR_FAIL(auto db, Database::open(dbPath(), kTimeoutMs));
    ChatStore store(*db);
    VERIFY_OK(store.createConversation(QStringLiteral("after the lock"), {}));
}

void TestStore::twoConnectionsToOneFile()
{
    ASSIGN_OR_FAIL(auto first, Database::open(dbPath()));
    ASSIGN_OR_FAIL(auto second, Database::open(dbPath()));
    QVERIFY(first->sql().connectionName() != second->sql().connectionName());
    ChatStore writer(*first);
    ChatStore reader(*second);
    ASSIGN_OR_FAIL(const Conversation c, writer.createConversation(QStringLiteral("shared"), {}));
    VERIFY_OK(writer.addMessage(c.id, 0, QStringLiteral("user"), QStringLiteral("seen by both")));
    ASSIGN_OR_FAIL(const QList<StoredMessage> seen, reader.messages(c.id));
    QCOMPARE(seen.size(), 1);
    first.reset(); // either may close first; neither warns (init() fails the test on that warning)
    ASSIGN_OR_FAIL(const QList<Conversation> still, reader.conversations());
    QCOMPARE(still.size(), 1);
}

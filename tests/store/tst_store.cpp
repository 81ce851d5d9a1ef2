// main() and the shared helpers. Run with ATELIER_STORE_TEST_WRITER=<file>, the executable is
// the crash test's child writer instead (crash_test.cpp).

#include "tst_store.h"

#include <QCoreApplication>
#include <QFile>
#include <QRegularExpression>
#include <QSqlError>
#include <QSqlQuery>

#include <atomic>

namespace atelier::test {

RawConnection::RawConnection(const QString& path, int busyTimeoutMs)
{
    static std::atomic<int> next{0};
    mSql = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("test.raw.%1").arg(next++));
    mSql.setDatabaseName(path);
    mSql.setConnectOptions(QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(busyTimeoutMs));
    if (!mSql.open())
        qWarning("raw open of %s: %s", qPrintable(path), qPrintable(mSql.lastError().text()));
}

RawConnection::~RawConnection()
{
    const QString name = mSql.connectionName();
    mSql.close();
    mSql = QSqlDatabase();
    QSqlDatabase::removeDatabase(name);
}

bool RawConnection::exec(const QString& sql)
{
    QSqlQuery query(mSql);
    if (query.exec(sql))
        return true;
    qWarning("raw exec %s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
    return false;
}

QVariant RawConnection::scalar(const QString& sql)
{
    QSqlQuery query(mSql);
    if (!query.exec(sql) || !query.next()) {
        qWarning("raw query %s: %s", qPrintable(sql), qPrintable(query.lastError().text()));
        return {};
    }
    return query.value(0);
}

QByteArray fileBytes(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(bytes) == bytes.size();
}

} // namespace atelier::test

void TestStore::init()
{
    mDir = std::make_unique<QTemporaryDir>();
    QVERIFY(mDir->isValid());
    // A Database that leaves a QSqlDatabase copy behind, or reuses a connection name, makes Qt
    // warn "QSqlDatabasePrivate::removeDatabase: connection ... is still in use".
    QTest::failOnWarning(QRegularExpression(QStringLiteral("QSqlDatabasePrivate")));
}

void TestStore::cleanup() { mDir.reset(); }

int main(int argc, char** argv)
{
    QCoreApplication app(argc, argv);
    if (const QString writerPath = qEnvironmentVariable(atelier::test::kWriterVariable); !writerPath.isEmpty())
        return atelier::test::runWriter(writerPath);
    TestStore test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

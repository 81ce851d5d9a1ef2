#include "tst_docs.h"

#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

namespace atelier::test {

bool writeBytes(const QString& path, const QByteArray& bytes)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile f(path);
    return f.open(QIODevice::WriteOnly) && f.write(bytes) == bytes.size();
}

bool makeCorpus(const QString& dir, int towns)
{
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (python.isEmpty()) {
        qWarning("python3 is not on PATH");
        return false;
    }
    QProcess p;
    p.start(python, {QStringLiteral(ATELIER_DOCS_TEST_DIR "/make_corpus.py"), dir, QStringLiteral("--towns"),
                     QString::number(towns)});
    if (!p.waitForFinished(60000) || p.exitCode() != 0) {
        qWarning("make_corpus.py: %s", p.readAllStandardError().constData());
        return false;
    }
    return true;
}

} // namespace atelier::test

void TestDocs::init()
{
    mDir = std::make_unique<QTemporaryDir>();
    QVERIFY(mDir->isValid());
    auto db = atelier::store::Database::open(path(QStringLiteral("atelier.sqlite3")));
    QVERIFY2(db.ok(), atelier::test::errorText(db).c_str());
    mDb = std::move(db).value();
}

void TestDocs::cleanup()
{
    mDb.reset();
    mDir.reset();
}

QTEST_MAIN(TestDocs)

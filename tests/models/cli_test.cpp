#include "tst_models.h"

#include "models/file_hash.h"

#include <QCryptographicHash>
#include <QDir>
#include <QElapsedTimer>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

using atelier::models::recordSha256;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

// Runs the real executable with its own data folder and catalogue while this process's event loop
// keeps the test server answering.
Run runAtelier(const QStringList& arguments, const QString& dataDir, const QString& catalogue)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("ATELIER_DATA_DIR", dataDir);
    env.insert("ATELIER_CATALOGUE", catalogue);
    process.setProcessEnvironment(env);
    process.start(QStringLiteral(ATELIER_EXECUTABLE), QStringList{"models"} + arguments);
    Run run;
    if (!process.waitForStarted(10000))
        return run;
    QElapsedTimer clock;
    clock.start();
    while (process.state() != QProcess::NotRunning && clock.elapsed() < 30000)
        QTest::qWait(20); // runs this process's event loop, so the server answers
    run.exitCode = process.exitCode();
    run.out = QString::fromUtf8(process.readAllStandardOutput());
    run.err = QString::fromUtf8(process.readAllStandardError());
    return run;
}

} // namespace

void TestModels::cliListDownloadVerifyRemove()
{
    const QString data = mTemp.filePath("cli-data");
    const QByteArray sha = QCryptographicHash::hash(mSmall, QCryptographicHash::Sha256).toHex();
    const QString catalogue = writeCatalogue("cli.json", catalogueFor("tiny.gguf", mServer->url("drop", "cli.gguf"), sha, mSmall.size()).toUtf8());

    Run listed = runAtelier({"list"}, data, catalogue);
    QCOMPARE(listed.exitCode, 0);
    QVERIFY2(QRegularExpression("tiny-chat +chat +300 KB +1.00 MB +fits").match(listed.out).hasMatch(), qPrintable(listed.out));

    // Through a connection that drops half-way: the download resumes and the checksum matches.
    Run downloaded = runAtelier({"download", "Tiny Chat"}, data, catalogue);
    QCOMPARE(downloaded.exitCode, 0);
    const QString installed = QDir(data).filePath("models/tiny.gguf");
    QCOMPARE(downloaded.out.trimmed(), QDir::toNativeSeparators(installed));
    QVERIFY2(downloaded.err.contains("note: The connection dropped after 150 KB") &&
                 downloaded.err.contains("downloaded Tiny Chat (sha256 matches)"), qPrintable(downloaded.err));
    QCOMPARE(QFileInfo(installed).size(), qint64(mSmall.size()));

    listed = runAtelier({"list"}, data, catalogue);
    QVERIFY2(QRegularExpression("tiny-chat .* installed").match(listed.out).hasMatch(), qPrintable(listed.out));

    Run verified = runAtelier({"verify"}, data, catalogue);
    QCOMPARE(verified.exitCode, 0);
    QCOMPARE(verified.out, QStringLiteral("tiny.gguf: ok\n"));

    // A damaged byte is found.
    {
        QFile file(installed);
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(1000);
        file.write("!");
    }
    verified = runAtelier({"verify", "tiny-chat"}, data, catalogue);
    QCOMPARE(verified.exitCode, 1);
    QVERIFY2(verified.out.startsWith("tiny.gguf: DAMAGED: sha256 ") && verified.out.contains("the catalogue says " + sha),
             qPrintable(verified.out));

    Run removed = runAtelier({"remove", "tiny-chat"}, data, catalogue);
    QCOMPARE(removed.exitCode, 0);
    QCOMPARE(removed.out, QStringLiteral("removed tiny.gguf\n"));
    QVERIFY(!QFileInfo::exists(installed));

    // A URL straight to a file: no checksum to check, said so; the sha256 it arrived with is
    // recorded beside it, and verify checks against that, finding damage done later.
    const QString url = QString::fromLatin1(mServer->url("files", "small.gguf"));
    Run byUrl = runAtelier({"download", url}, data, catalogue);
    QCOMPARE(byUrl.exitCode, 0);
    QVERIFY2(byUrl.err.contains("note: no checksum in the catalogue for " + url + ": it will not be verified\n") &&
                 byUrl.err.contains("is recorded beside the file, so a later check can tell if it changes.") &&
                 byUrl.err.contains("downloaded " + url + " (not verified: no checksum in the catalogue)\n"),
             qPrintable(byUrl.err));
    const QString small = QDir(data).filePath("models/small.gguf");
    QCOMPARE(QFileInfo(small).size(), qint64(mSmall.size()));
    verified = runAtelier({"verify", "small.gguf"}, data, catalogue);
    QCOMPARE(verified.exitCode, 0);
    QCOMPARE(verified.out, QStringLiteral("small.gguf: ok (against the sha256 recorded at download; the catalogue has none)\n"));
    {
        QFile file(small);
        QVERIFY(file.open(QIODevice::ReadWrite));
        file.seek(5000);
        file.write("?");
    }
    verified = runAtelier({"verify"}, data, catalogue);
    QCOMPARE(verified.exitCode, 1);
    QVERIFY2(verified.out.startsWith("small.gguf: DAMAGED: sha256 ") &&
                 verified.out.endsWith(", recorded at download " + QString::fromLatin1(sha) + "\n"),
             qPrintable(verified.out));
    // Without a record (a file put there by hand), verify says it cannot tell.
    QVERIFY(QFile::remove(small + ".sha256"));
    verified = runAtelier({"verify", "small.gguf"}, data, catalogue);
    QCOMPARE(verified.exitCode, 0);
    QVERIFY2(verified.out.startsWith("small.gguf: not verified: no checksum in the catalogue and none recorded at download"),
             qPrintable(verified.out));
    // Removed, the record goes with the file.
    QVERIFY(recordSha256(small, QString::fromLatin1(sha)).ok());
    QCOMPARE(runAtelier({"remove", "small.gguf"}, data, catalogue).exitCode, 0);
    QVERIFY(!QFileInfo::exists(small + ".sha256"));
}

void TestModels::cliRefusesUnknownModel()
{
    const QString data = mTemp.filePath("cli-refusals");
    const QString catalogue = writeCatalogue("cli-404.json", catalogueFor("gone.gguf", mServer->url("files", "gone.gguf"), "", 0).toUtf8());
    Run unknown = runAtelier({"download", "no-such-model"}, data, catalogue);
    QCOMPARE(unknown.exitCode, 1);
    QVERIFY2(unknown.err.contains("no model called \"no-such-model\" in the catalogue"), qPrintable(unknown.err));

    Run missing = runAtelier({"download", "tiny-chat"}, data, catalogue);
    QCOMPARE(missing.exitCode, 1);
    QVERIFY2(missing.err.contains("atelier models: The server has no file at") && missing.err.contains("HTTP 404"), qPrintable(missing.err));

    Run outside = runAtelier({"remove", "../atelier.sqlite3"}, data, catalogue);
    QCOMPARE(outside.exitCode, 1);
    QVERIFY2(outside.err.contains("is not the name of a model file"), qPrintable(outside.err));

    const QString bad = writeCatalogue("bad.json", R"({"version": 1, "models": [{"id": "x"}]})");
    Run badCatalogue = runAtelier({"list"}, data, bad);
    QCOMPARE(badCatalogue.exitCode, 1);
    QVERIFY2(badCatalogue.err.contains("bad.json: model 1 (\"x\") has no \"name\""), qPrintable(badCatalogue.err));

    Run usage = runAtelier({"frobnicate"}, data, catalogue);
    QCOMPARE(usage.exitCode, 2);
}

void TestModels::cliFullDiskOnTmpfs()
{
    // A real small filesystem: a 200 KB tmpfs mounted in a user and mount namespace of its own
    // (`unshare -rm`, no root needed where user namespaces are allowed), then a 300 KB download
    // into it. Skipped where the system allows neither.
    const QString unshare = QStandardPaths::findExecutable(QStringLiteral("unshare"));
    if (unshare.isEmpty())
        QSKIP("no unshare on this system");
    const QString mountPoint = mTemp.filePath("tmpfs");
    QVERIFY(QDir().mkpath(mountPoint));
    const QByteArray sha = QCryptographicHash::hash(mSmall, QCryptographicHash::Sha256).toHex();
    const QString catalogue = writeCatalogue("tmpfs.json", catalogueFor("tiny.gguf", mServer->url("files", "small.gguf"), sha, mSmall.size()).toUtf8());
    auto runInTmpfs = [&](const QString& catalogue, QString* err) {
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert("ATELIER_CATALOGUE", catalogue);
        process.setProcessEnvironment(env);
        process.start(unshare, {"-rm", "sh", "-c",
                                R"(mount -t tmpfs -o size=200k tmpfs "$0" || exit 77; ATELIER_DATA_DIR="$0" exec "$1" models download tiny-chat)",
                                mountPoint, QStringLiteral(ATELIER_EXECUTABLE)});
        if (!process.waitForStarted(10000))
            return -1;
        QElapsedTimer clock;
        clock.start();
        while (process.state() != QProcess::NotRunning && clock.elapsed() < 30000)
            QTest::qWait(20);
        *err = QString::fromUtf8(process.readAllStandardError());
        return process.exitCode();
    };
    QString err;
    const int status = runInTmpfs(catalogue, &err);
    if (status == 77 || err.contains("unshare:"))
        QSKIP(qPrintable("cannot mount a tmpfs here: " + err.trimmed()));
    // The size is known: refused before anything is written.
    QCOMPARE(status, 1);
    QVERIFY2(err.contains("atelier models: Not enough free space on") && err.contains("the download needs 300 KB more, 205 KB are free"),
             qPrintable(err));
    // No size anywhere (no catalogue size, no Content-Length): the writes fill the disk.
    const QString unsized = writeCatalogue("tmpfs-unsized.json", catalogueFor("tiny.gguf", mServer->url("nolength", "small.gguf"), sha, 0).toUtf8());
    QCOMPARE(runInTmpfs(unsized, &err), 1);
    QVERIFY2(err.contains("atelier models: The disk is full: ") && err.contains("tiny.gguf.part could not be written after"),
             qPrintable(err));
}

#include "tst_models.h"

#include "models/file_hash.h"
#include "models/model_download.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace atelier::models;

namespace {

QString sha256Of(const QByteArray& data)
{
    return QString::fromLatin1(QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex());
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A download with the test's timings: short stalls and retries.
struct Fixture {
    QNetworkAccessManager network;
    std::unique_ptr<ModelDownload> download;
    std::unique_ptr<QSignalSpy> finished, failed, notices;

    Fixture(const QByteArray& url, const QString& destination, const QString& sha256, qint64 size = 0)
    {
        DownloadRequest request{{QUrl(QString::fromLatin1(url))}, destination, sha256, size};
        download = std::make_unique<ModelDownload>(&network, request);
        download->setRetryDelay(50);
        download->setStallTimeout(5000);
        finished = std::make_unique<QSignalSpy>(download.get(), &ModelDownload::finished);
        failed = std::make_unique<QSignalSpy>(download.get(), &ModelDownload::failed);
        notices = std::make_unique<QSignalSpy>(download.get(), &ModelDownload::notice);
    }
    QString failure() const { return failed->isEmpty() ? QString() : failed->first().first().toString(); }
    QString allNotices() const
    {
        QStringList all;
        for (const auto& n : *notices)
            all << n.first().toString();
        return all.join('\n');
    }
};

} // namespace

void TestModels::downloadsAndVerifies()
{
    const QString destination = mTemp.filePath("ok/small.gguf");
    Fixture f(mServer->url("files", "small.gguf"), destination, sha256Of(mSmall), mSmall.size());
    QSignalSpy progress(f.download.get(), &ModelDownload::progress);
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.finished->size(), 1, 10000);
    QCOMPARE(f.failure(), QString());
    QCOMPARE(f.download->state(), ModelDownload::State::Finished);
    QCOMPARE(readAll(destination), mSmall);
    QVERIFY(!QFileInfo::exists(destination + ".part"));
    QVERIFY(!progress.isEmpty());
    QCOMPARE(progress.last().at(0).toLongLong(), qint64(mSmall.size()));
    QCOMPARE(progress.last().at(1).toLongLong(), qint64(mSmall.size()));
}

void TestModels::resumesAfterADroppedConnection()
{
    const QString destination = mTemp.filePath("drop/small.gguf");
    const int before = mServer->requests().size();
    Fixture f(mServer->url("drop", "small.gguf"), destination, sha256Of(mSmall));
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.finished->size(), 1, 10000);
    QCOMPARE(f.failure(), QString());
    QCOMPARE(readAll(destination), mSmall);
    // The second request asked for the rest only.
    const auto requests = mServer->requests().mid(before);
    QCOMPARE(requests.size(), 2);
    QCOMPARE(requests[0].range, QByteArray());
    QCOMPARE(requests[1].range, "bytes=" + QByteArray::number(mSmall.size() / 2) + "-");
    QVERIFY2(f.allNotices().contains("connection dropped after 150 KB") && f.allNotices().contains("Resuming from 150 KB"),
             qPrintable(f.allNotices()));
}

void TestModels::wrongChecksumDeletesTheFile()
{
    const QString destination = mTemp.filePath("hash/small.gguf");
    Fixture f(mServer->url("files", "small.gguf"), destination, QString(64, 'a'));
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.failed->size(), 1, 10000);
    QVERIFY2(f.failure().startsWith("Wrong checksum: the downloaded file's sha256 is " + sha256Of(mSmall)), qPrintable(f.failure()));
    QVERIFY(!QFileInfo::exists(destination));
    QVERIFY(!QFileInfo::exists(destination + ".part"));
}

void TestModels::notFoundSaysSo()
{
    Fixture f(mServer->url("files", "missing.gguf"), mTemp.filePath("404/missing.gguf"), QString());
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.failed->size(), 1, 10000);
    QVERIFY2(f.failure().contains("HTTP 404 Not Found") && f.failure().contains("/files/missing.gguf"), qPrintable(f.failure()));
    QCOMPARE(f.download->state(), ModelDownload::State::Failed);
}

void TestModels::cancelDeletesThePart()
{
    const QString destination = mTemp.filePath("cancel/large.gguf");
    Fixture f(mServer->url("slow", "large.gguf"), destination, sha256Of(mLarge));
    f.download->start();
    QTRY_VERIFY_WITH_TIMEOUT(f.download->received() > 100 * 1000, 10000);
    QVERIFY(QFileInfo(destination + ".part").size() > 0);
    f.download->cancel();
    QCOMPARE(f.download->state(), ModelDownload::State::Cancelled);
    QVERIFY(!QFileInfo::exists(destination + ".part"));
    QTest::qWait(200);
    QVERIFY(!QFileInfo::exists(destination + ".part"));
    QVERIFY(!QFileInfo::exists(destination));
    QVERIFY(f.finished->isEmpty() && f.failed->isEmpty());
}

void TestModels::pauseAndResumeUseRange()
{
    const QString destination = mTemp.filePath("pause/large.gguf");
    const int before = mServer->requests().size();
    Fixture f(mServer->url("slow", "large.gguf"), destination, sha256Of(mLarge));
    f.download->start();
    QTRY_VERIFY_WITH_TIMEOUT(f.download->received() > 200 * 1000, 10000);
    f.download->pause();
    QCOMPARE(f.download->state(), ModelDownload::State::Paused);
    const qint64 kept = QFileInfo(destination + ".part").size();
    QVERIFY(kept > 200 * 1000 && kept < mLarge.size());
    QTest::qWait(200); // nothing more arrives while paused
    QCOMPARE(QFileInfo(destination + ".part").size(), kept);
    f.download->resume();
    QTRY_COMPARE_WITH_TIMEOUT(f.finished->size(), 1, 20000);
    QCOMPARE(readAll(destination), mLarge);
    const auto requests = mServer->requests().mid(before);
    QCOMPARE(requests.size(), 2);
    QCOMPARE(requests[1].range, "bytes=" + QByteArray::number(kept) + "-");
}

void TestModels::serverWithoutRangeStartsOver()
{
    // A .part from an earlier run (its bytes wrong on purpose): the server ignores Range and sends
    // everything, so the download starts over and the result still matches.
    const QString destination = mTemp.filePath("norange/small.gguf");
    QVERIFY(QDir().mkpath(QFileInfo(destination).absolutePath()));
    QFile part(destination + ".part");
    QVERIFY(part.open(QIODevice::WriteOnly));
    part.write(QByteArray(1000, 'x'));
    part.close();
    Fixture f(mServer->url("norange", "small.gguf"), destination, sha256Of(mSmall));
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.finished->size(), 1, 10000);
    QVERIFY2(f.allNotices().contains("does not support resuming"), qPrintable(f.allNotices()));
    QCOMPARE(mServer->requests().last().range, QByteArray("bytes=1000-"));
    QCOMPARE(readAll(destination), mSmall);
}

void TestModels::fullDiskSaysSo()
{
    // /dev/full answers every write with ENOSPC, as a full disk does (mounting a small tmpfs needs
    // root, which CI may not have): the .part is a link to it.
    if (!QFileInfo::exists("/dev/full"))
        QSKIP("no /dev/full on this system");
    const QString destination = mTemp.filePath("full/small.gguf");
    QVERIFY(QDir().mkpath(QFileInfo(destination).absolutePath()));
    QVERIFY(QFile::link("/dev/full", destination + ".part"));
    Fixture f(mServer->url("files", "small.gguf"), destination, sha256Of(mSmall));
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.failed->size(), 1, 10000);
    QVERIFY2(f.failure().startsWith("The disk is full:"), qPrintable(f.failure()));
    QVERIFY(f.download->canResume());
    QVERIFY(!QFileInfo::exists(destination));
}

void TestModels::notEnoughFreeSpaceBeforeStarting()
{
    const int before = mServer->requests().size();
    Fixture f(mServer->url("files", "small.gguf"), mTemp.filePath("space/small.gguf"), QString(), qint64(1) << 50);
    f.download->start();
    QCOMPARE(f.failed->size(), 1);
    QVERIFY2(f.failure().startsWith("Not enough free space on") && f.failure().contains("the download needs 1126 TB more"),
             qPrintable(f.failure()));
    QCOMPARE(mServer->requests().size(), before); // refused before asking the server
}

void TestModels::refusedConnectionSaysSo()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 port = closed.serverPort();
    closed.close(); // nobody listens there now
    Fixture f("http://127.0.0.1:" + QByteArray::number(port) + "/files/small.gguf", mTemp.filePath("refused/small.gguf"), QString());
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.failed->size(), 1, 10000);
    QVERIFY2(f.failure() == "127.0.0.1 refused the connection: the server is down or the address is wrong.", qPrintable(f.failure()));
}

void TestModels::resumesThroughARedirect()
{
    // A .part holding the first 1000 bytes from an earlier run: the Range request survives the
    // redirect, so only the rest is sent.
    const QString destination = mTemp.filePath("redirect/small.gguf");
    QVERIFY(QDir().mkpath(QFileInfo(destination).absolutePath()));
    QFile part(destination + ".part");
    QVERIFY(part.open(QIODevice::WriteOnly));
    part.write(mSmall.left(1000));
    part.close();
    const int before = mServer->requests().size();
    Fixture f(mServer->url("redirect", "small.gguf"), destination, sha256Of(mSmall), mSmall.size());
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.finished->size(), 1, 10000);
    QCOMPARE(f.failure(), QString());
    QCOMPARE(readAll(destination), mSmall);
    const auto requests = mServer->requests().mid(before);
    QCOMPARE(requests.size(), 2);
    QCOMPARE(requests[1].path, QByteArray("/files/small.gguf"));
    QCOMPARE(requests[1].range, QByteArray("bytes=1000-"));
    QVERIFY2(!f.allNotices().contains("starts over"), qPrintable(f.allNotices()));
}

void TestModels::unknownHostSaysOffline()
{
    // .invalid never resolves (RFC 6761): what a computer without a network sees for every host.
    const QString destination = mTemp.filePath("offline/small.gguf");
    Fixture f("http://atelier-test.invalid/files/small.gguf", destination, QString());
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.failed->size(), 1, 30000);
    QVERIFY2(f.failure() == "Cannot reach atelier-test.invalid (host not found): check that this computer is online.",
             qPrintable(f.failure()));
    QVERIFY(!QFileInfo::exists(destination + ".part")); // nothing arrived, nothing left behind
}

void TestModels::noChecksumIsSaid()
{
    const QString destination = mTemp.filePath("nosum/small.gguf");
    Fixture f(mServer->url("files", "small.gguf"), destination, QString());
    f.download->start();
    QTRY_COMPARE_WITH_TIMEOUT(f.finished->size(), 1, 10000);
    QVERIFY2(f.allNotices().contains("Not verified (no checksum in the catalogue). Its sha256, " + sha256Of(mSmall) +
                                     ", is recorded beside the file"),
             qPrintable(f.allNotices()));
    QCOMPARE(f.download->computedSha256(), sha256Of(mSmall));
    // Recorded as sha256sum writes it, for `atelier models verify`.
    QFile record(destination + ".sha256");
    QVERIFY(record.open(QIODevice::ReadOnly));
    QCOMPARE(QString::fromUtf8(record.readAll()), sha256Of(mSmall) + "  small.gguf\n");
    QCOMPARE(recordedSha256(destination), sha256Of(mSmall));
}

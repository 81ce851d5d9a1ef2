#include "model_download.h"

#include "file_hash.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QStorageInfo>
#include <QTimer>
#include <QtConcurrent/QtConcurrentRun>

#include <cerrno>

namespace atelier::models {

namespace {

QString native(const QString& path) { return QDir::toNativeSeparators(path); }

// "bytes 100-999/1000" -> {100, 1000}; {-1, -1} when it cannot be read. The total may be "*".
QPair<qint64, qint64> parseContentRange(const QByteArray& header)
{
    static const QRegularExpression pattern(QStringLiteral("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$"));
    const auto match = pattern.match(QString::fromLatin1(header).trimmed());
    if (!match.hasMatch())
        return {-1, -1};
    const qint64 start = match.captured(1).toLongLong();
    const qint64 total = match.captured(3) == "*" ? -1 : match.captured(3).toLongLong();
    return {start, total};
}

} // namespace

QString formatDownloadSize(qint64 bytes)
{
    if (bytes < 1000)
        return QStringLiteral("%1 bytes").arg(bytes);
    const char* units[] = {"KB", "MB", "GB", "TB"};
    double value = double(bytes) / 1000.0;
    int unit = 0;
    while (value >= 1000.0 && unit < 3) {
        value /= 1000.0;
        ++unit;
    }
    return QStringLiteral("%1 %2").arg(value, 0, 'f', value < 10 ? 2 : value < 100 ? 1 : 0).arg(units[unit]);
}

ModelDownload::ModelDownload(QNetworkAccessManager* network, DownloadRequest request, QObject* parent)
    : QObject(parent), mNetwork(network), mRequest(std::move(request))
{
    connect(&mHashWatcher, &QFutureWatcher<QString>::finished, this, &ModelDownload::onVerified);
    mClock.start();
}

ModelDownload::~ModelDownload()
{
    if (mHashCancel)
        mHashCancel->store(true);
    if (mReply) {
        mReply->disconnect(this);
        mReply->abort();
        mReply->deleteLater();
    }
    mHashWatcher.waitForFinished(); // the worker only reads the .part; it stops at its next piece
}

bool ModelDownload::canResume() const
{
    return (mState == State::Paused || mState == State::Failed) && !mRequest.urls.isEmpty();
}

void ModelDownload::start()
{
    if (mState == State::Downloading || mState == State::Verifying)
        return;
    if (mRequest.urls.isEmpty()) {
        fail(tr("There is no address to download from."));
        return;
    }
    const QString folder = QFileInfo(mRequest.destination).absolutePath();
    if (!QDir().mkpath(folder)) {
        fail(tr("Cannot create the folder %1.").arg(native(folder)));
        return;
    }
    mRetries = 0;
    mUrlIndex = 0;
    mRestartedWithoutRange = false;
    sendRequest();
}

void ModelDownload::resume()
{
    if (!canResume())
        return;
    mRetries = 0;
    sendRequest();
}

void ModelDownload::pause()
{
    if (mState != State::Downloading)
        return;
    abortReply();
    mFile.close();
    setState(State::Paused);
    updateSpeed(true);
}

void ModelDownload::cancel()
{
    if (mState == State::Finished || mState == State::Cancelled)
        return;
    abortReply();
    if (mHashCancel)
        mHashCancel->store(true);
    mFile.close();
    QFile::remove(partPath());
    mReceived = 0;
    setState(State::Cancelled);
}

void ModelDownload::abortReply()
{
    if (!mReply)
        return;
    QNetworkReply* reply = mReply;
    mReply = nullptr;
    reply->disconnect(this); // its finished() is not ours to handle any more
    reply->abort();
    reply->deleteLater();
}

void ModelDownload::sendRequest()
{
    mFile.close();
    mFile.setFileName(partPath());
    // Unbuffered: a failed write (a full disk) is seen at once, with errno, not at a later flush.
    const bool continuing = QFileInfo(partPath()).size() > 0; // (a device such as /dev/full cannot seek to its end)
    const QIODevice::OpenMode mode = QIODevice::WriteOnly | QIODevice::Unbuffered | (continuing ? QIODevice::Append : QIODevice::Truncate);
    if (!mFile.open(mode)) {
        fail(tr("Cannot write %1: %2.").arg(native(partPath()), mFile.errorString()));
        return;
    }
    mReceived = mFile.size();
    mAttemptStart = mReceived;
    mHeadersSeen = false;
    mSamples.clear();
    if (mRequest.size > 0 && mTotal < 0)
        mTotal = mRequest.size;
    if (mRequest.size > 0 && !checkFreeSpace(mRequest.size - mReceived))
        return;

    QNetworkRequest request(mRequest.urls.value(mUrlIndex));
    request.setRawHeader("Accept-Encoding", "identity"); // byte offsets must be the file's
    request.setRawHeader("User-Agent", "Atelier/" ATELIER_VERSION);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::NoLessSafeRedirectPolicy);
    request.setTransferTimeout(mStallTimeoutMs);
    if (mReceived > 0)
        request.setRawHeader("Range", "bytes=" + QByteArray::number(mReceived) + "-");
    mReply = mNetwork->get(request);
    mReply->setReadBufferSize(8 << 20); // the socket waits while 8 MiB are unwritten
    connect(mReply, &QNetworkReply::metaDataChanged, this, &ModelDownload::onMetaData);
    connect(mReply, &QNetworkReply::readyRead, this, &ModelDownload::onReadyRead);
    connect(mReply, &QNetworkReply::finished, this, &ModelDownload::onReplyFinished);
    setState(State::Downloading);
    updateSpeed(true);
}

void ModelDownload::onMetaData()
{
    if (!mReply || mHeadersSeen)
        return;
    const int status = mReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status >= 300 && status < 400)
        return; // a redirect; Qt follows it
    if (status != 200 && status != 206)
        return; // an error; onReplyFinished says which
    mHeadersSeen = true;
    const qint64 length = mReply->header(QNetworkRequest::ContentLengthHeader).toLongLong();
    if (status == 206) {
        const auto [start, total] = parseContentRange(mReply->rawHeader("Content-Range"));
        if (start != mReceived) {
            fail(tr("The server sent the file from byte %1 when asked for byte %2; delete %3 and try again.")
                     .arg(start).arg(mReceived).arg(native(partPath())));
            return;
        }
        mTotal = total > 0 ? total : (length > 0 ? mReceived + length : -1);
    } else {
        if (mReceived > 0) {
            // 200 to a Range request: the whole file is coming again.
            mFile.resize(0);
            mFile.seek(0);
            mReceived = 0;
            mAttemptStart = 0;
            mSamples.clear();
            emit notice(tr("The server does not support resuming downloads, so this one starts over."));
        }
        mTotal = length > 0 ? length : -1;
    }
    if (mRequest.size > 0 && mTotal > 0 && mTotal != mRequest.size) {
        fail(tr("The server's file has %1 bytes but the catalogue says %2: the file changed or the address is wrong.")
                 .arg(mTotal).arg(mRequest.size));
        return;
    }
    if (mTotal > 0)
        checkFreeSpace(mTotal - mReceived);
}

bool ModelDownload::checkFreeSpace(qint64 stillToCome)
{
    const QStorageInfo storage(QFileInfo(mRequest.destination).absolutePath());
    const qint64 free = storage.bytesAvailable();
    if (storage.isValid() && free >= 0 && stillToCome > free) {
        fail(tr("Not enough free space on %1: the download needs %2 more, %3 are free.")
                 .arg(native(storage.rootPath()), formatDownloadSize(stillToCome), formatDownloadSize(free)));
        return false;
    }
    return true;
}

void ModelDownload::onReadyRead()
{
    if (!mReply)
        return;
    if (!mHeadersSeen) {
        onMetaData();
        if (!mHeadersSeen || !mReply)
            return; // an error page, not the file
    }
    if (!writeChunk(mReply->readAll()))
        return;
    updateSpeed(false);
}

bool ModelDownload::writeChunk(const QByteArray& data)
{
    if (data.isEmpty())
        return true;
    errno = 0;
    const qint64 written = mFile.write(data);
    if (written == data.size()) {
        mReceived += written;
        return true;
    }
    const bool full = errno == ENOSPC || errno == EDQUOT;
    const QString reason = mFile.errorString();
    if (written > 0)
        mReceived += written;
    if (full)
        fail(tr("The disk is full: %1 could not be written after %2. Free some space, then Resume.")
                 .arg(native(partPath()), formatDownloadSize(mReceived)));
    else
        fail(tr("Cannot write %1: %2.").arg(native(partPath()), reason));
    return false;
}

void ModelDownload::onReplyFinished()
{
    QNetworkReply* reply = mReply;
    if (!reply)
        return;
    mReply = nullptr;
    reply->deleteLater();
    if (mHeadersSeen && reply->bytesAvailable() > 0 && !writeChunk(reply->readAll()))
        return;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QUrl url = reply->request().url();
    if (status == 404 || status == 410) {
        if (mUrlIndex + 1 < mRequest.urls.size()) {
            ++mUrlIndex;
            emit notice(tr("%1 has no such file (HTTP %2); trying %3.").arg(url.host()).arg(status)
                            .arg(mRequest.urls[mUrlIndex].host()));
            sendRequest();
            return;
        }
        fail(tr("The server has no file at %1 (HTTP %2 Not Found): the catalogue entry is out of date.")
                 .arg(url.toString()).arg(status));
        return;
    }
    if (status == 416 && !mRestartedWithoutRange) {
        // The .part is as long as, or longer than, the file: start over once.
        mRestartedWithoutRange = true;
        mFile.resize(0);
        emit notice(tr("The partial file did not fit the server's file, so the download starts over."));
        sendRequest();
        return;
    }
    if (status >= 400) {
        const QString phrase = reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString();
        fail(tr("The server answered HTTP %1 %2 for %3.").arg(status).arg(phrase, url.toString()));
        return;
    }
    if (reply->error() != QNetworkReply::NoError) {
        handleNetworkError(reply);
        return;
    }
    if (mTotal > 0 && mReceived < mTotal) {
        retryOrFail(tr("The connection dropped after %1 of %2.").arg(formatDownloadSize(mReceived), formatDownloadSize(mTotal)));
        return;
    }
    mFile.close();
    updateSpeed(true);
    verify();
}

void ModelDownload::handleNetworkError(QNetworkReply* reply)
{
    const QString host = reply->request().url().host();
    const QString detail = reply->errorString();
    switch (reply->error()) {
    case QNetworkReply::HostNotFoundError:
        fail(tr("Cannot reach %1 (host not found): check that this computer is online.").arg(host));
        return;
    case QNetworkReply::ConnectionRefusedError:
        fail(tr("%1 refused the connection: the server is down or the address is wrong.").arg(host));
        return;
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
    case QNetworkReply::UnknownNetworkError:
        fail(tr("No network: %1.").arg(detail));
        return;
    case QNetworkReply::SslHandshakeFailedError:
        fail(tr("The secure connection to %1 failed: %2.").arg(host, detail));
        return;
    case QNetworkReply::OperationCanceledError: // the transfer timeout
    case QNetworkReply::TimeoutError:
        retryOrFail(tr("%1 sent nothing for %2 s.").arg(host).arg(mStallTimeoutMs / 1000.0));
        return;
    case QNetworkReply::RemoteHostClosedError:
    case QNetworkReply::ProxyConnectionClosedError:
        retryOrFail(tr("The connection dropped after %1.").arg(formatDownloadSize(mReceived)));
        return;
    default:
        retryOrFail(tr("The download stopped: %1.").arg(detail));
        return;
    }
}

void ModelDownload::retryOrFail(const QString& message)
{
    if (mReceived > mAttemptStart)
        mRetries = 0; // this attempt made progress: the connection is flaky, not dead
    if (mRetries < maxRetries()) {
        ++mRetries;
        emit notice(tr("%1 Resuming from %2 (try %3 of %4).").arg(message, formatDownloadSize(mReceived))
                        .arg(mRetries).arg(maxRetries()));
        QTimer::singleShot(mRetryDelayMs, this, [this] {
            if (mState == State::Downloading)
                sendRequest();
        });
        return;
    }
    fail(tr("%1 Resume continues from %2.").arg(message, formatDownloadSize(mReceived)));
}

void ModelDownload::verify()
{
    setState(State::Verifying);
    mHashCancel = std::make_shared<std::atomic<bool>>(false);
    auto cancelFlag = mHashCancel;
    const QString path = partPath();
    mHashError.clear();
    mHashWatcher.setFuture(QtConcurrent::run([path, cancelFlag]() -> QString {
        auto digest = sha256OfFile(path, cancelFlag.get());
        return digest ? digest.value() : QStringLiteral("!") + QString::fromStdString(digest.error().message);
    }));
}

void ModelDownload::onVerified()
{
    if (mState != State::Verifying)
        return; // cancelled meanwhile
    const QString digest = mHashWatcher.result();
    if (digest.startsWith('!')) {
        fail(digest.mid(1));
        return;
    }
    mComputedSha256 = digest;
    if (mRequest.sha256.isEmpty()) {
        emit notice(tr("Not verified (no checksum in the catalogue). Its sha256, %1, is recorded beside the file, so "
                       "a later check can tell if it changes.").arg(digest));
    } else if (digest != mRequest.sha256) {
        QFile::remove(partPath());
        mReceived = 0;
        fail(tr("Wrong checksum: the downloaded file's sha256 is %1 but %2 was expected. The file was damaged on the "
                "way or changed on the server; it was deleted, download it again.")
                 .arg(digest, mRequest.sha256));
        return;
    }
    QFile::remove(mRequest.destination);
    if (!QFile::rename(partPath(), mRequest.destination)) {
        fail(tr("Cannot move %1 to %2.").arg(native(partPath()), native(mRequest.destination)));
        return;
    }
    // What arrived, for a later check (`atelier models verify`); a model the catalogue has no
    // checksum for has nothing else to be checked against.
    if (const Status recorded = recordSha256(mRequest.destination, digest); !recorded)
        emit notice(QString::fromStdString(recorded.error().message));
    setState(State::Finished);
    emit finished(mRequest.destination);
}

void ModelDownload::fail(const QString& message)
{
    abortReply();
    mFile.close();
    const QFileInfo part(partPath());
    if (part.exists() && part.size() == 0 && !part.isSymLink())
        QFile::remove(partPath()); // nothing arrived: leave no trace
    mError = message;
    mSpeed = 0;
    setState(State::Failed);
    emit failed(message);
}

void ModelDownload::setState(State state)
{
    if (mState == state)
        return;
    mState = state;
    emit stateChanged(state);
}

void ModelDownload::updateSpeed(bool force)
{
    const qint64 now = mClock.elapsed();
    mSamples.append({now, mReceived});
    while (mSamples.size() > 2 && now - mSamples.first().first > 3000)
        mSamples.removeFirst();
    const qint64 span = mSamples.last().first - mSamples.first().first;
    mSpeed = mState == State::Downloading && span > 0
                 ? double(mSamples.last().second - mSamples.first().second) * 1000.0 / double(span)
                 : 0.0;
    if (!force && mLastProgressMs >= 0 && now - mLastProgressMs < 100)
        return; // at most ten updates a second
    mLastProgressMs = now;
    emit progress(mReceived, mTotal, mSpeed);
}

} // namespace atelier::models

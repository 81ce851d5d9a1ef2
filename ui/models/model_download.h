#pragma once
// One model file coming from the network into the models folder. Bytes go into `<file>.part`; a
// pause, a dropped connection or a restart continues from its end with an HTTP Range request (and
// starts over when the server ignores Range). The finished file's sha256 is computed on a worker
// thread and checked before the file is renamed into place. Never blocks the caller's thread.

#include <QElapsedTimer>
#include <QFile>
#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QPair>
#include <QPointer>
#include <QUrl>

#include <atomic>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace atelier::models {

struct DownloadRequest {
    QList<QUrl> urls;     // the same file at each address, tried in order when one answers 404
    QString destination;  // the final path; the download writes destination + ".part"
    QString sha256;       // expected lower-case hex; empty: no published checksum
    qint64 size = 0;      // expected bytes; 0 when unknown
};

class ModelDownload : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Downloading, Paused, Verifying, Finished, Failed, Cancelled };
    Q_ENUM(State)

    ModelDownload(QNetworkAccessManager* network, DownloadRequest request, QObject* parent = nullptr);
    ~ModelDownload() override;

    void start();  // also continues a .part left by an earlier run
    void pause();  // keeps the .part; resume() continues from its end
    void resume(); // after a pause or a failure that left a .part
    void cancel(); // stops and deletes the .part

    State state() const { return mState; }
    const DownloadRequest& request() const { return mRequest; }
    QString partPath() const { return mRequest.destination + QStringLiteral(".part"); }
    qint64 received() const { return mReceived; }
    qint64 total() const { return mTotal; } // -1 until the server says
    double bytesPerSecond() const { return mSpeed; }
    QString errorMessage() const { return mError; }
    QString computedSha256() const { return mComputedSha256; }
    bool canResume() const;

    static int maxRetries() { return 3; }
    // How long a silent connection is kept (ms); tests shorten it.
    void setStallTimeout(int ms) { mStallTimeoutMs = ms; }
    void setRetryDelay(int ms) { mRetryDelayMs = ms; }

signals:
    void stateChanged(atelier::models::ModelDownload::State state);
    void progress(qint64 received, qint64 total, double bytesPerSecond);
    void notice(const QString& text);      // resumed after a drop, server without Range, no checksum
    void finished(const QString& path);    // the file is in place (and matched its checksum if one was given)
    void failed(const QString& message);   // what went wrong and what to do

private:
    void sendRequest();
    void onMetaData();
    void onReadyRead();
    void onReplyFinished();
    void handleNetworkError(QNetworkReply* reply);
    void retryOrFail(const QString& message);
    void verify();
    void onVerified();
    void fail(const QString& message);
    void setState(State state);
    void abortReply();
    bool writeChunk(const QByteArray& data);
    bool checkFreeSpace(qint64 stillToCome);
    void updateSpeed(bool force);

    QNetworkAccessManager* mNetwork;
    DownloadRequest mRequest;
    State mState = State::Idle;
    QPointer<QNetworkReply> mReply;
    QFile mFile;
    int mUrlIndex = 0;
    int mRetries = 0;
    bool mHeadersSeen = false;
    bool mRestartedWithoutRange = false;
    qint64 mReceived = 0;
    qint64 mTotal = -1;
    qint64 mAttemptStart = 0;      // bytes in the .part when this request began
    double mSpeed = 0;
    QString mError;
    QString mComputedSha256;
    int mStallTimeoutMs = 30000;
    int mRetryDelayMs = 1000;
    QElapsedTimer mClock;
    qint64 mLastProgressMs = -1;
    QList<QPair<qint64, qint64>> mSamples; // (ms, bytes received) over the last few seconds
    std::shared_ptr<std::atomic<bool>> mHashCancel;
    QFutureWatcher<QString> mHashWatcher; // the hex digest, or "" with mHashError set
    QString mHashError;
};

// "1.2 GB", "512 KB": sizes in the units download pages use.
QString formatDownloadSize(qint64 bytes);

} // namespace atelier::models

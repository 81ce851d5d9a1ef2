#pragma once
// Atelier's OpenAI-compatible HTTP API on Qt HTTP Server:
//   GET  /v1/models                the served chat and image models
//   POST /v1/chat/completions      through the model's chat template; streamed as server-sent events
//   POST /v1/completions           a plain prompt continued
//   POST /v1/images/generations    PNGs as b64_json
//   POST /v1/embeddings            vectors from a BERT-family GGUF, batched
// Every request becomes a job on the compute engine the window shares. The server keeps one queue
// per client (the request's `user` field, else the client's address) and hands the engine one job
// at a time, the next from the waiting client served longest ago: a client with many requests
// waiting cannot keep another (or the window, whose jobs reach the engine between the server's)
// waiting behind all of them.
// A client that disconnects cancels its job, or drops it from its queue. Errors answer in
// OpenAI's JSON error shape.
// Binds 127.0.0.1 unless told otherwise, and any other address only with an API key.

#include "engine/compute_engine.h"
#include "core/result.h"

#include <QAbstractHttpServer>
#include <QHttpServerResponder>
#include <QPointer>
#include <QString>

#include <deque>
#include <map>
#include <memory>

class QTcpSocket;

namespace atelier::server {

struct ApiError;
struct JobFailure;
struct AnswerHeader;

struct ServerOptions {
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 8080;                 // 0: any free port
    QString apiKey;                      // required as "Authorization: Bearer KEY" when set
    QString chatModelPath;               // GGUF; empty: no chat model served
    QString imageModelPath;              // SD checkpoint; empty: no image model served
    QString embeddingModelPath;          // bert / nomic-bert GGUF; empty: no embeddings served
    int contextLength = 4096;            // tokens the served chat model holds
    qint64 maxBodyBytes = 32 * 1024 * 1024; // a 20 MiB picture in base64 fits
};

// "gemma-3-270m-q4_k_m" for ".../gemma-3-270m-q4_k_m.gguf": the id a model is asked for by.
QString modelId(const QString& path);
// Why these options may not be served ("binding 0.0.0.0 needs an API key"); empty when they may.
QString refusalReason(const ServerOptions& options);

class OpenAiServer final : public QAbstractHttpServer {
    Q_OBJECT
public:
    explicit OpenAiServer(engine::ComputeEngine& engine, QObject* parent = nullptr);
    ~OpenAiServer() override; // cancels the jobs of its requests

    // Listens on options.host:options.port; fails with the reason (no key for a public address,
    // the port is taken). Call once; delete the server to stop it.
    Status start(const ServerOptions& options);
    quint16 port() const { return mPort; }
    QString baseUrl() const; // "http://127.0.0.1:8080/v1"
    const ServerOptions& options() const { return mOptions; }
    // Changes the served models (the window serves the model it has loaded).
    void setChatModel(const QString& path) { mOptions.chatModelPath = path; }
    void setImageModel(const QString& path) { mOptions.imageModelPath = path; }
    void setEmbeddingModel(const QString& path) { mOptions.embeddingModelPath = path; }
    // Requests waiting in the server's queues or running on the engine.
    int pendingRequests() const { return int(mExchanges.size()); }
    // Requests waiting in the server's queues (not yet handed to the engine).
    int queuedRequests() const { return int(mExchanges.size()) - (mRunning ? 1 : 0); }

signals:
    // After each request: "POST /v1/chat/completions 200" for a log or a status line.
    void requestAnswered(const QString& method, const QString& path, int status);
    // A client went away before its answer was done: its job was cancelled, or (job 0) it was
    // dropped from the queue before it reached the engine.
    void requestAbandoned(atelier::engine::JobId job);
    // A request's job went to the engine; `client` is whose turn it was.
    void requestStarted(atelier::engine::JobId job, const QString& client);

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;

private:
    // A request waiting in its client's queue or for its compute job.
    struct Exchange {
        QString client;
        std::unique_ptr<engine::Job> job; // until it goes to the engine
        engine::JobId jobId = 0;          // once it has
        std::unique_ptr<QHttpServerResponder> responder;
        QPointer<QTcpSocket> socket;
        QMetaObject::Connection disconnected;
        QString method, path;
        bool stream = false;
        bool streamUsage = false;
        bool streaming = false; // the 200 and its headers have gone out
        std::unique_ptr<AnswerHeader> header; // text answers
        QString model;                        // embeddings: the id answered with
        bool base64 = false;                  // embeddings: encoding_format
        std::shared_ptr<JobFailure> failure;  // the job's error code
    };
    void respond(QHttpServerResponder& responder, const QString& method, const QString& path, int status,
                 const QByteArray& json);
    void fail(QHttpServerResponder& responder, const QString& method, const QString& path, const ApiError& error);
    // Queues the request's job behind its client's earlier ones.
    Exchange& enqueue(const QString& client, std::unique_ptr<engine::Job> job, std::shared_ptr<JobFailure> failure,
                      QHttpServerResponder responder, QTcpSocket* socket, const QString& method, const QString& path);
    // When no job of the server's is on the engine: the next client's next request goes there.
    void startNext();
    void abandon(quint64 request);
    Exchange* exchangeOfJob(engine::JobId id, quint64* request = nullptr);
    void postText(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket, bool chat);
    void postImages(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket);
    void postEmbeddings(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket);
    // The served models' kinds by id; wrongKind: a 400 for a served model of another kind.
    QString kindOf(const QString& id) const;
    ApiError wrongKind(const QString& id, const QString& wanted) const;
    void writeChunk(Exchange& exchange, const QByteArray& data);
    void beginStream(Exchange& exchange);
    void finishExchange(engine::JobId id);
    static QString clientOf(const QHttpServerRequest& request, const QString& user);

    void jobPartial(engine::JobId id, const QVariant& data);
    void jobFinished(engine::JobId id, const QVariant& result);
    void jobFailed(engine::JobId id, const QString& message);
    void jobCancelled(engine::JobId id);

    engine::ComputeEngine& mEngine;
    ServerOptions mOptions;
    quint16 mPort = 0;
    std::map<quint64, Exchange> mExchanges;               // by request number, queued and running
    std::map<QString, std::deque<quint64>> mQueues;      // each client's waiting requests, oldest first
    std::map<QString, quint64> mLastTurn;                 // when each client last had a job started (mTurn)
    quint64 mTurn = 0;
    quint64 mRunning = 0;                                 // the request whose job is on the engine
    quint64 mNextRequest = 1;
    quint64 mNextAnswer = 1;
};

} // namespace atelier::server

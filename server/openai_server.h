#pragma once
// Atelier's OpenAI-compatible HTTP API on Qt HTTP Server:
//   GET  /v1/models                the served chat and image models
//   POST /v1/chat/completions      through the model's chat template; streamed as server-sent events
//   POST /v1/completions           a plain prompt continued
//   POST /v1/images/generations    PNGs as b64_json
//   POST /v1/embeddings            vectors from a BERT-family GGUF, batched
// Every request becomes a job on the compute engine the window shares, so requests wait their turn
// behind each other and the window's own jobs in the order they came (one queue, first come first
// served); a client that disconnects cancels its job. Errors answer in OpenAI's JSON error shape.
// Binds 127.0.0.1 unless told otherwise, and any other address only with an API key.

#include "engine/compute_engine.h"
#include "core/result.h"

#include <QAbstractHttpServer>
#include <QHttpServerResponder>
#include <QPointer>
#include <QString>

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
    qint64 maxBodyBytes = 8 * 1024 * 1024;
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
    // Requests whose job is queued or running.
    int pendingRequests() const { return int(mExchanges.size()); }

signals:
    // After each request: "POST /v1/chat/completions 200" for a log or a status line.
    void requestAnswered(const QString& method, const QString& path, int status);
    // A client went away before its answer was done and its job was cancelled.
    void requestAbandoned(atelier::engine::JobId job);

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;

private:
    // A request waiting for its compute job.
    struct Exchange {
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
    Exchange& submit(std::unique_ptr<engine::Job> job, std::shared_ptr<JobFailure> failure,
                     QHttpServerResponder responder, QTcpSocket* socket, const QString& method, const QString& path);
    void postText(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket, bool chat);
    void postImages(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket);
    void postEmbeddings(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket);
    // The served models' kinds by id; wrongKind: a 400 for a served model of another kind.
    QString kindOf(const QString& id) const;
    ApiError wrongKind(const QString& id, const QString& wanted) const;
    void writeChunk(Exchange& exchange, const QByteArray& data);
    void beginStream(Exchange& exchange);
    void finishExchange(engine::JobId id);

    void jobPartial(engine::JobId id, const QVariant& data);
    void jobFinished(engine::JobId id, const QVariant& result);
    void jobFailed(engine::JobId id, const QString& message);
    void jobCancelled(engine::JobId id);

    engine::ComputeEngine& mEngine;
    ServerOptions mOptions;
    quint16 mPort = 0;
    std::map<engine::JobId, Exchange> mExchanges;
    quint64 mNextAnswer = 1;
};

} // namespace atelier::server

#include "server/openai_server.h"

#include "server/api_error.h"
#include "server/api_requests.h"
#include "server/api_responses.h"
#include "server/body_limit.h"
#include "server/embedding_job.h"
#include "server/image_job.h"
#include "server/text_job.h"

#include <QDateTime>
#include <QFileInfo>
#include <QHash>
#include <QHostAddress>
#include <QHttpServerRequest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpSocket>

#include <algorithm>

namespace atelier::server {

namespace {

using HttpStatus = QHttpServerResponder::StatusCode;

qint64 now() { return QDateTime::currentSecsSinceEpoch(); }

QString methodName(const QHttpServerRequest& request)
{
    switch (request.method()) {
    case QHttpServerRequest::Method::Get: return QStringLiteral("GET");
    case QHttpServerRequest::Method::Post: return QStringLiteral("POST");
    case QHttpServerRequest::Method::Put: return QStringLiteral("PUT");
    case QHttpServerRequest::Method::Delete: return QStringLiteral("DELETE");
    case QHttpServerRequest::Method::Options: return QStringLiteral("OPTIONS");
    case QHttpServerRequest::Method::Head: return QStringLiteral("HEAD");
    default: return QStringLiteral("OTHER");
    }
}

bool isLoopback(const QString& host)
{
    if (host == QLatin1String("localhost"))
        return true;
    const QHostAddress address(host);
    return !address.isNull() && address.isLoopback();
}

// Compares without stopping at the first difference, so the time taken says nothing of the key.
bool sameKey(const QByteArray& a, const QByteArray& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i)
        diff |= uchar(a[i]) ^ uchar(b[i]);
    return diff == 0;
}

} // namespace

QString modelId(const QString& path) { return QFileInfo(path).completeBaseName(); }

QString refusalReason(const ServerOptions& options)
{
    if (!isLoopback(options.host) && options.apiKey.isEmpty())
        return QStringLiteral("serving on %1 (not this computer only) needs an API key").arg(options.host);
    return {};
}

OpenAiServer::OpenAiServer(engine::ComputeEngine& engine, QObject* parent) : QAbstractHttpServer(parent), mEngine(engine)
{
    qRegisterMetaType<TextAnswer>();
    qRegisterMetaType<ImagesAnswer>();
    qRegisterMetaType<EmbeddingAnswer>();
    connect(&engine, &engine::ComputeEngine::jobPartial, this, &OpenAiServer::jobPartial);
    connect(&engine, &engine::ComputeEngine::jobFinished, this, &OpenAiServer::jobFinished);
    connect(&engine, &engine::ComputeEngine::jobFailed, this, &OpenAiServer::jobFailed);
    connect(&engine, &engine::ComputeEngine::jobCancelled, this, &OpenAiServer::jobCancelled);
}

OpenAiServer::~OpenAiServer()
{
    for (auto& [request, exchange] : mExchanges) {
        disconnect(exchange.disconnected);
        if (exchange.jobId)
            mEngine.cancel(exchange.jobId);
    }
}

Status OpenAiServer::start(const ServerOptions& options)
{
    if (const QString reason = refusalReason(options); !reason.isEmpty())
        return makeError(ErrorCode::InvalidArgument, reason.toStdString());
    const QHostAddress address = options.host == QLatin1String("localhost") ? QHostAddress(QHostAddress::LocalHost)
                                                                             : QHostAddress(options.host);
    if (address.isNull())
        return makeError(ErrorCode::InvalidArgument, "'" + options.host.toStdString() + "' is not an IP address");
    auto* listener = new BodyLimitedTcpServer(options.maxBodyBytes, this);
    if (!listener->listen(address, options.port)) {
        const std::string reason = listener->errorString().toStdString();
        delete listener;
        return makeError(ErrorCode::Io, "cannot listen on " + options.host.toStdString() + ":" +
                                            std::to_string(options.port) + ": " + reason);
    }
    bind(listener);
    mOptions = options;
    mPort = listener->serverPort();
    return {};
}

QString OpenAiServer::baseUrl() const
{
    const QString host = mOptions.host.contains(':') ? '[' + mOptions.host + ']' : mOptions.host;
    return QStringLiteral("http://%1:%2/v1").arg(host).arg(mPort);
}

void OpenAiServer::respond(QHttpServerResponder& responder, const QString& method, const QString& path, int status,
                           const QByteArray& json)
{
    QTcpSocket* socket = responder.socket();
    if (socket && socket->isOpen())
        responder.write(json, "application/json", HttpStatus(status));
    emit requestAnswered(method, path, status);
}

void OpenAiServer::fail(QHttpServerResponder& responder, const QString& method, const QString& path, const ApiError& error)
{
    respond(responder, method, path, error.status, error.json());
}

bool OpenAiServer::handleRequest(const QHttpServerRequest& request, QTcpSocket* socket)
{
    const QString method = methodName(request);
    const QString path = request.url().path();
    QHttpServerResponder responder = makeResponder(request, socket);
    if (!mOptions.apiKey.isEmpty()) {
        const QByteArray given = request.value("authorization");
        if (!sameKey(given, "Bearer " + mOptions.apiKey.toUtf8())) {
            fail(responder, method, path,
                 ApiError{401,
                          given.isEmpty() ? QStringLiteral("This server needs an API key: send 'Authorization: Bearer KEY'.")
                                          : QStringLiteral("The API key is not the one this server was started with."),
                          QStringLiteral("invalid_request_error"), {}, QStringLiteral("invalid_api_key")});
            return true;
        }
    }
    if (request.body().size() > mOptions.maxBodyBytes) {
        fail(responder, method, path,
             ApiError{413, QStringLiteral("The request body is %1 bytes; this server takes at most %2.").arg(request.body().size()).arg(mOptions.maxBodyBytes),
                      QStringLiteral("invalid_request_error"), {}, QStringLiteral("request_too_large")});
        return true;
    }

    const bool get = request.method() == QHttpServerRequest::Method::Get;
    const bool post = request.method() == QHttpServerRequest::Method::Post;
    auto wrongMethod = [&](const char* allowed) {
        fail(responder, method, path,
             ApiError{405, QStringLiteral("%1 takes %2 requests only.").arg(path, QLatin1String(allowed)),
                      QStringLiteral("invalid_request_error"), {}, QStringLiteral("method_not_allowed")});
        return true;
    };
    if (path == QLatin1String("/v1/models")) {
        if (!get)
            return wrongMethod("GET");
        QStringList chat, image, embedding;
        if (!mOptions.chatModelPath.isEmpty())
            chat << modelId(mOptions.chatModelPath);
        if (!mOptions.imageModelPath.isEmpty())
            image << modelId(mOptions.imageModelPath);
        if (!mOptions.embeddingModelPath.isEmpty())
            embedding << modelId(mOptions.embeddingModelPath);
        respond(responder, method, path, 200,
                QJsonDocument(modelListJson(chat, image, now(), embedding)).toJson(QJsonDocument::Compact));
        return true;
    }
    if (path.startsWith(QLatin1String("/v1/models/"))) {
        if (!get)
            return wrongMethod("GET");
        const QString id = path.mid(int(qstrlen("/v1/models/")));
        if (const QString kind = kindOf(id); !kind.isEmpty())
            respond(responder, method, path, 200, QJsonDocument(modelJson(id, kind, now())).toJson(QJsonDocument::Compact));
        else
            fail(responder, method, path, modelNotFound(id));
        return true;
    }
    if (path == QLatin1String("/v1/chat/completions") || path == QLatin1String("/v1/completions")) {
        if (!post)
            return wrongMethod("POST");
        postText(request, std::move(responder), socket, path == QLatin1String("/v1/chat/completions"));
        return true;
    }
    if (path == QLatin1String("/v1/images/generations")) {
        if (!post)
            return wrongMethod("POST");
        postImages(request, std::move(responder), socket);
        return true;
    }
    if (path == QLatin1String("/v1/embeddings")) {
        if (!post)
            return wrongMethod("POST");
        postEmbeddings(request, std::move(responder), socket);
        return true;
    }
    return false;
}

void OpenAiServer::missingHandler(const QHttpServerRequest& request, QTcpSocket* socket)
{
    QHttpServerResponder responder = makeResponder(request, socket);
    fail(responder, methodName(request), request.url().path(),
         ApiError{404, QStringLiteral("There is no %1 here; the API lives under /v1.").arg(request.url().path()),
                  QStringLiteral("invalid_request_error"), {}, QStringLiteral("unknown_url")});
}

void OpenAiServer::postText(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket, bool chat)
{
    const QString path = request.url().path();
    auto parsed = chat ? parseChatRequest(request.body()) : parseCompletionRequest(request.body());
    if (auto* error = std::get_if<ApiError>(&parsed))
        return fail(responder, "POST", path, *error);
    TextRequest text = std::get<TextRequest>(std::move(parsed));
    if (kindOf(text.model) != QLatin1String("chat"))
        return fail(responder, "POST", path, wrongKind(text.model, "chat"));
    auto header = std::make_unique<AnswerHeader>();
    header->id = QStringLiteral("%1-atelier%2").arg(chat ? "chatcmpl" : "cmpl").arg(mNextAnswer++);
    header->created = now();
    header->model = text.model;
    header->chat = chat;
    const bool stream = text.stream, usage = text.streamUsage;
    const QString client = clientOf(request, text.user);
    auto failure = std::make_shared<JobFailure>();
    Exchange& exchange = enqueue(client, std::make_unique<TextJob>(std::move(text), mOptions.chatModelPath, mOptions.contextLength, failure),
                                failure, std::move(responder), socket, "POST", path);
    exchange.stream = stream;
    exchange.streamUsage = usage;
    exchange.header = std::move(header);
}

void OpenAiServer::postImages(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket)
{
    const QString path = request.url().path();
    auto parsed = parseImagesRequest(request.body());
    if (auto* error = std::get_if<ApiError>(&parsed))
        return fail(responder, "POST", path, *error);
    ImagesRequest images = std::get<ImagesRequest>(std::move(parsed));
    if (kindOf(images.model) != QLatin1String("image"))
        return fail(responder, "POST", path, wrongKind(images.model, "image"));
    const QString client = clientOf(request, images.user);
    auto failure = std::make_shared<JobFailure>();
    enqueue(client, std::make_unique<ImageJob>(std::move(images), mOptions.imageModelPath, failure), failure,
            std::move(responder), socket, "POST", path);
}

void OpenAiServer::postEmbeddings(const QHttpServerRequest& request, QHttpServerResponder responder, QTcpSocket* socket)
{
    const QString path = request.url().path();
    auto parsed = parseEmbeddingRequest(request.body());
    if (auto* error = std::get_if<ApiError>(&parsed))
        return fail(responder, "POST", path, *error);
    EmbeddingRequest embedding = std::get<EmbeddingRequest>(std::move(parsed));
    if (kindOf(embedding.model) != QLatin1String("embedding"))
        return fail(responder, "POST", path, wrongKind(embedding.model, "embedding"));
    const QString model = embedding.model;
    const bool base64 = embedding.base64;
    const QString client = clientOf(request, embedding.user);
    auto failure = std::make_shared<JobFailure>();
    Exchange& exchange = enqueue(client, std::make_unique<EmbeddingJob>(std::move(embedding), mOptions.embeddingModelPath, failure),
                                failure, std::move(responder), socket, "POST", path);
    exchange.model = model;
    exchange.base64 = base64;
}

QString OpenAiServer::kindOf(const QString& id) const
{
    // In this order: a file served as two kinds answers as the first.
    for (auto [file, kind] : {std::pair{&mOptions.chatModelPath, "chat"},
                              {&mOptions.embeddingModelPath, "embedding"},
                              {&mOptions.imageModelPath, "image"}})
        if (!file->isEmpty() && id == modelId(*file))
            return QLatin1String(kind);
    return {};
}

ApiError OpenAiServer::wrongKind(const QString& id, const QString& wanted) const
{
    const QString kind = kindOf(id);
    if (kind.isEmpty())
        return modelNotFound(id);
    static const QHash<QString, QString> article{{"chat", "a chat"}, {"image", "an image"}, {"embedding", "an embedding"}};
    static const QHash<QString, QString> product{{"chat", "chat answers"}, {"image", "pictures"}, {"embedding", "embeddings"}};
    ApiError error = badRequest(QStringLiteral("'%1' is %2 model and makes no %3; GET /v1/models lists each model's kind.")
                                    .arg(id, article.value(kind), product.value(wanted)),
                                "model");
    error.code = QStringLiteral("model_not_supported");
    return error;
}

QString OpenAiServer::clientOf(const QHttpServerRequest& request, const QString& user)
{
    if (!user.isEmpty())
        return QStringLiteral("user ") + user;
    return QStringLiteral("address ") + request.remoteAddress().toString();
}

OpenAiServer::Exchange& OpenAiServer::enqueue(const QString& client, std::unique_ptr<engine::Job> job,
                                              std::shared_ptr<JobFailure> failure, QHttpServerResponder responder,
                                              QTcpSocket* socket, const QString& method, const QString& path)
{
    const quint64 request = mNextRequest++;
    Exchange& exchange = mExchanges[request];
    exchange.client = client;
    exchange.job = std::move(job);
    exchange.responder = std::make_unique<QHttpServerResponder>(std::move(responder));
    exchange.socket = socket;
    exchange.method = method;
    exchange.path = path;
    exchange.failure = std::move(failure);
    // The client hung up: nobody wants the answer, so stop making it (or never start).
    exchange.disconnected = connect(socket, &QTcpSocket::disconnected, this, [this, request] { abandon(request); });
    mQueues[client].push_back(request);
    // After the handler has filled in the rest of the exchange.
    QMetaObject::invokeMethod(this, &OpenAiServer::startNext, Qt::QueuedConnection);
    return exchange;
}

void OpenAiServer::startNext()
{
    if (mRunning)
        return;
    if (mQueues.empty()) {
        mLastTurn.clear(); // idle: the next busy spell starts everyone even
        return;
    }
    // The client whose last turn is oldest (never: 0), then the one waiting longest.
    auto next = mQueues.begin();
    for (auto it = mQueues.begin(); it != mQueues.end(); ++it) {
        const std::pair a{mLastTurn[it->first], it->second.front()}, b{mLastTurn[next->first], next->second.front()};
        if (a < b)
            next = it;
    }
    const QString client = next->first;
    const quint64 request = next->second.front();
    next->second.pop_front();
    if (next->second.empty())
        mQueues.erase(next);
    mLastTurn[client] = ++mTurn;
    Exchange& exchange = mExchanges.at(request);
    exchange.jobId = mEngine.submit(std::move(exchange.job));
    mRunning = request;
    emit requestStarted(exchange.jobId, client);
}

void OpenAiServer::abandon(quint64 request)
{
    auto it = mExchanges.find(request);
    if (it == mExchanges.end())
        return;
    Exchange& exchange = it->second;
    exchange.socket.clear();
    if (exchange.jobId) { // its jobCancelled (or a finish that raced it) ends the exchange
        mEngine.cancel(exchange.jobId);
        emit requestAbandoned(exchange.jobId);
        return;
    }
    std::deque<quint64>& queue = mQueues[exchange.client];
    queue.erase(std::remove(queue.begin(), queue.end(), request), queue.end());
    if (queue.empty())
        mQueues.erase(exchange.client);
    disconnect(exchange.disconnected);
    mExchanges.erase(it);
    emit requestAbandoned(0);
}

OpenAiServer::Exchange* OpenAiServer::exchangeOfJob(engine::JobId id, quint64* request)
{
    if (!mRunning || !id)
        return nullptr;
    auto it = mExchanges.find(mRunning);
    if (it == mExchanges.end() || it->second.jobId != id)
        return nullptr;
    if (request)
        *request = mRunning;
    return &it->second;
}

void OpenAiServer::writeChunk(Exchange& exchange, const QByteArray& data)
{
    if (!exchange.socket || !exchange.socket->isOpen() || data.isEmpty())
        return;
    // Chunked transfer coding (RFC 9112, 7.1): the length in hex, the bytes, CRLF.
    exchange.responder->writeBody(QByteArray::number(data.size(), 16) + "\r\n" + data + "\r\n");
}

void OpenAiServer::beginStream(Exchange& exchange)
{
    if (exchange.streaming || !exchange.socket || !exchange.socket->isOpen())
        return;
    exchange.streaming = true;
    QHttpServerResponder& r = *exchange.responder;
    r.writeStatusLine(HttpStatus::Ok);
    r.writeHeaders({{"Content-Type", "text/event-stream"},
                    {"Cache-Control", "no-cache"},
                    {"Transfer-Encoding", "chunked"}});
    writeChunk(exchange, serverSentEvent(textChunkJson(*exchange.header, QString(), QString(), true)));
}

void OpenAiServer::finishExchange(engine::JobId id)
{
    quint64 request = 0;
    Exchange* exchange = exchangeOfJob(id, &request);
    if (!exchange)
        return;
    disconnect(exchange->disconnected);
    mExchanges.erase(request);
    mRunning = 0;
    startNext();
}

void OpenAiServer::jobPartial(engine::JobId id, const QVariant& data)
{
    Exchange* found = exchangeOfJob(id);
    if (!found || !found->stream || !found->header)
        return;
    Exchange& exchange = *found;
    beginStream(exchange);
    writeChunk(exchange, serverSentEvent(textChunkJson(*exchange.header, data.toString())));
}

void OpenAiServer::jobFinished(engine::JobId id, const QVariant& result)
{
    Exchange* found = exchangeOfJob(id);
    if (!found)
        return;
    Exchange& exchange = *found;
    if (!exchange.socket) {
        finishExchange(id);
        return;
    }
    if (result.canConvert<EmbeddingAnswer>()) {
        respond(*exchange.responder, exchange.method, exchange.path, 200,
                QJsonDocument(embeddingsJson(result.value<EmbeddingAnswer>(), exchange.model, exchange.base64))
                    .toJson(QJsonDocument::Compact));
    } else if (result.canConvert<ImagesAnswer>()) {
        respond(*exchange.responder, exchange.method, exchange.path, 200,
                QJsonDocument(imagesJson(result.value<ImagesAnswer>(), now())).toJson(QJsonDocument::Compact));
    } else if (exchange.stream) {
        const TextAnswer answer = result.value<TextAnswer>();
        beginStream(exchange);
        writeChunk(exchange, serverSentEvent(textChunkJson(*exchange.header, QString(), answer.finishReason)));
        if (exchange.streamUsage) {
            QJsonObject usage = textChunkJson(*exchange.header, QString());
            usage["choices"] = QJsonArray();
            usage["usage"] = usageJson(answer.promptTokens, answer.completionTokens);
            writeChunk(exchange, serverSentEvent(usage));
        }
        writeChunk(exchange, serverSentEvent(QByteArray("[DONE]")));
        if (exchange.socket && exchange.socket->isOpen())
            exchange.responder->writeBody(QByteArray("0\r\n\r\n"));
        emit requestAnswered(exchange.method, exchange.path, 200);
    } else {
        respond(*exchange.responder, exchange.method, exchange.path, 200,
                QJsonDocument(textAnswerJson(*exchange.header, result.value<TextAnswer>())).toJson(QJsonDocument::Compact));
    }
    finishExchange(id);
}

void OpenAiServer::jobFailed(engine::JobId id, const QString& message)
{
    Exchange* found = exchangeOfJob(id);
    if (!found)
        return;
    Exchange& exchange = *found;
    const int code = exchange.failure ? exchange.failure->code.load() : -1;
    ApiError error = fromJobError(code >= 0 ? ErrorCode(code) : ErrorCode::Vulkan, message);
    if (exchange.failure && error.status == 400)
        error.param = exchange.failure->param;
    if (exchange.socket && exchange.streaming) {
        // The 200 has gone out: the error travels as the stream's last event.
        writeChunk(exchange, serverSentEvent(error.json()));
        writeChunk(exchange, serverSentEvent(QByteArray("[DONE]")));
        exchange.responder->writeBody(QByteArray("0\r\n\r\n"));
        emit requestAnswered(exchange.method, exchange.path, error.status);
    } else if (exchange.socket) {
        fail(*exchange.responder, exchange.method, exchange.path, error);
    }
    finishExchange(id);
}

void OpenAiServer::jobCancelled(engine::JobId id)
{
    Exchange* found = exchangeOfJob(id);
    if (!found)
        return;
    Exchange& exchange = *found;
    if (exchange.socket) {
        // Cancelled by someone else (the window's Cancel all): say so.
        const ApiError error{503, QStringLiteral("The request was cancelled on the server."), QStringLiteral("server_error"), {},
                             QStringLiteral("cancelled")};
        if (exchange.streaming) {
            writeChunk(exchange, serverSentEvent(error.json()));
            writeChunk(exchange, serverSentEvent(QByteArray("[DONE]")));
            exchange.responder->writeBody(QByteArray("0\r\n\r\n"));
            emit requestAnswered(exchange.method, exchange.path, error.status);
        } else {
            fail(*exchange.responder, exchange.method, exchange.path, error);
        }
    }
    finishExchange(id);
}

} // namespace atelier::server

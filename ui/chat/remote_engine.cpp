#include "chat/remote_engine.h"

#include <QBuffer>
#include <QFile>
#include <QFileInfo>
#include <QFutureWatcher>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace atelier::ui {

Result<QString> pictureDataUrl(const QString& path)
{
    QImageReader reader(path);
    reader.setDecideFormatFromContent(true);
    const QByteArray format = reader.format();
    QByteArray bytes;
    QString type;
    if (format == "png" || format == "jpeg") {
        QFile file(path);
        if (file.size() > kMaxRemotePictureBytes)
            return makeError(ErrorCode::InvalidArgument, "it is over 20 MiB");
        if (!file.open(QIODevice::ReadOnly))
            return makeError(ErrorCode::Io, file.errorString().toStdString());
        bytes = file.readAll();
        type = QString::fromLatin1("image/" + format);
    } else {
        reader.setAutoTransform(true);
        const QImage image = reader.read();
        if (image.isNull())
            return makeError(ErrorCode::Format, reader.errorString().toStdString());
        QBuffer buffer(&bytes);
        if (!buffer.open(QIODevice::WriteOnly) || !image.save(&buffer, "PNG"))
            return makeError(ErrorCode::Io, "it cannot be written as a PNG");
        type = QStringLiteral("image/png");
    }
    return QStringLiteral("data:%1;base64,").arg(type) + QString::fromLatin1(bytes.toBase64());
}

QString RemoteEndpoint::modelPath() const
{
    return baseUrl.toString(QUrl::StripTrailingSlash) + QStringLiteral("/models/") + model;
}

std::optional<RemoteEndpoint> RemoteEndpoint::fromModelPath(const QString& path)
{
    if (!path.startsWith(QLatin1String("http://")) && !path.startsWith(QLatin1String("https://")))
        return std::nullopt;
    const qsizetype at = path.lastIndexOf(QLatin1String("/models/"));
    if (at < 0 || at + 8 >= path.size())
        return std::nullopt;
    RemoteEndpoint endpoint;
    endpoint.baseUrl = QUrl(path.left(at));
    endpoint.model = path.mid(at + 8);
    if (!endpoint.baseUrl.isValid() || endpoint.baseUrl.host().isEmpty())
        return std::nullopt;
    return endpoint;
}

QList<QByteArray> ServerSentEvents::push(const QByteArray& bytes)
{
    mBuffer += bytes;
    mBuffer.replace("\r\n", "\n");
    QList<QByteArray> out;
    for (qsizetype end = mBuffer.indexOf("\n\n"); end >= 0; end = mBuffer.indexOf("\n\n")) {
        QByteArray data;
        for (const QByteArray& line : mBuffer.left(end).split('\n')) {
            if (!line.startsWith("data:"))
                continue; // comments (": keep-alive"), event names, ids
            if (!data.isEmpty())
                data += '\n';
            data += line.mid(line.startsWith("data: ") ? 6 : 5);
        }
        if (!data.isEmpty())
            out << data;
        mBuffer.remove(0, end + 2);
    }
    return out;
}

RemoteEngine::RemoteEngine(QObject* parent) : QObject(parent), mNetwork(new QNetworkAccessManager(this)) {}

namespace {

Result<QString> readablePictureUrl(const QString& picture)
{
    auto url = pictureDataUrl(picture);
    if (!url)
        return makeError(url.error().code, RemoteEngine::tr("The picture %1 cannot be sent: %2")
                                               .arg(QFileInfo(picture).fileName(), QString::fromStdString(url.error().message))
                                               .toStdString());
    return url;
}

// The data URLs of the pictures that go, by turn and place; an empty one stays behind. Newest
// first: the question's pictures all go; earlier ones while they fit kMaxRemotePictures and
// kMaxRemotePictureText.
Result<QList<QStringList>> picturesToSend(const ChatRequest& request)
{
    QList<QStringList> urls;
    for (const ChatTurn& turn : request.turns)
        urls.append(QStringList(turn.pictures.size()));
    int sent = 0;
    qint64 text = 0;
    for (qsizetype t = request.turns.size() - 1; t >= 0; --t) {
        const bool question = t == request.turns.size() - 1;
        const QStringList& pictures = request.turns[t].pictures;
        for (qsizetype p = pictures.size() - 1; p >= 0; --p) {
            if (!question && sent >= kMaxRemotePictures)
                continue;
            ATELIER_ASSIGN(QString url, readablePictureUrl(pictures[p]));
            if (!question && text + url.size() > kMaxRemotePictureText)
                continue;
            text += url.size();
            ++sent;
            urls[t][p] = std::move(url);
        }
    }
    return urls;
}

} // namespace

Result<QByteArray> chatCompletionBody(const ChatRequest& request, const QString& model)
{
    ATELIER_ASSIGN(const QList<QStringList> urls, picturesToSend(request));
    QJsonArray messages;
    if (!request.systemPrompt.isEmpty())
        messages.append(QJsonObject{{"role", "system"}, {"content", request.systemPrompt}});
    for (qsizetype t = 0; t < request.turns.size(); ++t) {
        const ChatTurn& turn = request.turns[t];
        if (turn.pictures.isEmpty()) {
            messages.append(QJsonObject{{"role", turn.role}, {"content", turn.text}});
            continue;
        }
        // The pictures before the text, where a vision model reads them.
        QJsonArray parts;
        QStringList behind;
        for (qsizetype p = 0; p < turn.pictures.size(); ++p) {
            if (urls[t][p].isEmpty())
                behind << QFileInfo(turn.pictures[p]).fileName();
            else
                parts.append(QJsonObject{{"type", "image_url"}, {"image_url", QJsonObject{{"url", urls[t][p]}}}});
        }
        QString text;
        for (const QString& name : behind)
            text += QStringLiteral("[picture not sent again: %1]\n").arg(name);
        text += turn.text;
        parts.append(QJsonObject{{"type", "text"}, {"text", text}});
        messages.append(QJsonObject{{"role", turn.role}, {"content", parts}});
    }
    const llm::SamplingParams& s = request.generation.sampling;
    const QJsonObject body{{"model", model},
                           {"messages", messages},
                           {"stream", true},
                           {"stream_options", QJsonObject{{"include_usage", true}}},
                           {"temperature", double(s.temperature)},
                           {"top_p", double(s.topP)},
                           {"max_tokens", request.generation.maxTokens},
                           {"seed", qint64(s.seed & ((1ull << 53) - 1))}}; // what a JSON number holds exactly
    return QJsonDocument(body).toJson(QJsonDocument::Compact);
}

namespace {

bool showsPictures(const ChatRequest& request)
{
    return std::any_of(request.turns.begin(), request.turns.end(), [](const ChatTurn& t) { return !t.pictures.isEmpty(); });
}

} // namespace

void RemoteEngine::answer(const ChatRequest& request)
{
    if (answering()) {
        emit answerFailed(request, tr("Another answer is still being written."));
        return;
    }
    mRequest = request;
    mAnswer = {};
    mAnswer.stats.model = mEndpoint.model;
    mEvents = {};
    mFirstTextMs = -1;
    mDone = false;
    mUsageSeen = false;
    mClock.start();
    if (!showsPictures(request)) {
        auto body = chatCompletionBody(request, mEndpoint.model);
        post(body.value()); // without pictures nothing can fail
        emit answerStarted(request);
        return;
    }
    // Pictures are read and encoded off the UI thread; a stop meanwhile drops the body (mTicket).
    mPreparing = true;
    const quint64 ticket = ++mTicket;
    auto* watcher = new QFutureWatcher<Result<QByteArray>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, ticket] {
        watcher->deleteLater();
        if (ticket != mTicket || !mPreparing)
            return;
        mPreparing = false;
        const Result<QByteArray> body = watcher->result();
        if (!body) {
            emit answerFailed(mRequest, QString::fromStdString(body.error().message));
            return;
        }
        post(body.value());
    });
    watcher->setFuture(QtConcurrent::run(chatCompletionBody, request, mEndpoint.model));
    emit answerStarted(request);
}

void RemoteEngine::post(const QByteArray& body)
{
    QNetworkRequest http(QUrl(mEndpoint.baseUrl.toString() + "/chat/completions"));
    http.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    http.setRawHeader("Accept", "text/event-stream");
    if (!mEndpoint.apiKey.isEmpty())
        http.setRawHeader("Authorization", "Bearer " + mEndpoint.apiKey.toUtf8());
    mReply = mNetwork->post(http, body);
    connect(mReply, &QNetworkReply::readyRead, this, &RemoteEngine::readEvents);
    connect(mReply, &QNetworkReply::finished, this, &RemoteEngine::replyFinished);
}

void RemoteEngine::readEvents()
{
    if (!mReply || mReply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() != 200)
        return; // an error body is read whole when the reply ends
    for (const QByteArray& data : mEvents.push(mReply->readAll())) {
        if (data == "[DONE]") {
            mDone = true;
            continue;
        }
        const QJsonObject event = QJsonDocument::fromJson(data).object();
        if (event.contains("error")) {
            fail(event.value("error").toObject().value("message").toString(tr("The server reported an error.")));
            return;
        }
        if (event.value("usage").isObject()) {
            const QJsonObject usage = event.value("usage").toObject();
            mAnswer.stats.promptTokens = usage.value("prompt_tokens").toInt();
            mAnswer.stats.generatedTokens = usage.value("completion_tokens").toInt();
            mUsageSeen = true;
        }
        const QJsonObject choice = event.value("choices").toArray().first().toObject();
        const QString piece = choice.value("delta").toObject().value("content").toString();
        if (!piece.isEmpty()) {
            if (mFirstTextMs < 0)
                mFirstTextMs = mClock.elapsed();
            mAnswer.text += piece;
            if (!mUsageSeen)
                ++mAnswer.stats.generatedTokens; // one piece is about one token until the server counts
            emit answerText(mRequest.conversationId, piece);
            if (!mReply)
                return; // stopped by a listener of the piece
        }
        if (choice.value("finish_reason").isString())
            mDone = true;
    }
}

void RemoteEngine::replyFinished()
{
    if (!mReply)
        return;
    QNetworkReply* reply = mReply;
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (status == 200)
        readEvents();
    if (!mReply)
        return; // failed while reading
    if (status != 200) {
        const QJsonObject error = QJsonDocument::fromJson(reply->readAll()).object().value("error").toObject();
        QString message = error.value("message").toString();
        if (message.isEmpty())
            message = status ? tr("The server answered %1.").arg(status) : reply->errorString();
        fail(tr("%1 (%2)").arg(message, mEndpoint.baseUrl.host()));
        return;
    }
    if (!mDone && reply->error() != QNetworkReply::NoError) {
        fail(tr("The connection to %1 broke: %2").arg(mEndpoint.baseUrl.host(), reply->errorString()));
        return;
    }
    finish(false);
}

void RemoteEngine::stop()
{
    if (!answering())
        return;
    finish(true);
}

void RemoteEngine::dropReply()
{
    mPreparing = false;
    QNetworkReply* reply = mReply;
    mReply.clear();
    if (!reply)
        return;
    reply->disconnect(this);
    if (reply->isRunning())
        reply->abort(); // the server sees the connection close and cancels its job
    reply->deleteLater();
}

void RemoteEngine::finish(bool stopped)
{
    dropReply();
    const double seconds = mClock.elapsed() / 1000.0;
    ChatAnswer answer = std::move(mAnswer);
    answer.stats.stopped = stopped;
    if (mFirstTextMs >= 0) {
        answer.stats.firstTokenSeconds = mFirstTextMs / 1000.0;
        const double writing = seconds - answer.stats.firstTokenSeconds;
        answer.stats.tokensPerSecond = writing > 0 && answer.stats.generatedTokens > 1 ? answer.stats.generatedTokens / writing : 0;
    }
    emit answerFinished(mRequest, answer);
}

void RemoteEngine::fail(const QString& message)
{
    dropReply();
    emit answerFailed(mRequest, message);
}

} // namespace atelier::ui

#pragma once
// A chat model behind an OpenAI-compatible endpoint (llama.cpp's server, Ollama, vLLM, Atelier's
// own `atelier serve`, any such service): answers a ChatRequest with POST /chat/completions,
// streamed as server-sent events parsed as they arrive, and reports through the same signals
// ChatEngine uses, so a conversation, its branches, export and stats work as with a local model.
// A question's pictures travel in it as image_url data URLs, read and encoded off the UI thread.

#include "chat/chat_engine.h"
#include "core/result.h"

#include <QElapsedTimer>
#include <QNetworkReply>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <optional>

class QNetworkAccessManager;


namespace atelier::ui {

struct RemoteEndpoint {
    QUrl baseUrl;   // "http://127.0.0.1:8080/v1": the part before /chat/completions
    QString apiKey; // sent as "Authorization: Bearer KEY"; empty: none
    QString model;  // the id the service knows the model by

    // A conversation keeps its model as a path; an endpoint's is the model's URL in the API,
    // "<baseUrl>/models/<model>" (the key is not part of it, so it never reaches the database or
    // an export; remote_models.h keeps it).
    QString modelPath() const;
    static std::optional<RemoteEndpoint> fromModelPath(const QString& path);
};

// Reads a server-sent event stream as it arrives: push() whatever bytes came, get back the `data:`
// payloads of every event completed so far (an event may span many pushes).
class ServerSentEvents {
public:
    QList<QByteArray> push(const QByteArray& bytes);

private:
    QByteArray mBuffer;
};

// The largest picture file sent as it is: what Atelier's server takes (server/request_pictures.h).
constexpr qint64 kMaxRemotePictureBytes = qint64(20) << 20;

// A chat picture as an image_url data URL: the file itself when it is a PNG or a JPEG (what every
// OpenAI-compatible server reads), else its upright pixels as a PNG.
Result<QString> pictureDataUrl(const QString& path);

// A server reads every picture of the conversation it is sent, on every turn: Atelier's takes at
// most 16 a request (server::kMaxRequestPictures) in a body of 32 MiB. A long conversation sends
// its newest pictures only, at most this many and, the question's own aside, this much base64;
// an older picture is named in its message instead ("[picture not sent again: cat.png]"), as a
// local model's conversation drops its oldest turns when they no longer fit.
constexpr int kMaxRemotePictures = 16;
constexpr qint64 kMaxRemotePictureText = qint64(24) << 20;

// The body of POST /chat/completions for the request (streamed, with usage); a picture that cannot
// be read fails it. Reads and encodes the pictures' files: call it off the UI thread.
Result<QByteArray> chatCompletionBody(const ChatRequest& request, const QString& model);

class RemoteEngine : public QObject {
    Q_OBJECT
public:
    explicit RemoteEngine(QObject* parent = nullptr);

    void setEndpoint(const RemoteEndpoint& endpoint) { mEndpoint = endpoint; }
    const RemoteEndpoint& endpoint() const { return mEndpoint; }
    // Sends the conversation; one answer at a time (a second is refused with answerFailed).
    void answer(const ChatRequest& request);
    // Ends the answer now; what arrived so far is the answer, marked stopped.
    void stop();
    bool answering() const { return mReply != nullptr || mPreparing; }
    std::optional<ChatRequest> currentRequest() const { return answering() ? std::optional(mRequest) : std::nullopt; }

signals:
    void answerStarted(const atelier::ui::ChatRequest& request);
    void answerText(qint64 conversationId, const QString& piece);
    void answerFinished(const atelier::ui::ChatRequest& request, const atelier::ui::ChatAnswer& answer);
    void answerFailed(const atelier::ui::ChatRequest& request, const QString& message);

private:
    void post(const QByteArray& body);
    void dropReply(); // ends the request, if one went out, and any preparation
    void readEvents();
    void replyFinished();
    void finish(bool stopped);
    void fail(const QString& message);

    QNetworkAccessManager* mNetwork = nullptr;
    RemoteEndpoint mEndpoint;
    QPointer<QNetworkReply> mReply;
    ChatRequest mRequest;
    ChatAnswer mAnswer;
    ServerSentEvents mEvents;
    QElapsedTimer mClock;
    qint64 mFirstTextMs = -1;
    bool mPreparing = false;  // the pictures are being read for the body (off the UI thread)
    quint64 mTicket = 0;      // which preparation's body is still wanted
    bool mDone = false;       // [DONE] or a finish reason arrived
    bool mUsageSeen = false;  // the server counted the tokens (stream_options.include_usage)
};

} // namespace atelier::ui

#pragma once
// A test's HTTP client for the OpenAI-compatible server (server/): one request sent and waited
// for, and the reply read as the API's JSON.

#include <QByteArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QString>
#include <QUrl>

namespace atelier::test {

struct ApiReply {
    int status = 0; // 0: no HTTP answer (nothing listening, a timeout)
    QByteArray body;
    QByteArray contentType;

    QJsonObject json() const;
    QJsonObject error() const { return json().value("error").toObject(); }
    QString errorCode() const { return error().value("code").toString(); }
    QString errorType() const { return error().value("type").toString(); }
    // A chat completion's answer: choices[0].message.content.
    QString content() const;
};

// Sends `body` (JSON) with `method` to `url`, with "Authorization: Bearer KEY" when a key is
// given, and waits for the whole reply.
ApiReply sendApiRequest(QNetworkAccessManager& network, const QUrl& url, const QByteArray& method,
                        const QByteArray& body = {}, const QByteArray& key = {}, int timeoutMs = 120000);

} // namespace atelier::test

#include "api_client.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSignalSpy>

namespace atelier::test {

QJsonObject ApiReply::json() const { return QJsonDocument::fromJson(body).object(); }

QString ApiReply::content() const
{
    return json().value("choices").toArray().first().toObject().value("message").toObject().value("content").toString();
}

ApiReply sendApiRequest(QNetworkAccessManager& network, const QUrl& url, const QByteArray& method, const QByteArray& body,
                        const QByteArray& key, int timeoutMs)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    if (!key.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + key);
    QNetworkReply* reply = network.sendCustomRequest(request, method, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(timeoutMs);
    ApiReply r;
    r.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    r.body = reply->readAll();
    r.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    reply->deleteLater();
    return r;
}

} // namespace atelier::test

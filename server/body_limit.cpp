#include "server/body_limit.h"

#include "server/api_error.h"

#include <QTcpSocket>
#include <QTimer>

namespace atelier::server {

namespace {
constexpr qint64 kHeaderPeek = 16 * 1024;
constexpr int kDrainMilliseconds = 10000; // how long a refused client may keep sending its body
} // namespace

BodyLimitedTcpServer::BodyLimitedTcpServer(qint64 maxBodyBytes, QObject* parent)
    : QTcpServer(parent), mMaxBodyBytes(maxBodyBytes)
{
}

void BodyLimitedTcpServer::incomingConnection(qintptr handle)
{
    auto* socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(handle)) {
        delete socket;
        return;
    }
    // Connected before the HTTP server's own reader, so this sees each request's headers first.
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { inspect(socket); });
    addPendingConnection(socket);
}

void BodyLimitedTcpServer::inspect(QTcpSocket* socket)
{
    const QByteArray head = socket->peek(kHeaderPeek);
    const qsizetype end = head.indexOf("\r\n\r\n");
    const qsizetype space = head.indexOf(' ');
    // Only the start of a request: a method, a space and a path.
    if (end < 0 || space <= 0 || space + 1 >= head.size() || head.at(space + 1) != '/')
        return;
    for (const QByteArray& line : head.left(end).split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon < 0 || line.left(colon).trimmed().toLower() != "content-length")
            continue;
        bool ok = false;
        const qint64 length = line.mid(colon + 1).trimmed().toLongLong(&ok);
        if (ok && length > mMaxBodyBytes)
            refuse(socket, end + 4, length);
        return;
    }
}

void BodyLimitedTcpServer::refuse(QTcpSocket* socket, qint64 headerBytes, qint64 bodyBytes)
{
    // The HTTP server must never see this request.
    disconnect(socket, &QTcpSocket::readyRead, nullptr, nullptr);
    socket->read(headerBytes);
    ApiError error{413, QStringLiteral("The request body is %1 bytes; this server takes at most %2.").arg(bodyBytes).arg(mMaxBodyBytes),
                   QStringLiteral("invalid_request_error"), {}, QStringLiteral("request_too_large")};
    const QByteArray body = error.json();
    socket->write("HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                  QByteArray::number(body.size()) + "\r\n\r\n" + body);
    // Read the body away, keeping none of it, so the client reads the answer instead of a reset.
    auto left = std::make_shared<qint64>(bodyBytes);
    auto drain = [socket, left] {
        while (socket->bytesAvailable() > 0)
            *left -= socket->read(64 * 1024).size();
        if (*left <= 0)
            socket->disconnectFromHost();
    };
    connect(socket, &QTcpSocket::readyRead, socket, drain);
    QTimer::singleShot(kDrainMilliseconds, socket, [socket] { socket->abort(); });
    drain();
}

} // namespace atelier::server

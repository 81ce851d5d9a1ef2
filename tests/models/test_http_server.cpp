#include "test_http_server.h"

#include <QPointer>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTimer>

TestHttpServer::TestHttpServer(QObject* parent) : QTcpServer(parent)
{
    connect(this, &QTcpServer::newConnection, this, &TestHttpServer::onNewConnection);
    listen(QHostAddress::LocalHost, 0);
}

QByteArray TestHttpServer::url(const QByteArray& mode, const QByteArray& name) const
{
    return "http://127.0.0.1:" + QByteArray::number(serverPort()) + "/" + mode + "/" + name;
}

void TestHttpServer::onNewConnection()
{
    while (QTcpSocket* socket = nextPendingConnection()) {
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadable(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void TestHttpServer::onReadable(QTcpSocket* socket)
{
    QByteArray head = socket->property("head").toByteArray() + socket->readAll();
    socket->setProperty("head", head);
    const qsizetype end = head.indexOf("\r\n\r\n");
    if (end < 0 || socket->property("answered").toBool())
        return;
    socket->setProperty("answered", true);
    const QList<QByteArray> lines = head.left(end).split('\n');
    const QList<QByteArray> first = lines.value(0).trimmed().split(' ');
    QByteArray range;
    for (const QByteArray& line : lines.mid(1)) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().toLower() == "range")
            range = line.mid(colon + 1).trimmed();
    }
    const QByteArray path = first.value(1);
    mRequests.append({path, range});
    respond(socket, path, range);
}

void TestHttpServer::respond(QTcpSocket* socket, const QByteArray& path, const QByteArray& range)
{
    const QList<QByteArray> parts = path.split('/'); // "", mode, name
    const QByteArray mode = parts.value(1);
    const QByteArray name = parts.value(2);
    if (parts.size() != 3 || !mFiles.contains(name) ||
        (mode != "files" && mode != "drop" && mode != "norange" && mode != "slow" && mode != "redirect" &&
         mode != "nolength")) {
        socket->write("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n"
                      "Connection: close\r\n\r\nnot found");
        socket->disconnectFromHost();
        return;
    }
    if (mode == "redirect" && mFiles.contains(name)) {
        // Hugging Face's resolve/main answers with a redirect to its CDN.
        socket->write("HTTP/1.1 302 Found\r\nLocation: /files/" + name + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        socket->disconnectFromHost();
        return;
    }
    const QByteArray file = mFiles.value(name);
    qint64 start = 0;
    static const QRegularExpression pattern(QStringLiteral("^bytes=(\\d+)-$"));
    const auto match = pattern.match(QString::fromLatin1(range));
    const bool ranged = mode != "norange" && mode != "nolength" && match.hasMatch();
    if (ranged)
        start = match.captured(1).toLongLong();
    if (ranged && start >= file.size()) {
        socket->write("HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */" +
                      QByteArray::number(file.size()) + "\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        socket->disconnectFromHost();
        return;
    }
    const QByteArray body = file.mid(start);
    QByteArray header = ranged ? "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes " + QByteArray::number(start) + "-" +
                                     QByteArray::number(file.size() - 1) + "/" + QByteArray::number(file.size()) + "\r\n"
                               : QByteArray("HTTP/1.1 200 OK\r\n");
    if (mode != "norange" && mode != "nolength")
        header += "Accept-Ranges: bytes\r\n";
    header += "Content-Type: application/octet-stream\r\n";
    if (mode != "nolength")
        header += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    header += "Connection: close\r\n\r\n";
    socket->write(header);
    if (mode == "drop" && mDropped.value(name) == 0) {
        ++mDropped[name];
        socket->write(body.left(body.size() / 2));
        socket->disconnectFromHost(); // after the half is flushed: fewer bytes than Content-Length
        return;
    }
    if (mode == "slow") {
        trickle(socket, body);
        return;
    }
    socket->write(body);
    socket->disconnectFromHost();
}

void TestHttpServer::trickle(QTcpSocket* socket, QByteArray body)
{
    QPointer<QTcpSocket> guard(socket);
    auto* timer = new QTimer(socket);
    auto offset = std::make_shared<qsizetype>(0);
    connect(timer, &QTimer::timeout, socket, [guard, timer, body, offset] {
        if (!guard || guard->state() != QAbstractSocket::ConnectedState) {
            timer->stop();
            return;
        }
        guard->write(body.mid(*offset, 16 * 1024));
        *offset += 16 * 1024;
        if (*offset >= body.size()) {
            timer->stop();
            guard->disconnectFromHost();
        }
    });
    timer->start(10);
}

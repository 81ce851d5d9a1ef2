#pragma once
// Qt 6.4's HTTP server reads a whole request body into memory before any handler sees it, however
// large. This listener looks at each request's headers as they arrive, and when Content-Length is
// over the limit answers 413 at once, reads the body away without keeping it, and closes the
// connection. (Bodies without a length, chunked ones, are checked by the handler after reading.)

#include <QTcpServer>

namespace atelier::server {

class BodyLimitedTcpServer final : public QTcpServer {
public:
    BodyLimitedTcpServer(qint64 maxBodyBytes, QObject* parent = nullptr);

protected:
    void incomingConnection(qintptr handle) override;

private:
    void inspect(class QTcpSocket* socket);
    void refuse(QTcpSocket* socket, qint64 headerBytes, qint64 bodyBytes);

    qint64 mMaxBodyBytes;
};

} // namespace atelier::server

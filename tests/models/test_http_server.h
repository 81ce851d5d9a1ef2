#pragma once
// A tiny HTTP/1.1 file server for the download tests, on 127.0.0.1 and a free port. What it does
// depends on the path's first part:
//   /files/NAME    serves NAME with Range support (206 + Content-Range)
//   /drop/NAME     the first request gets the headers and half the bytes, then the connection closes
//   /norange/NAME  ignores Range and always sends the whole file with 200
//   /slow/NAME     like /files but 16 KiB every 10 ms, so a test can pause or cancel mid-way
//   /redirect/NAME 302 to /files/NAME, as Hugging Face's resolve/main sends to its CDN
//   /nolength/NAME the whole file without Content-Length (the body ends when the connection does)
// Anything else, or an unknown NAME, is 404. Every request's path and Range header are kept.

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QTcpServer>

class QTcpSocket;

struct SeenRequest {
    QByteArray path;
    QByteArray range; // the Range header, or empty
};

class TestHttpServer : public QTcpServer {
    Q_OBJECT
public:
    explicit TestHttpServer(QObject* parent = nullptr);

    void addFile(const QByteArray& name, const QByteArray& content) { mFiles.insert(name, content); }
    QByteArray url(const QByteArray& mode, const QByteArray& name) const;
    const QList<SeenRequest>& requests() const { return mRequests; }

private:
    void onNewConnection();
    void onReadable(QTcpSocket* socket);
    void respond(QTcpSocket* socket, const QByteArray& path, const QByteArray& range);
    void trickle(QTcpSocket* socket, QByteArray body);

    QHash<QByteArray, QByteArray> mFiles;
    QHash<QByteArray, int> mDropped; // how many times each /drop file was cut short
    QList<SeenRequest> mRequests;
};

#pragma once
// Gallery thumbnails: in memory for what was shown lately, on disk (<cache>/thumbnails/<id>-256.png)
// for every picture ever shown, and made from the picture on worker threads, never on the UI thread.

#include <QCache>
#include <QObject>
#include <QPixmap>
#include <QSet>
#include <QString>
#include <QThreadPool>

#include <memory>

namespace atelier::ui {

class ThumbnailCache : public QObject {
    Q_OBJECT
public:
    static constexpr int kSize = 256; // longest side, in pixels

    explicit ThumbnailCache(QString folder, QObject* parent = nullptr);
    ~ThumbnailCache() override; // drops what is queued and waits for the pictures being read

    // The thumbnail when it is in memory. Otherwise a null pixmap, and ready(id) once a worker has
    // read it from the disk cache or made it from `picturePath`. The most recent asks go first.
    QPixmap thumbnail(qint64 id, const QString& picturePath);
    void forget(qint64 id); // in memory and on disk: the picture is gone
    QString cachePath(qint64 id) const;
    int made() const { return mMade; } // thumbnails that arrived, since construction

signals:
    void ready(qint64 id);

private:
    struct Queue; // shared with the workers
    void arrived(qint64 id, const QImage& image);

    QString mFolder;
    std::shared_ptr<Queue> mQueue;
    QThreadPool mPool;
    QCache<qint64, QPixmap> mMemory; // cost: KiB
    QSet<qint64> mRequested;         // queued or being made
    QSet<qint64> mUnreadable;        // not asked for again
    int mMade = 0;
};

} // namespace atelier::ui

#include "library/thumbnail_cache.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QMutex>
#include <QSaveFile>

#include <deque>

namespace atelier::ui {

namespace {

constexpr int kMemoryKiB = 96 * 1024;  // about 380 thumbnails of 256 x 256
constexpr std::size_t kMaxQueued = 192; // older asks are dropped: they were scrolled past

// Reads the cached thumbnail when it is newer than the picture (a database made anew reuses ids),
// else makes it: the decoder scales while it reads, so a large picture never lands in memory whole.
QImage readOrMake(const QString& picture, const QString& cached)
{
    const QFileInfo source(picture);
    const QFileInfo thumb(cached);
    if (thumb.exists() && thumb.lastModified() >= source.lastModified()) {
        const QImage image(cached);
        if (!image.isNull())
            return image;
    }
    QImageReader reader(picture);
    reader.setAutoTransform(true);
    const QSize size = reader.size();
    if (size.isValid() && (size.width() > ThumbnailCache::kSize || size.height() > ThumbnailCache::kSize))
        reader.setScaledSize(size.scaled(ThumbnailCache::kSize, ThumbnailCache::kSize, Qt::KeepAspectRatio));
    const QImage image = reader.read();
    if (image.isNull())
        return {};
    QDir().mkpath(thumb.absolutePath());
    QSaveFile file(cached);
    if (file.open(QIODevice::WriteOnly) && image.save(&file, "PNG"))
        file.commit(); // a cache: when it cannot be written, the next showing makes it again
    return image;
}

} // namespace

struct ThumbnailCache::Queue {
    struct Request {
        qint64 id;
        QString picture;
        QString cached;
    };
    QMutex mutex;
    std::deque<Request> requests; // newest at the back
};

ThumbnailCache::ThumbnailCache(QString folder, QObject* parent)
    : QObject(parent)
    , mFolder(std::move(folder))
    , mQueue(std::make_shared<Queue>())
    , mMemory(kMemoryKiB)
{
    mPool.setMaxThreadCount(2);
}

ThumbnailCache::~ThumbnailCache()
{
    {
        QMutexLocker lock(&mQueue->mutex);
        mQueue->requests.clear();
    }
    mPool.clear();
    mPool.waitForDone(); // at most the two pictures being decoded
}

QString ThumbnailCache::cachePath(qint64 id) const
{
    return QStringLiteral("%1/%2-%3.png").arg(mFolder).arg(id).arg(kSize);
}

QPixmap ThumbnailCache::thumbnail(qint64 id, const QString& picturePath)
{
    if (const QPixmap* pixmap = mMemory.object(id))
        return *pixmap;
    if (mRequested.contains(id) || mUnreadable.contains(id))
        return {};
    mRequested.insert(id);
    {
        QMutexLocker lock(&mQueue->mutex);
        mQueue->requests.push_back({id, picturePath, cachePath(id)});
        while (mQueue->requests.size() > kMaxQueued) {
            mRequested.remove(mQueue->requests.front().id); // asked again when shown again
            mQueue->requests.pop_front();
        }
    }
    mPool.start([queue = mQueue, this] {
        Queue::Request request;
        {
            QMutexLocker lock(&queue->mutex);
            if (queue->requests.empty())
                return; // dropped, or taken by another worker
            request = std::move(queue->requests.back());
            queue->requests.pop_back();
        }
        const QImage image = readOrMake(request.picture, request.cached);
        // The destructor waits for this worker, so `this` outlives the call; the queued call is
        // dropped with the object if it goes first.
        QMetaObject::invokeMethod(this, [this, id = request.id, image] { arrived(id, image); }, Qt::QueuedConnection);
    });
    return {};
}

void ThumbnailCache::arrived(qint64 id, const QImage& image)
{
    if (!mRequested.remove(id))
        return; // forgotten meanwhile
    if (image.isNull()) {
        mUnreadable.insert(id);
        return;
    }
    auto* pixmap = new QPixmap(QPixmap::fromImage(image));
    mMemory.insert(id, pixmap, int(qMax<qint64>(1, qint64(image.sizeInBytes()) / 1024)));
    ++mMade;
    emit ready(id);
}

void ThumbnailCache::forget(qint64 id)
{
    mMemory.remove(id);
    mRequested.remove(id);
    mUnreadable.remove(id);
    QFile::remove(cachePath(id));
}

} // namespace atelier::ui

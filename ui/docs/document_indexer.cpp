#include "ui/docs/document_indexer.h"

#include "docs/collection_store.h"
#include "ui/docs/compute_embedder.h"
#include "store/database.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QMetaObject>
#include <QPointer>

namespace atelier::ui {

namespace {

// Folders under a root the watcher takes (each one costs an inotify watch).
constexpr int kMaxWatchedFolders = 2000;

QStringList foldersUnder(const QString& root)
{
    QStringList folders;
    const QFileInfo info(root);
    if (!info.isDir())
        return info.exists() ? QStringList{info.absoluteFilePath()} : QStringList{};
    folders << info.absoluteFilePath();
    QDirIterator it(root, QDir::Dirs | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    while (it.hasNext() && folders.size() < kMaxWatchedFolders)
        folders << it.next();
    return folders;
}

} // namespace

DocumentIndexer::DocumentIndexer(QString databasePath, QObject* parent)
    : QObject(parent), mDatabasePath(std::move(databasePath))
{
    qRegisterMetaType<docs::IndexReport>();
    mWorker = new QObject;
    mWorker->moveToThread(&mThread);
    connect(&mThread, &QThread::finished, mWorker, &QObject::deleteLater);
    mThread.setObjectName(QStringLiteral("Document indexer"));
    mThread.start(QThread::LowPriority);

    mSettle.setSingleShot(true);
    mSettle.setInterval(1500);
    connect(&mSettle, &QTimer::timeout, this, [this] {
        for (const QString& collection : std::as_const(mChanged))
            index(collection);
        mChanged.clear();
    });
    connect(&mWatcher, &QFileSystemWatcher::directoryChanged, this, &DocumentIndexer::changed);
    connect(&mWatcher, &QFileSystemWatcher::fileChanged, this, &DocumentIndexer::changed);
}

DocumentIndexer::~DocumentIndexer()
{
    *mCancel = true;
    mThread.quit();
    mThread.wait();
}

void DocumentIndexer::index(const QString& collection)
{
    if (!mQueue.contains(collection))
        mQueue << collection;
    if (!mRunning)
        startNext();
}

void DocumentIndexer::cancel()
{
    mQueue.clear();
    *mCancel = true;
}

void DocumentIndexer::startNext()
{
    if (mQueue.isEmpty())
        return;
    const QString collection = mQueue.takeFirst();
    mRunning = true;
    *mCancel = false;
    emit started(collection);
    QPointer<DocumentIndexer> self(this);
    auto cancel = mCancel;
    const QString databasePath = mDatabasePath;
    QPointer<engine::ComputeEngine> computeEngine = mEngine;
    QMetaObject::invokeMethod(mWorker, [self, cancel, databasePath, collection, computeEngine] {
        // A connection of this thread's own for the run: Qt SQL connections stay on their thread.
        auto report = [&]() -> Result<docs::IndexReport> {
            ATELIER_ASSIGN(auto db, store::Database::open(databasePath));
            docs::CollectionStore store(*db);
            ATELIER_ASSIGN(const docs::Collection c, store.find(collection));
            docs::Embedder embedder;
            const QString model = c.settings.embeddingModel;
            if (!model.isEmpty() && computeEngine && QFileInfo::exists(model))
                embedder = computeEmbedder(*computeEngine, model, cancel);
            docs::Indexer indexer(store, embedder);
            return indexer.update(c, [&](const docs::IndexProgress& p) {
                QMetaObject::invokeMethod(self, [self, collection, p] {
                    if (!self)
                        return;
                    if (p.toEmbed > 0)
                        emit self->embedding(collection, p.embedded, p.toEmbed);
                    else
                        emit self->progress(collection, p.done, p.total, p.path);
                }, Qt::QueuedConnection);
            }, cancel.get());
        }();
        QMetaObject::invokeMethod(self, [self, collection, report] {
            if (!self)
                return;
            self->mRunning = false;
            if (report.ok())
                emit self->finished(collection, report.value());
            else
                emit self->failed(collection, QString::fromStdString(report.error().message));
            self->startNext();
        }, Qt::QueuedConnection);
    }, Qt::QueuedConnection);
}

void DocumentIndexer::watch(const QString& collection, const QStringList& roots)
{
    const QStringList old = mWatched.take(collection);
    if (!old.isEmpty())
        mWatcher.removePaths(old);
    QStringList paths;
    for (const QString& root : roots)
        paths << foldersUnder(root);
    if (!paths.isEmpty())
        mWatcher.addPaths(paths);
    mWatched.insert(collection, paths);
}

void DocumentIndexer::changed(const QString& path)
{
    for (auto it = mWatched.cbegin(); it != mWatched.cend(); ++it) {
        if (it.value().contains(path))
            mChanged.insert(it.key());
    }
    if (!mChanged.isEmpty())
        mSettle.start();
}

} // namespace atelier::ui

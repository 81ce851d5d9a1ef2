#pragma once
// Indexes document collections off the UI thread: a worker thread with its own database
// connection runs docs::Indexer for one collection at a time (a queue of names), reports progress
// and results as queued signals, and cancels between files. It also watches the collections'
// folders while the app runs and re-indexes a collection a moment after its files change.

#include "docs/indexer.h"
#include "engine/compute_engine.h"

#include <QFileSystemWatcher>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QThread>
#include <QTimer>

#include <QPointer>

#include <atomic>
#include <memory>

namespace atelier::ui {

class DocumentIndexer : public QObject {
    Q_OBJECT
public:
    explicit DocumentIndexer(QString databasePath, QObject* parent = nullptr);
    ~DocumentIndexer() override; // cancels the running run and waits for the thread

    // Queues `collection` (once: a name already waiting is not queued again).
    void index(const QString& collection);
    void cancel(); // the running run stops after its file; the queue is emptied
    bool busy() const { return mRunning || !mQueue.isEmpty(); }

    // Watches `roots` (folders and their subfolders, files) for `collection`; replaces what was
    // watched for it before. Changes re-index it after `settleMs`.
    void watch(const QString& collection, const QStringList& roots);
    void setSettleMs(int ms) { mSettle.setInterval(ms); }
    // Where a collection's embedding model runs; without one, collections are searched by keyword.
    void setComputeEngine(engine::ComputeEngine* engine) { mEngine = engine; }
    bool canEmbed() const { return !mEngine.isNull(); }

signals:
    void started(const QString& collection);
    void progress(const QString& collection, int done, int total, const QString& path);
    // After the files: chunks given vectors so far, of those that lacked one.
    void embedding(const QString& collection, int embedded, int toEmbed);
    void finished(const QString& collection, const atelier::docs::IndexReport& report);
    void failed(const QString& collection, const QString& message);

private:
    void startNext();
    void changed(const QString& path);

    QThread mThread;
    QObject* mWorker = nullptr; // lives on mThread
    QString mDatabasePath;
    QPointer<engine::ComputeEngine> mEngine;
    QStringList mQueue;
    bool mRunning = false;
    std::shared_ptr<std::atomic<bool>> mCancel = std::make_shared<std::atomic<bool>>(false);

    QFileSystemWatcher mWatcher;
    QHash<QString, QStringList> mWatched;  // collection -> paths watched for it
    QSet<QString> mChanged;                 // collections waiting for mSettle
    QTimer mSettle;
};

} // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::docs::IndexReport)

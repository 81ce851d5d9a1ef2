#include "docs/indexer.h"

#include "docs/collection_store.h"
#include "docs/document_reader.h"

#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QSet>

namespace atelier::docs {

namespace {

class TreeWalk {
public:
    TreeWalk(const QString& root, int maxDepth)
        : mRootCanonical(QFileInfo(root).canonicalFilePath()), mMaxDepth(maxDepth) {}

    void visit(const QString& dir, int depth)
    {
        const QString canonical = QFileInfo(dir).canonicalFilePath();
        if (canonical.isEmpty() || mVisitedDirs.contains(canonical))
            return; // a loop, or a second way into a folder already walked
        mVisitedDirs.insert(canonical);
        const QFileInfoList entries =
            QDir(dir).entryInfoList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System, QDir::Name);
        for (const QFileInfo& e : entries) {
            const bool document = kindOf(e.fileName()) != FileKind::Unknown;
            if (e.isSymLink() && !e.exists()) {
                if (document)
                    found.push_back({e.absoluteFilePath(), QStringLiteral("a link to nothing")});
                continue;
            }
            if (e.isDir()) {
                if (depth >= mMaxDepth)
                    continue;
                // A link to a folder is followed only when it stays inside the root.
                const QString target = e.canonicalFilePath();
                if (e.isSymLink() && target != mRootCanonical && !target.startsWith(mRootCanonical + QLatin1Char('/')))
                    continue;
                visit(e.absoluteFilePath(), depth + 1);
                continue;
            }
            if (!document)
                continue; // pictures, archives, build outputs: not documents, not worth a row
            if (!e.isFile()) {
                found.push_back({e.absoluteFilePath(), QStringLiteral("not a regular file")});
                continue;
            }
            const QString canonicalFile = e.canonicalFilePath();
            if (mVisitedFiles.contains(canonicalFile))
                continue;
            mVisitedFiles.insert(canonicalFile);
            found.push_back({e.absoluteFilePath(), {}});
        }
    }

    std::vector<FoundFile> found;

private:
    QString mRootCanonical;
    int mMaxDepth;
    QSet<QString> mVisitedDirs;
    QSet<QString> mVisitedFiles;
};

} // namespace

std::vector<FoundFile> findFiles(const QString& root, int maxDepth)
{
    const QFileInfo info(root);
    if (info.isSymLink() && !info.exists())
        return {{info.absoluteFilePath(), QStringLiteral("a link to nothing")}};
    if (!info.exists())
        return {};
    if (!info.isDir()) {
        if (!info.isFile())
            return {{info.absoluteFilePath(), QStringLiteral("not a regular file")}};
        return {{info.absoluteFilePath(), {}}};
    }
    TreeWalk walk(root, maxDepth);
    walk.visit(info.absoluteFilePath(), 0);
    return std::move(walk.found);
}

Result<IndexReport> Indexer::update(const Collection& collection, const std::function<void(const IndexProgress&)>& progress,
                                    const std::atomic<bool>* cancel)
{
    QElapsedTimer timer;
    timer.start();
    IndexReport report;
    using Records = QHash<QString, FileRecord>;
    ATELIER_ASSIGN(const Records existing, mStore.files(collection.id));

    std::vector<FoundFile> found;
    QSet<QString> seen;
    for (const QString& root : collection.roots) {
        for (FoundFile& f : findFiles(root)) {
            if (!seen.contains(f.path)) {
                seen.insert(f.path);
                found.push_back(std::move(f));
            }
        }
    }

    IndexProgress step;
    step.total = int(found.size());
    for (const FoundFile& f : found) {
        if (cancel && cancel->load()) {
            report.cancelled = true;
            break;
        }
        step.path = f.path;
        if (progress)
            progress(step);
        ++step.done;

        const FileRecord old = existing.value(f.path);
        const QFileInfo info(f.path);
        FileRecord record;
        record.id = old.id;
        record.path = f.path;
        record.size = f.problem.isEmpty() ? info.size() : 0;
        record.mtime = f.problem.isEmpty() ? info.lastModified().toMSecsSinceEpoch() : 0;
        record.kind = kindName(kindOf(f.path));
        if (old.id > 0 && old.size == record.size && old.mtime == record.mtime &&
            (f.problem.isEmpty() || old.reason == f.problem)) {
            ++report.unchanged;
            continue;
        }
        Chunks chunks;
        if (!f.problem.isEmpty()) {
            record.reason = f.problem;
        } else {
            auto read = readDocument(f.path, kindOf(f.path), collection.settings.chunks, collection.settings.maxFileBytes);
            if (!read.ok()) {
                record.reason = QString::fromStdString(read.error().message);
            } else if (old.id > 0 && old.indexed && old.hash == read->sha256) {
                ATELIER_TRY(mStore.touchFile(old.id, record.mtime)); // touched, not changed
                ++report.unchanged;
                continue;
            } else {
                record.indexed = true;
                record.hash = read->sha256;
                chunks = std::move(read->chunks);
            }
        }
        ATELIER_TRY(mStore.writeFile(collection.id, record, chunks));
        if (!record.indexed)
            ++report.skipped;
        else if (old.id > 0)
            ++report.updated;
        else
            ++report.added;
        report.chunks += int(chunks.size());
    }

    if (!report.cancelled) {
        std::vector<qint64> gone;
        for (auto it = existing.begin(); it != existing.end(); ++it)
            if (!seen.contains(it.key()))
                gone.push_back(it->id);
        ATELIER_TRY(mStore.removeFiles(gone));
        report.removed = int(gone.size());
    }
    if (mEmbedder && !report.cancelled)
        ATELIER_TRY(embedMissing(collection, report, progress, cancel));
    report.seconds = timer.elapsed() / 1000.0;
    return report;
}

Status Indexer::embedMissing(const Collection& collection, IndexReport& report,
                             const std::function<void(const IndexProgress&)>& progress, const std::atomic<bool>* cancel)
{
    // Every chunk without a vector for this model: the new files' and, after the collection's
    // model changed, all of them. A cancelled or failed run leaves the rest for the next one.
    constexpr int kBatch = 32;
    ATELIER_ASSIGN(const Collection fresh, mStore.find(collection.name));
    ATELIER_ASSIGN(const int have, mStore.vectorCount(collection.id, mEmbedder.model));
    IndexProgress step;
    step.total = step.done = fresh.indexedFiles + fresh.skippedFiles;
    step.toEmbed = std::max(0, fresh.chunks - have);
    while (step.embedded < step.toEmbed) {
        if (cancel && cancel->load()) {
            report.cancelled = true;
            return {};
        }
        if (progress)
            progress(step);
        ATELIER_ASSIGN(const auto batch, mStore.chunksWithoutVectors(collection.id, mEmbedder.model, kBatch));
        if (batch.empty())
            break;
        QStringList texts;
        std::vector<qint64> ids;
        for (const auto& [id, text] : batch) {
            ids.push_back(id);
            texts << text;
        }
        auto vectors = mEmbedder.embed(texts);
        if (!vectors.ok() || vectors->size() != ids.size()) {
            report.embedError = vectors.ok() ? QStringLiteral("the embedding model gave a wrong number of vectors")
                                             : QString::fromStdString(vectors.error().message);
            return {};
        }
        ATELIER_TRY(mStore.writeVectors(mEmbedder.model, ids, *vectors));
        step.embedded += int(ids.size());
        report.vectors += int(ids.size());
    }
    return {};
}

} // namespace atelier::docs

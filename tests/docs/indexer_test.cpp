// Incremental indexing: unchanged files are not read again, changed ones are, removed ones drop out;
// a thousand unchanged files take well under seconds; cancel keeps what was written.

#include "tst_docs.h"

#include "docs/indexer.h"
#include "store/sql.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>

using namespace atelier::docs;
using namespace atelier::test;

namespace {

Collection makeCollection(CollectionStore& store, const QString& name, const QStringList& roots)
{
    auto created = store.create(name);
    if (!created.ok() || !store.addRoots(created->id, roots).ok())
        return {};
    return store.find(name).value();
}

int hitsFor(CollectionStore& store, qint64 id, const QString& query)
{
    auto hits = store.keywordSearch({id}, query, 10);
    return hits.ok() ? int(hits->size()) : -1;
}

} // namespace

void TestDocs::reindexingSkipsUnchangedAndDropsRemoved()
{
    const QString root = path(QStringLiteral("notes"));
    QVERIFY(writeBytes(root + QStringLiteral("/a.txt"), "The walrus sings at dawn."));
    QVERIFY(writeBytes(root + QStringLiteral("/b.md"), "# B\n\nThe heron waits."));
    QVERIFY(writeBytes(root + QStringLiteral("/sub/c.py"), "def f():\n    return 'pelican'\n"));
    QVERIFY(writeBytes(root + QStringLiteral("/picture.png"), "\x89PNG")); // not a document: no row
    QVERIFY(writeBytes(root + QStringLiteral("/.git/config.txt"), "hidden walrus")); // hidden: not walked
    CollectionStore store(*mDb);
    const Collection c = makeCollection(store, QStringLiteral("notes"), {root});
    QVERIFY(c.id > 0);
    Indexer indexer(store);
    int progressCalls = 0;
    ASSIGN_OR_FAIL(IndexReport first, indexer.update(c, [&](const IndexProgress& p) {
        ++progressCalls;
        QCOMPARE(p.total, 3);
    }));
    QCOMPARE(first.added, 3);
    QCOMPARE(progressCalls, 3);
    QCOMPARE(hitsFor(store, c.id, QStringLiteral("walrus")), 1);
    QCOMPARE(hitsFor(store, c.id, QStringLiteral("pelican")), 1);

    // Unchanged: nothing read. Touched with the same bytes: unchanged too (the hash says so).
    ASSIGN_OR_FAIL(IndexReport second, indexer.update(c));
    QCOMPARE(second.unchanged, 3);
    QFile touched(root + QStringLiteral("/b.md"));
    QVERIFY(touched.open(QIODevice::ReadWrite));
    QVERIFY(touched.setFileTime(QDateTime::currentDateTime().addSecs(60), QFileDevice::FileModificationTime));
    touched.close();
    // Changed bytes, a removed file, a new one.
    QVERIFY(writeBytes(root + QStringLiteral("/a.txt"), "The walrus now sleeps at noon."));
    QFile changed(root + QStringLiteral("/a.txt")); // a later time, though the clock's resolution may be coarse
    QVERIFY(changed.open(QIODevice::ReadWrite));
    QVERIFY(changed.setFileTime(QDateTime::currentDateTime().addSecs(120), QFileDevice::FileModificationTime));
    changed.close();
    QVERIFY(QFile::remove(root + QStringLiteral("/sub/c.py")));
    QVERIFY(writeBytes(root + QStringLiteral("/d.txt"), "A new note about a pelican."));
    ASSIGN_OR_FAIL(IndexReport third, indexer.update(c));
    QCOMPARE(third.updated, 1);
    QCOMPARE(third.added, 1);
    QCOMPARE(third.removed, 1);
    QCOMPARE(third.unchanged, 1);
    ASSIGN_OR_FAIL(auto sleeps, store.keywordSearch({c.id}, QStringLiteral("sleeps"), 5));
    QCOMPARE(sleeps.size(), size_t(1));
    QCOMPARE(sleeps[0].path, root + QStringLiteral("/a.txt"));
    QCOMPARE(hitsFor(store, c.id, QStringLiteral("dawn")), 0); // the old chunk is gone from the index
    ASSIGN_OR_FAIL(auto pelican, store.keywordSearch({c.id}, QStringLiteral("pelican"), 5));
    QCOMPARE(pelican.size(), size_t(1));
    QCOMPARE(pelican[0].path, root + QStringLiteral("/d.txt"));
    ASSIGN_OR_FAIL(const Collection after, store.find(QStringLiteral("notes")));
    QCOMPARE(after.indexedFiles, 3);
    QCOMPARE(after.chunks, 3);

    // Smaller chunks: every file is cut again on the next update.
    QVERIFY(writeBytes(root + QStringLiteral("/long.txt"), QString(QStringLiteral("pelican ")).repeated(100).toUtf8()));
    VERIFY_OK(indexer.update(after));
    ASSIGN_OR_FAIL(const Collection withLong, store.find(QStringLiteral("notes")));
    QCOMPARE(withLong.chunks, 4);
    CollectionSettings small = withLong.settings;
    small.chunks = {100, 0};
    VERIFY_OK(store.setSettings(withLong.id, small));
    ASSIGN_OR_FAIL(const Collection resized, store.find(QStringLiteral("notes")));
    QCOMPARE(resized.settings.chunks.maxChars, 100);
    ASSIGN_OR_FAIL(IndexReport rechunked, indexer.update(resized));
    QCOMPARE(rechunked.updated, 4);
    ASSIGN_OR_FAIL(const Collection cut, store.find(QStringLiteral("notes")));
    QCOMPARE(cut.chunks, 3 + 9); // 100 words of 8 characters, 12 words (96 characters) a chunk
    VERIFY_OK(store.setSettings(cut.id, small)); // the same settings: nothing to read again
    ASSIGN_OR_FAIL(IndexReport same, indexer.update(cut));
    QCOMPARE(same.unchanged, 4);
}

void TestDocs::reindexingAThousandUnchangedFilesIsFast()
{
    const QString root = path(QStringLiteral("thousand"));
    for (int i = 0; i < 1000; ++i)
        QVERIFY(writeBytes(root + QStringLiteral("/d%1/note%2.txt").arg(i / 100).arg(i),
                           QStringLiteral("Note %1 says the code word is kw%1x.\n\nA second paragraph.").arg(i).toUtf8()));
    CollectionStore store(*mDb);
    const Collection c = makeCollection(store, QStringLiteral("thousand"), {root});
    Indexer indexer(store);
    QElapsedTimer timer;
    timer.start();
    ASSIGN_OR_FAIL(IndexReport first, indexer.update(c));
    const qint64 firstMs = timer.restart();
    QCOMPARE(first.added, 1000);
    ASSIGN_OR_FAIL(IndexReport again, indexer.update(c));
    const qint64 againMs = timer.elapsed();
    QCOMPARE(again.unchanged, 1000);
    QCOMPARE(again.added + again.updated + again.removed, 0);
    qInfo("1,000 files: first index %lld ms, re-index unchanged %lld ms", firstMs, againMs);
    QVERIFY2(againMs < 3000, qPrintable(QString::number(againMs)));
    ASSIGN_OR_FAIL(auto hit, store.keywordSearch({c.id}, QStringLiteral("kw737x"), 3));
    QCOMPARE(hit.size(), size_t(1));
    QVERIFY(hit[0].path.endsWith(QStringLiteral("/note737.txt")));
}

void TestDocs::cancelKeepsWhatWasWritten()
{
    const QString root = path(QStringLiteral("cancel"));
    for (int i = 0; i < 20; ++i)
        QVERIFY(writeBytes(root + QStringLiteral("/n%1.txt").arg(i, 2, 10, QLatin1Char('0')), QByteArray("text ") + QByteArray::number(i)));
    CollectionStore store(*mDb);
    const Collection c = makeCollection(store, QStringLiteral("cancel"), {root});
    Indexer indexer(store);
    std::atomic<bool> cancel{false};
    ASSIGN_OR_FAIL(IndexReport partial, indexer.update(c, [&](const IndexProgress& p) {
        if (p.done == 5)
            cancel = true; // the sixth file is being read; the seventh is not
    }, &cancel));
    QVERIFY(partial.cancelled);
    QCOMPARE(partial.added, 6);
    cancel = false;
    ASSIGN_OR_FAIL(IndexReport rest, indexer.update(c, {}, &cancel));
    QCOMPARE(rest.added, 14);
    QCOMPARE(rest.unchanged, 6);
}

void TestDocs::collectionsAreNamedAndRemoved()
{
    CollectionStore store(*mDb);
    QVERIFY(!store.create(QStringLiteral("  ")).ok());
    VERIFY_OK(store.create(QStringLiteral("papers")));
    QVERIFY(!store.create(QStringLiteral("papers")).ok());
    QVERIFY(writeBytes(path(QStringLiteral("p/x.md")), "# X\n\nquasar"));
    const Collection c = makeCollection(store, QStringLiteral("more"), {path(QStringLiteral("p"))});
    Indexer indexer(store);
    VERIFY_OK(indexer.update(c));
    ASSIGN_OR_FAIL(const std::vector<Collection> all, store.list());
    QCOMPARE(all.size(), size_t(2));
    QCOMPARE(all[0].name, QStringLiteral("more"));
    QCOMPARE(all[0].chunks, 1);
    QCOMPARE(all[0].roots, QStringList{path(QStringLiteral("p"))});
    VERIFY_OK(store.remove(QStringLiteral("more")));
    QVERIFY(!store.find(QStringLiteral("more")).ok());
    QVERIFY(!store.remove(QStringLiteral("more")).ok());
    // Its chunks left the full-text index with it.
    ASSIGN_OR_FAIL(const QVariant left, atelier::store::scalar(*mDb, QStringLiteral("count"),
                                                               QStringLiteral("SELECT count(*) FROM doc_chunks_fts WHERE doc_chunks_fts MATCH 'quasar'")));
    QCOMPARE(left.toInt(), 0);
}

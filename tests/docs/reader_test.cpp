// Reading files: PDF pages through Qt PDF, and every kind of hostile file skipped with its reason,
// never a crash or a hang.

#include "tst_docs.h"

#include "docs/document_reader.h"
#include "docs/indexer.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>

#include <sys/stat.h>
#include <unistd.h>

using namespace atelier::docs;
using namespace atelier::test;

void TestDocs::readsPdfPagesWithNumbers()
{
    QVERIFY(makeCorpus(path(QStringLiteral("corpus")), 30));
    const QString pdf = path(QStringLiteral("corpus/docs/pdf/")) + QDir(path(QStringLiteral("corpus/docs/pdf"))).entryList(QDir::Files).value(0);
    ASSIGN_OR_FAIL(const DocumentText doc, readDocument(pdf, FileKind::Pdf, {}, 1 << 20));
    QCOMPARE(doc.chunks.size(), size_t(2));
    QCOMPARE(doc.chunks[0].page, 1);
    QVERIFY2(doc.chunks[0].text.contains(QStringLiteral("Annual report")), qPrintable(doc.chunks[0].text));
    QCOMPARE(doc.chunks[1].page, 2);
    QVERIFY2(doc.chunks[1].text.contains(QStringLiteral("The main export of")), qPrintable(doc.chunks[1].text));
    QCOMPARE(doc.chunks[1].ordinal, 1);
    QCOMPARE(doc.sha256.size(), 64);
}

void TestDocs::hostileFilesAreSkippedWithReasons()
{
    const QString root = path(QStringLiteral("hostile"));
    QVERIFY(writeBytes(root + QStringLiteral("/good.md"), "# Good\n\nThe otter swims.\n"));
    QVERIFY(writeBytes(root + QStringLiteral("/binary.txt"), QByteArray("PK\x03\x04\x00\x00 zip", 12)));
    QByteArray latin;
    for (int i = 0; i < 4000; ++i)
        latin += char(0x80 + i % 100);
    QVERIFY(writeBytes(root + QStringLiteral("/latin.txt"), latin));
    QVERIFY(writeBytes(root + QStringLiteral("/fake.pdf"), "this is not a PDF at all"));
    QVERIFY(writeBytes(root + QStringLiteral("/broken.pdf"), "%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage"));
    QVERIFY(writeBytes(root + QStringLiteral("/empty.md"), "\n\n   \n"));
    {
        QFile huge(root + QStringLiteral("/huge.log")); // 2 GB, sparse: takes no disk
        QVERIFY(huge.open(QIODevice::WriteOnly));
        QVERIFY(huge.resize(2LL * 1000 * 1000 * 1000));
    }
    QVERIFY(::mkfifo(QFile::encodeName(root + QStringLiteral("/pipe.txt")).constData(), 0600) == 0); // opening it would block
    QVERIFY(QFile::link(root + QStringLiteral("/missing.txt"), root + QStringLiteral("/dangling.md")));
    QVERIFY(writeBytes(root + QStringLiteral("/secret.txt"), "private"));
    QFile::setPermissions(root + QStringLiteral("/secret.txt"), QFileDevice::Permissions());
    const bool canReadAnyway = QFile(root + QStringLiteral("/secret.txt")).open(QIODevice::ReadOnly); // root can

    CollectionStore store(*mDb);
    ASSIGN_OR_FAIL(const Collection created, store.create(QStringLiteral("hostile")));
    VERIFY_OK(store.addRoots(created.id, {root}));
    ASSIGN_OR_FAIL(const Collection c, store.find(QStringLiteral("hostile")));
    Indexer indexer(store);
    QElapsedTimer timer;
    timer.start();
    ASSIGN_OR_FAIL(const IndexReport report, indexer.update(c));
    QVERIFY2(timer.elapsed() < 5000, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(report.added, canReadAnyway ? 2 : 1);

    ASSIGN_OR_FAIL(const std::vector<FileRecord> skipped, store.skippedFiles(c.id));
    QHash<QString, QString> reasons;
    for (const FileRecord& f : skipped)
        reasons.insert(QFileInfo(f.path).fileName(), f.reason);
    QVERIFY2(reasons.value("binary.txt").startsWith(QStringLiteral("binary: a NUL byte at offset 4")),
             qPrintable(reasons.value("binary.txt")));
    QVERIFY2(reasons.value("latin.txt").startsWith(QStringLiteral("not text:")), qPrintable(reasons.value("latin.txt")));
    QCOMPARE(reasons.value("fake.pdf"), QStringLiteral("not a PDF: no %PDF- header"));
    QCOMPARE(reasons.value("broken.pdf"), QStringLiteral("a damaged PDF that Qt PDF cannot open"));
    QCOMPARE(reasons.value("empty.md"), QStringLiteral("no text"));
    QCOMPARE(reasons.value("huge.log"), QStringLiteral("too large: 2.0 GB (the limit is 50.0 MB)"));
    QCOMPARE(reasons.value("pipe.txt"), QStringLiteral("not a regular file"));
    QCOMPARE(reasons.value("dangling.md"), QStringLiteral("a link to nothing"));
    if (!canReadAnyway)
        QVERIFY2(reasons.value("secret.txt").startsWith(QStringLiteral("cannot be read:")),
                 qPrintable(reasons.value("secret.txt")));
    QCOMPARE(skipped.size(), size_t(canReadAnyway ? 8 : 9));

    // A second run reads none of them again: same size and time, same reason.
    ASSIGN_OR_FAIL(const IndexReport again, indexer.update(c));
    QCOMPARE(again.skipped, 0);
    QCOMPARE(again.added + again.updated, 0);
    QCOMPARE(again.unchanged, 10);
}

void TestDocs::symlinkLoopsEndTheWalk()
{
    const QString root = path(QStringLiteral("loops"));
    QVERIFY(writeBytes(root + QStringLiteral("/a/b/c/deep.txt"), "deep"));
    QVERIFY(writeBytes(root + QStringLiteral("/a/top.md"), "# top"));
    QVERIFY(writeBytes(path(QStringLiteral("outside/private.txt")), "outside the collection"));
    QVERIFY(QFile::link(root, root + QStringLiteral("/a/b/c/up")));          // back to the root
    QVERIFY(QFile::link(root + QStringLiteral("/a"), root + QStringLiteral("/a/b/again"))); // a cycle
    QVERIFY(QFile::link(root + QStringLiteral("/a/b/c/x"), root + QStringLiteral("/a/b/c/x"))); // itself
    QVERIFY(QFile::link(path(QStringLiteral("outside")), root + QStringLiteral("/a/out")));   // out of the tree
    QVERIFY(QFile::link(root + QStringLiteral("/a/b"), root + QStringLiteral("/b-link")));  // inside: followed once
    QVERIFY(QFile::link(root + QStringLiteral("/a/top.md"), root + QStringLiteral("/same.md"))); // a second name
    QElapsedTimer timer;
    timer.start();
    const std::vector<FoundFile> found = findFiles(root);
    QVERIFY(timer.elapsed() < 2000);
    QStringList names;
    for (const FoundFile& f : found) {
        QVERIFY2(f.problem.isEmpty(), qPrintable(f.path + ": " + f.problem));
        names << QDir(root).relativeFilePath(f.path);
    }
    QCOMPARE(names, (QStringList{"a/b/c/deep.txt", "a/top.md"}));
}

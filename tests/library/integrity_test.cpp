// Issue 18, "nothing lost, nothing mixed up": writers on one data folder at once (threads with their
// own connections, and this executable re-run as other processes), pictures whose row a kill never
// committed, rows naming files outside the gallery, and imports with oversized or malformed text.

#include "tst_library.h"

#include "core/app_paths.h"
#include "io/png_text.h"
#include "test_result.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QScopeGuard>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>
#include <QtTest>

#include <array>
#include <cstdio>

using namespace atelier;
using namespace atelier::store;

namespace {

// Every writer's pictures share one time and one seed, so every picture wants the same file name.
constexpr qint64 kCreatedMs = 1764892800000; // 2025-12-05 00:00 UTC
constexpr quint64 kSeed = 42;
constexpr int kPicturesPerWriter = 60;

QString writerPrompt(int writer, int i) { return QStringLiteral("writer %1 picture %2").arg(writer).arg(i); }

QColor writerColour(int writer, int i) { return QColor::fromRgb(writer * 40, i * 4 % 256, 200); }

// Adds the writer's pictures; an empty string, or what went wrong.
QString writePictures(const QString& databasePath, const QString& galleryDir, int writer)
{
    auto db = Database::open(databasePath, 30000);
    if (!db.ok())
        return QString::fromStdString(db.error().message);
    PictureStore store(**db, galleryDir);
    for (int i = 0; i < kPicturesPerWriter; ++i) {
        PictureRecord record = PictureRecord::fromParameters(
            test::parametersFor(writerPrompt(writer, i), QStringLiteral("sd15"), kSeed), PictureKind::Txt2Img);
        record.created = QDateTime::fromMSecsSinceEpoch(kCreatedMs);
        auto added = store.add(record, test::tinyPng(writerColour(writer, i)));
        if (!added.ok())
            return QString::fromStdString(added.error().message);
    }
    return {};
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString& path, const QByteArray& bytes, qint64 ageSeconds = 0)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.flush())
        return false; // flushed: a later write would make the file new again
    return ageSeconds == 0 ||
           file.setFileTime(QDateTime::currentDateTime().addSecs(-ageSeconds), QFileDevice::FileModificationTime);
}

QString promptInFile(const QString& path)
{
    auto record = PictureStore::recordFromPng(readAll(path), path);
    return record.ok() ? record->prompt : QString();
}

} // namespace

namespace atelier::test {

int runPictureWriter(int writer)
{
    const QString problem = writePictures(paths::databasePath(), paths::galleryDir(), writer);
    if (!problem.isEmpty()) {
        std::fprintf(stderr, "writer %d: %s\n", writer, qPrintable(problem));
        return 1;
    }
    return 0;
}

} // namespace atelier::test

void TestLibrary::concurrentWritersKeepTheirPictures()
{
    QVERIFY(openDatabase()); // the file exists, migrated, before anyone else opens it
    // Two other processes and two threads of this one (each with its own connection) at once.
    QList<QProcess*> processes;
    auto stopAll = qScopeGuard([&] { qDeleteAll(processes); });
    for (int writer = 0; writer < 2; ++writer) {
        auto* process = new QProcess;
        processes << process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QLatin1String(test::kWriterVariable), QString::number(writer));
        process->setProcessEnvironment(environment);
        process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        process->start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(process->waitForStarted());
    }
    std::array<QString, 2> threadProblems;
    QList<QThread*> threads;
    for (int writer = 2; writer < 4; ++writer) {
        threads << QThread::create([&threadProblems, writer] {
            threadProblems[writer - 2] = writePictures(paths::databasePath(), paths::galleryDir(), writer);
        });
        threads.last()->start();
    }
    for (QThread* thread : std::as_const(threads)) {
        QVERIFY(thread->wait(240000));
        delete thread;
    }
    for (QProcess* process : std::as_const(processes)) {
        QVERIFY(process->waitForFinished(240000));
        QCOMPARE(process->exitStatus(), QProcess::NormalExit);
        QCOMPARE(process->exitCode(), 0);
    }
    for (const QString& problem : threadProblems)
        QVERIFY2(problem.isEmpty(), qPrintable(problem));

    // Every picture has its row, every row its own file, and the file holds that row's picture.
    ASSIGN_OR_FAIL(const QList<PictureRecord> rows, mStore->pictures({}, {}, 100000));
    QCOMPARE(rows.size(), 4 * kPicturesPerWriter);
    QSet<QString> files;
    QSet<QString> prompts;
    for (const PictureRecord& row : rows) {
        files.insert(row.file);
        prompts.insert(row.prompt);
        const QString path = mStore->absolutePath(row.file);
        QCOMPARE(promptInFile(path), row.prompt);
        const QStringList words = row.prompt.split(QLatin1Char(' '));
        QCOMPARE(QImage(path).pixelColor(0, 0), writerColour(words.value(1).toInt(), words.value(3).toInt()));
    }
    QCOMPARE(files.size(), rows.size());
    QCOMPARE(prompts.size(), rows.size());
    QCOMPARE(QDir(mStore->absolutePath(QFileInfo(rows.first().file).path())).entryList(QDir::Files).size(), rows.size());
}

void TestLibrary::upgradeMakesFilesUnique()
{
    QVERIFY(openDatabase());
    const qint64 first = addPicture(QStringLiteral("first"), QStringLiteral("sd15"), 1);
    const qint64 second = addPicture(QStringLiteral("second"), QStringLiteral("sd15"), 2);
    ASSIGN_OR_FAIL(const PictureRecord secondRecord, mStore->picture(second));
    closeAll();
    {
        // A schema-2 file as the issue found it: two rows naming one file.
        const QString name = QStringLiteral("schema-two");
        {
            QSqlDatabase raw = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
            raw.setDatabaseName(paths::databasePath());
            QVERIFY(raw.open());
            QSqlQuery q(raw);
            QVERIFY(q.exec(QStringLiteral("DROP INDEX pictures_by_file")));
            // What schema 4 added (document collections) was not there yet either.
            for (const char* table : {"doc_vectors", "doc_chunks_fts", "doc_chunks", "doc_files", "doc_roots", "doc_collections"})
                QVERIFY(q.exec(QStringLiteral("DROP TABLE IF EXISTS %1").arg(table)));
            QVERIFY(q.exec(QStringLiteral("UPDATE pictures SET file = '%1' WHERE id = %2").arg(secondRecord.file).arg(first)));
            QVERIFY(q.exec(QStringLiteral("PRAGMA user_version = 2")));
            raw.close();
        }
        QSqlDatabase::removeDatabase(name);
    }
    QVERIFY(openDatabase());
    QSqlQuery version(mDatabase->sql());
    QVERIFY(version.exec(QStringLiteral("PRAGMA user_version")) && version.next());
    QCOMPARE(version.value(0).toInt(), Database::kSchemaVersion);
    // The last row recorded keeps the file; a second row can no longer name it.
    ASSIGN_OR_FAIL(const QList<PictureRecord> rows, mStore->pictures({}, {}, 10));
    QCOMPARE(rows.size(), 1);
    QCOMPARE(rows.first().id, second);
    QSqlQuery duplicate(mDatabase->sql());
    QVERIFY(!duplicate.exec(QStringLiteral("INSERT INTO pictures SELECT NULL, file, created, kind, prompt, prompt_folded, "
                                           "negative, parameters, parameters_json, model, model_hash, sampler, scheduler, "
                                           "steps, cfg, seed, width, height, strength, duration_ms, parent_id, mask_file, "
                                           "removed FROM pictures")));
    QVERIFY2(duplicate.lastError().databaseText().contains("UNIQUE"), qPrintable(duplicate.lastError().text()));

    // A row naming a file that is gone: a new picture wanting that name takes the next one.
    QVERIFY(QFile::remove(mStore->absolutePath(secondRecord.file)));
    PictureRecord again = PictureRecord::fromParameters(test::parametersFor("again", "sd15", 3), PictureKind::Txt2Img);
    again.file = secondRecord.file;
    ASSIGN_OR_FAIL(const PictureRecord added, mStore->add(again, test::tinyPng(Qt::red)));
    QVERIFY(added.file != secondRecord.file);
    QCOMPARE(promptInFile(mStore->absolutePath(added.file)), QStringLiteral("again"));
}

void TestLibrary::orphansAreAdoptedOrRemoved()
{
    QVERIFY(openDatabase());
    const qint64 kept = addPicture(QStringLiteral("kept"), QStringLiteral("sd15"), 1);
    ASSIGN_OR_FAIL(const PictureRecord keptRecord, mStore->picture(kept));
    // What a kill between writing a picture and committing its row leaves, an hour ago.
    const qint64 hour = 3600;
    const QByteArray withText = test::tinyPng(Qt::magenta, {24, 16}, test::kA1111Text);
    QVERIFY(writeFile(mStore->absolutePath("2025-12-04/101010-000-42.png"), withText, hour));
    QVERIFY(writeFile(mStore->absolutePath("2025-12-04/101011-000-7-inpaint.png"), withText, hour));
    QVERIFY(writeFile(mStore->absolutePath("2025-12-04/101011-000-7-inpaint-mask.png"), test::tinyPng(Qt::white), hour));
    QVERIFY(writeFile(mStore->absolutePath("2025-12-04/101012-000-8.png"), test::tinyPng(Qt::black), hour)); // no text
    QVERIFY(writeFile(mStore->absolutePath("2025-12-04/101013-000-9.png"), withText.left(60), hour));        // torn
    // Another process's picture of a moment ago, its row not committed yet: left alone.
    QVERIFY(writeFile(mStore->absolutePath("2025-12-04/101014-000-10.png"), withText));
    // A row's picture, even an old one, is never touched.
    {
        QFile old(mStore->absolutePath(keptRecord.file));
        QVERIFY(old.open(QIODevice::Append));
        QVERIFY(old.setFileTime(QDateTime::currentDateTime().addSecs(-hour), QFileDevice::FileModificationTime));
    }

    ASSIGN_OR_FAIL(const OrphanRecovery recovery, mStore->recoverOrphans());
    QCOMPARE(recovery.adopted.size(), 2);
    QStringList removed = recovery.removed;
    removed.sort();
    QCOMPARE(removed, (QStringList{"2025-12-04/101012-000-8.png", "2025-12-04/101013-000-9.png"}));
    QVERIFY(QFile::exists(mStore->absolutePath("2025-12-04/101014-000-10.png")));
    QVERIFY(QFile::exists(mStore->absolutePath(keptRecord.file)));

    ASSIGN_OR_FAIL(const qint64 adopted, mStore->pictureAt(mStore->absolutePath("2025-12-04/101010-000-42.png")));
    QVERIFY(adopted != 0);
    ASSIGN_OR_FAIL(const PictureRecord adoptedRecord, mStore->picture(adopted));
    QCOMPARE(adoptedRecord.prompt, QStringLiteral("a cat"));
    QCOMPARE(adoptedRecord.width, 24);
    ASSIGN_OR_FAIL(const qint64 inpaint, mStore->pictureAt(mStore->absolutePath("2025-12-04/101011-000-7-inpaint.png")));
    ASSIGN_OR_FAIL(const PictureRecord inpaintRecord, mStore->picture(inpaint));
    QCOMPARE(inpaintRecord.maskFile, QStringLiteral("2025-12-04/101011-000-7-inpaint-mask.png"));
    ASSIGN_OR_FAIL(const int count, mStore->count({}));
    QCOMPARE(count, 3);

    // A second pass finds nothing more; the Library runs it when it opens, and shows what it adopted.
    ASSIGN_OR_FAIL(const OrphanRecovery again, mStore->recoverOrphans());
    QVERIFY(again.adopted.isEmpty() && again.removed.isEmpty());
    QVERIFY(writeFile(mStore->absolutePath("2025-12-05/000000-000-11.png"), withText, hour));
    QVERIFY(openWorkspace());
    ASSIGN_OR_FAIL(const int afterOpen, mStore->count({}));
    QCOMPARE(afterOpen, 4);
}

void TestLibrary::purgeDeletesOnlyGalleryFiles()
{
    QVERIFY(openDatabase());
    const QString outside = paths::dataDir() + QStringLiteral("/precious.png");
    QVERIFY(writeFile(outside, test::tinyPng(Qt::green)));
    auto removeOutside = qScopeGuard([&] { QFile::remove(outside); });
    const qint64 inside = addPicture(QStringLiteral("inside"), QStringLiteral("sd15"), 1);
    ASSIGN_OR_FAIL(const PictureRecord insideRecord, mStore->picture(inside));
    QVERIFY(QFile::link(outside, mStore->absolutePath(QStringLiteral("link-out.png"))));
    QVERIFY(QDir().mkpath(mStore->absolutePath(QStringLiteral("sub"))));

    // Rows naming the file outside: through "..", by absolute path, through a link in the gallery.
    QSqlQuery q(mDatabase->sql());
    for (const QString& file : {QStringLiteral("../precious.png"), QStringLiteral("sub/../../precious.png"), outside,
                                QStringLiteral("link-out.png")}) {
        q.prepare(QStringLiteral("INSERT INTO pictures (file, created, kind, prompt, prompt_folded, negative, parameters, "
                                 "parameters_json, model, model_hash, sampler, scheduler, steps, cfg, seed, width, height, "
                                 "duration_ms, removed) VALUES (?, 1, 'txt2img', 'x', 'x', '', 'x', '{}', '', '', '', '', "
                                 "1, 1, 1, 8, 8, 0, 1)"));
        q.addBindValue(file);
        QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
    }
    VERIFY_OK(mStore->remove(inside));
    ASSIGN_OR_FAIL(const QList<qint64> purged, mStore->purgeRemoved());
    QCOMPARE(purged.size(), 5);
    QVERIFY(QFile::exists(outside));
    QCOMPARE(readAll(outside), test::tinyPng(Qt::green));
    QVERIFY(!QFile::exists(mStore->absolutePath(insideRecord.file))); // the gallery's own file still goes
    ASSIGN_OR_FAIL(const int left, mStore->count({}));
    QCOMPARE(left, 0);
}

void TestLibrary::importRefusesOversizedText()
{
    QVERIFY(openDatabase());
    // The file had 100 MB of `parameters`; 8 MiB shows the same refusal.
    const QString huge = paths::dataDir() + QStringLiteral("/huge.png");
    const QString text = test::kA1111Text + QStringLiteral(", Notes: ") + QString(8 * 1024 * 1024, QLatin1Char('x'));
    QVERIFY(writeFile(huge, test::tinyPng(Qt::blue, {8, 8}, text)));
    auto removeHuge = qScopeGuard([&] { QFile::remove(huge); });
    const auto refused = mStore->importFile(huge);
    QVERIFY(!refused.ok());
    const QString message = QString::fromStdString(refused.error().message);
    QVERIFY2(message.contains(QStringLiteral("\"parameters\" text chunk is too large")) && message.contains("65536"),
             qPrintable(message));
    ASSIGN_OR_FAIL(const int count, mStore->count({}));
    QCOMPARE(count, 0);
    QVERIFY(!QDir(paths::galleryDir()).exists() || QDir(paths::galleryDir()).entryList(QDir::Files | QDir::AllDirs | QDir::NoDotAndDotDot).isEmpty());

    // A prompt a little under the limit imports; the row's JSON does not hold it a fourth time.
    const QString large = paths::dataDir() + QStringLiteral("/large.png");
    const QString prompt(60000, QLatin1Char('y'));
    QVERIFY(writeFile(large, test::tinyPng(Qt::blue, {8, 8}, prompt + '\n' + test::kA1111Text.section('\n', 2))));
    auto removeLarge = qScopeGuard([&] { QFile::remove(large); });
    ASSIGN_OR_FAIL(const PictureRecord imported, mStore->importFile(large));
    QSqlQuery json(mDatabase->sql());
    QVERIFY(json.exec(QStringLiteral("SELECT length(parameters_json) FROM pictures WHERE id = %1").arg(imported.id)));
    QVERIFY(json.next());
    QVERIFY2(json.value(0).toInt() < 1000, qPrintable(json.value(0).toString()));
    ASSIGN_OR_FAIL(const PictureRecord stored, mStore->picture(imported.id));
    QCOMPARE(stored.prompt, prompt);
    QCOMPARE(stored.parameters().prompt, prompt);
    QCOMPARE(stored.parameters().steps, 20);
}

void TestLibrary::importDefaultsMalformedValues()
{
    QVERIFY(openDatabase());
    const QString odd = paths::dataDir() + QStringLiteral("/odd.png");
    QVERIFY(writeFile(odd, test::tinyPng(Qt::cyan, {16, 8},
                                         QStringLiteral("a dog\nSteps: -3, Sampler: Euler, CFG scale: nan, Seed: 9, "
                                                        "Size: 99999999999x1, Denoising strength: inf, Clip skip: -1, "
                                                        "Model: sd15"))));
    auto removeOdd = qScopeGuard([&] { QFile::remove(odd); });
    ASSIGN_OR_FAIL(const PictureRecord r, mStore->importFile(odd)); // once: "NOT NULL constraint failed: pictures.cfg"
    ASSIGN_OR_FAIL(const PictureRecord stored, mStore->picture(r.id));
    QCOMPARE(stored.prompt, QStringLiteral("a dog"));
    QCOMPARE(stored.sampler, QStringLiteral("Euler"));
    QCOMPARE(stored.seed, quint64(9));
    QCOMPARE(stored.model, QStringLiteral("sd15"));
    QCOMPARE(stored.cfgScale, 7.0); // the defaults
    QCOMPARE(stored.steps, 20);
    QVERIFY(!stored.strength);
    QCOMPARE(stored.kind, PictureKind::Txt2Img);
    QCOMPARE(stored.width, 16); // the picture's own size
    QCOMPARE(stored.height, 8);
    QCOMPARE(stored.parameters().clipSkip, 1);
}

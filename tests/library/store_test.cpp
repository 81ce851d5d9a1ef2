// PictureStore: what lands on disk and in the database, imports from other tools, and failures
// that must leave nothing behind.

#include "tst_library.h"

#include "core/app_paths.h"
#include "io/png_text.h"
#include "store/chat_store.h"
#include "test_result.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QtTest>

using namespace atelier;
using namespace atelier::store;

namespace {

QString chunk(const QByteArray& png, const QString& keyword)
{
    auto chunks = io::readPngText(png);
    if (!chunks.ok())
        return {};
    for (const io::PngTextChunk& c : chunks.value()) {
        if (c.keyword == keyword)
            return c.text;
    }
    return {};
}

QByteArray readAll(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

// Schema 1 as the first release wrote it: the chat tables only.
bool writeSchemaOne(const QString& path)
{
    const QString name = QStringLiteral("schema-one");
    bool ok = true;
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        db.setDatabaseName(path);
        ok = db.open();
        QSqlQuery q(db);
        for (const char* sql : {
                 "CREATE TABLE conversations (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, "
                 "title_folded TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL, settings TEXT NOT NULL, "
                 "current_leaf_id INTEGER, removed INTEGER)",
                 "CREATE TABLE messages (id INTEGER PRIMARY KEY AUTOINCREMENT, conversation_id INTEGER NOT NULL "
                 "REFERENCES conversations(id) ON DELETE CASCADE, parent_id INTEGER REFERENCES messages(id) ON DELETE "
                 "CASCADE, role TEXT NOT NULL, text TEXT NOT NULL, text_folded TEXT NOT NULL, created INTEGER NOT NULL, "
                 "stats TEXT NOT NULL)",
                 "CREATE INDEX messages_by_conversation ON messages(conversation_id, id)",
                 "CREATE INDEX messages_by_parent ON messages(parent_id)",
                 "CREATE INDEX conversations_by_activity ON conversations(updated)",
                 "INSERT INTO conversations VALUES (1, 'Old chat', 'old chat', 1000, 2000, '{}', 1, NULL)",
                 "INSERT INTO messages VALUES (1, 1, NULL, 'user', 'Draw me a lighthouse', 'draw me a lighthouse', 1500, '{}')",
                 "PRAGMA user_version = 1",
                 "PRAGMA application_id = 1096043602",
             }) {
            ok = ok && q.exec(QString::fromLatin1(sql));
        }
        db.close();
    }
    QSqlDatabase::removeDatabase(name);
    return ok;
}

} // namespace

void TestLibrary::migratesChatDatabase()
{
    QVERIFY(paths::ensureDir(paths::dataDir()));
    QVERIFY(writeSchemaOne(paths::databasePath()));
    QVERIFY(openDatabase());
    QSqlQuery version(mDatabase->sql());
    QVERIFY(version.exec(QStringLiteral("PRAGMA user_version")) && version.next());
    QCOMPARE(version.value(0).toInt(), Database::kSchemaVersion);

    // The chat is still there, its question is in the prompt history, and pictures can be added.
    ChatStore chats(*mDatabase);
    ASSIGN_OR_FAIL(const auto conversations, chats.conversations());
    QCOMPARE(conversations.size(), 1);
    QCOMPARE(conversations.first().title, QStringLiteral("Old chat"));
    ASSIGN_OR_FAIL(const auto prompts, mStore->prompts({}, 10));
    QCOMPARE(prompts.size(), 1);
    QCOMPARE(prompts.first().text, QStringLiteral("Draw me a lighthouse"));
    QVERIFY(!prompts.first().image);
    QVERIFY(addPicture(QStringLiteral("a lighthouse"), QStringLiteral("sd15"), 7) != 0);
}

void TestLibrary::addWritesPngAndRow()
{
    QVERIFY(openDatabase());
    diffusion::GenerationParameters p = test::parametersFor(QStringLiteral("a red fox, \"snow\""), QStringLiteral("sd15"),
                                                            18446744073709551557ull); // above 2^53: kept exactly
    p.denoisingStrength = 0.6;
    PictureRecord record = PictureRecord::fromParameters(p, PictureKind::Img2Img);
    record.durationMs = 2345;
    ASSIGN_OR_FAIL(const PictureRecord parent, mStore->add(PictureRecord::fromParameters(p, PictureKind::Txt2Img),
                                                           test::tinyPng(Qt::red)));
    record.parentId = parent.id;
    ASSIGN_OR_FAIL(const PictureRecord added, mStore->add(record, test::tinyPng(Qt::blue)));
    QVERIFY(added.id > parent.id);

    // The PNG is in the gallery folder and carries the parameters other tools read.
    const QString path = mStore->absolutePath(added.file);
    QVERIFY2(path.startsWith(paths::galleryDir() + '/'), qPrintable(path));
    const QByteArray png = readAll(path);
    QCOMPARE(chunk(png, QStringLiteral("parameters")), diffusion::formatA1111(p));
    QCOMPARE(QImage::fromData(png).pixelColor(0, 0), QColor(Qt::blue));

    // Closed and opened again, the row says everything that made it.
    closeAll();
    QVERIFY(openDatabase());
    ASSIGN_OR_FAIL(const PictureRecord read, mStore->picture(added.id));
    QCOMPARE(read.file, added.file);
    QCOMPARE(read.kind, PictureKind::Img2Img);
    QCOMPARE(read.prompt, p.prompt);
    QCOMPARE(read.negativePrompt, QStringLiteral("blurry"));
    QCOMPARE(read.model, QStringLiteral("sd15"));
    QCOMPARE(read.modelHash, QStringLiteral("0123456789"));
    QCOMPARE(read.seed, p.seed);
    QCOMPARE(read.steps, 4);
    QCOMPARE(read.strength.value_or(0), 0.6);
    QCOMPARE(read.durationMs, qint64(2345));
    QCOMPARE(read.parentId, parent.id);
    QCOMPARE(read.created.toMSecsSinceEpoch(), added.created.toMSecsSinceEpoch());
    QCOMPARE(read.parametersText, diffusion::formatA1111(p));
    QVERIFY(read.parameters() == p);

    // Atelier's own PNG reads back losslessly.
    ASSIGN_OR_FAIL(const PictureRecord again, PictureStore::recordFromPng(png, path));
    QVERIFY(again.parameters() == p);
    QCOMPARE(again.kind, PictureKind::Img2Img);
}

void TestLibrary::failedWriteLeavesNoRow()
{
    QVERIFY(openDatabase());
    // The gallery folder cannot be made (a file holds its name), as when the disk refuses writes.
    // Tests may run as root, which a read-only folder would not stop.
    const QString blocked = paths::dataDir() + QStringLiteral("/blocked-gallery");
    QVERIFY(writeFile(blocked, "not a folder"));
    auto cleanupBlocked = qScopeGuard([&] { QFile::remove(blocked); });
    PictureStore store(*mDatabase, blocked);
    const auto added = store.add(PictureRecord::fromParameters(test::parametersFor("lost", "sd15", 1), PictureKind::Txt2Img),
                                 test::tinyPng(Qt::green));
    QVERIFY(!added.ok());
    QCOMPARE(added.error().code, ErrorCode::Io);
    QVERIFY2(QString::fromStdString(added.error().message).contains(blocked), added.error().message.c_str());
    ASSIGN_OR_FAIL(const int count, store.count({}));
    QCOMPARE(count, 0);
    ASSIGN_OR_FAIL(const auto prompts, store.prompts({}, 10));
    QVERIFY(prompts.isEmpty());

    // Bytes that are not a PNG are refused before anything is written.
    const auto garbage = mStore->add(PictureRecord::fromParameters(test::parametersFor("x", "sd15", 2), PictureKind::Txt2Img),
                                     QByteArray("GIF89a"));
    QVERIFY(!garbage.ok());
    QVERIFY(!QDir(paths::galleryDir()).exists() || QDir(paths::galleryDir()).isEmpty());
    ASSIGN_OR_FAIL(const int stillNone, mStore->count({}));
    QCOMPARE(stillNone, 0);
}

void TestLibrary::importsA1111Png()
{
    QVERIFY(openDatabase());
    const QString source = paths::dataDir() + QStringLiteral("/00012-42.png");
    QVERIFY(writeFile(source, test::tinyPng(Qt::darkCyan, {512, 512}, test::kA1111Text)));
    ASSIGN_OR_FAIL(const PictureRecord r, mStore->importFile(source));
    QCOMPARE(r.prompt, QStringLiteral("a cat"));
    QCOMPARE(r.negativePrompt, QStringLiteral("dog"));
    QCOMPARE(r.steps, 20);
    QCOMPARE(r.sampler, QStringLiteral("Euler a"));
    QCOMPARE(r.cfgScale, 7.0);
    QCOMPARE(r.seed, quint64(42));
    QCOMPARE(r.width, 512);
    QCOMPARE(r.height, 512);
    QCOMPARE(r.modelHash, QStringLiteral("abcd1234"));
    QCOMPARE(r.model, QStringLiteral("sd15"));
    QCOMPARE(r.kind, PictureKind::Txt2Img);
    QCOMPARE(r.parametersText, test::kA1111Text);

    // A copy in the gallery, byte for byte what A1111 wrote (so its chunk stays as it was).
    ASSIGN_OR_FAIL(const PictureRecord stored, mStore->picture(r.id));
    QCOMPARE(stored.prompt, QStringLiteral("a cat"));
    QCOMPARE(readAll(mStore->absolutePath(stored.file)).left(8), readAll(source).left(8));
    QCOMPARE(chunk(readAll(mStore->absolutePath(stored.file)), QStringLiteral("parameters")), test::kA1111Text);
    QFile::remove(source);
    QVERIFY(QFile::exists(mStore->absolutePath(stored.file)));

    // A picture of Create's: its `atelier` chunk adds the kind and the time it took.
    ASSIGN_OR_FAIL(const QByteArray created,
                   io::addPngText(test::tinyPng(Qt::gray, {64, 64}, test::kA1111Text + ", Denoising strength: 0.5"),
                                  {{QStringLiteral("atelier"),
                                    QStringLiteral(R"({"kind":"img2img","prompt":"a cat","seed":"42",)"
                                                   R"("timings":{"text_s":0.25,"sampling_s":2.5,"decode_s":0.5}})")}}));
    ASSIGN_OR_FAIL(const PictureRecord fromCreate, PictureStore::recordFromPng(created, QStringLiteral("create.png")));
    QCOMPARE(fromCreate.kind, PictureKind::Img2Img);
    QCOMPARE(fromCreate.durationMs, qint64(3250));
    QCOMPARE(fromCreate.strength.value_or(0), 0.5);
    QCOMPARE(fromCreate.width, 64);
}

void TestLibrary::refusesPngWithoutParameters()
{
    QVERIFY(openDatabase());
    const QString plain = paths::dataDir() + QStringLiteral("/holiday.png");
    QVERIFY(writeFile(plain, test::tinyPng(Qt::yellow)));
    const auto refused = mStore->importFile(plain);
    QVERIFY(!refused.ok());
    QVERIFY2(QString::fromStdString(refused.error().message).contains("no generation parameters"),
             refused.error().message.c_str());
    const QString broken = paths::dataDir() + QStringLiteral("/broken.png");
    QVERIFY(writeFile(broken, test::tinyPng(Qt::yellow, {8, 8}, test::kA1111Text).left(40)));
    QVERIFY(!mStore->importFile(broken).ok());
    QVERIFY(!mStore->importFile(paths::dataDir() + QStringLiteral("/missing.png")).ok());
    ASSIGN_OR_FAIL(const int count, mStore->count({}));
    QCOMPARE(count, 0);
    QFile::remove(plain);
    QFile::remove(broken);
}

void TestLibrary::filtersAndPages()
{
    QVERIFY(openDatabase());
    const qint64 day = 24 * 3600 * 1000;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    QList<qint64> ids;
    for (int i = 0; i < 25; ++i) {
        const QString prompt = i % 5 == 0 ? QStringLiteral("A Cat number %1").arg(i) : QStringLiteral("a dog %1").arg(i);
        ids << addPicture(prompt, i % 2 ? QStringLiteral("sd15") : QStringLiteral("sd21"), i, now - (25 - i) * day);
        QVERIFY(ids.last() != 0);
    }
    // Newest first, a page at a time, with nothing lost or repeated between pages.
    QList<qint64> seen;
    PictureCursor cursor;
    for (;;) {
        ASSIGN_OR_FAIL(const auto page, mStore->pictures({}, cursor, 7));
        for (const PictureRecord& r : page)
            seen << r.id;
        if (page.size() < 7)
            break;
        cursor = {page.last().created.toMSecsSinceEpoch(), page.last().id};
    }
    QList<qint64> newestFirst(ids.rbegin(), ids.rend());
    QCOMPARE(seen, newestFirst);

    PictureFilter cats;
    cats.text = QStringLiteral("cat"); // case-insensitive
    ASSIGN_OR_FAIL(const int catCount, mStore->count(cats));
    QCOMPARE(catCount, 5);
    cats.model = QStringLiteral("sd21");
    ASSIGN_OR_FAIL(const auto sd21Cats, mStore->pictures(cats, {}, 100));
    QCOMPARE(sd21Cats.size(), 3); // 0, 10, 20
    QCOMPARE(sd21Cats.first().prompt, QStringLiteral("A Cat number 20"));

    PictureFilter lastWeek;
    lastWeek.from = QDateTime::fromMSecsSinceEpoch(now - 7 * day).date();
    lastWeek.to = QDate::currentDate();
    ASSIGN_OR_FAIL(const int recent, mStore->count(lastWeek));
    QVERIFY2(recent >= 6 && recent <= 8, qPrintable(QString::number(recent))); // day edges in local time
    ASSIGN_OR_FAIL(const QStringList models, mStore->models());
    QCOMPARE(models, (QStringList{"sd15", "sd21"}));
}

void TestLibrary::purgeDeletesFiles()
{
    QVERIFY(openDatabase());
    const qint64 kept = addPicture(QStringLiteral("kept"), QStringLiteral("sd15"), 1);
    const qint64 gone = addPicture(QStringLiteral("gone"), QStringLiteral("sd15"), 2);
    ASSIGN_OR_FAIL(const PictureRecord goneRecord, mStore->picture(gone));
    VERIFY_OK(mStore->remove(gone));
    ASSIGN_OR_FAIL(const int hidden, mStore->count({}));
    QCOMPARE(hidden, 1);
    VERIFY_OK(mStore->restore(gone));
    VERIFY_OK(mStore->remove(gone));
    ASSIGN_OR_FAIL(const QList<qint64> purged, mStore->purgeRemoved());
    QCOMPARE(purged, QList<qint64>{gone});
    QVERIFY(!QFile::exists(mStore->absolutePath(goneRecord.file)));
    QVERIFY(!mStore->picture(gone).ok());
    VERIFY_OK(mStore->picture(kept));
    QVERIFY(!mStore->restore(gone).ok());
}

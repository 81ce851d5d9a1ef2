// Chat pictures no message names any more are removed (issue 22): only files of the chat pictures
// folder with Atelier's names, last written over an hour ago, that no message of any conversation
// names (a hidden one waiting for its undo included); a picture kept again for a question not yet
// sent is young again and stays; nothing goes when the messages cannot be read; the window does it
// at start-up, after Chat purged the conversations deleted last time.

#include "chat/picture_files.h"
#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "main_window.h"
#include "store/chat_picture_cleanup.h"
#include "store/chat_store.h"
#include "store/database.h"
#include "store/sql.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

constexpr qint64 kHour = 3600;

// An Atelier name: 32 hex digits and the format.
QString pictureName(int n, const QString& suffix = QStringLiteral("png"))
{
    return QStringLiteral("%1.%2").arg(QString::number(n, 16).rightJustified(32, QLatin1Char('0')), suffix);
}

// Writes a file whose last change was `ageSeconds` ago.
void writeFile(const QString& path, qint64 ageSeconds, const QByteArray& bytes = "picture bytes")
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    file.write(bytes);
    QVERIFY(file.flush()); // before the time is set, or the write's own time replaces it
    QVERIFY(file.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-ageSeconds), QFileDevice::FileModificationTime));
}

QString folder() { return store::chatPicturesDir(); }
bool present(const QString& name) { return QFileInfo::exists(folder() + QLatin1Char('/') + name); }

} // namespace

class TestChatPictureCleanup : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();

    void removesOnlyPicturesNoMessageNames();
    void keepsPicturesOfAHiddenConversationUntilItIsPurged();
    void keepsAPictureJustKeptAgainForAQuestion();
    void removesNothingWhenTheMessagesCannotBeRead();
    void theWindowRemovesThemAtStartUp();

private:
    // The database at its usual place, with the conversations' messages and pictures.
    std::unique_ptr<store::Database> openDatabase();
    qint64 conversationShowing(store::Database& db, const QStringList& pictures);
};

void TestChatPictureCleanup::initTestCase()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
}

void TestChatPictureCleanup::init()
{
    QFile::remove(paths::databasePath());
    QFile::remove(paths::databasePath() + "-wal");
    QFile::remove(paths::databasePath() + "-shm");
    QDir(folder()).removeRecursively();
    QVERIFY(paths::ensureDir(folder()));
}

std::unique_ptr<store::Database> TestChatPictureCleanup::openDatabase()
{
    auto db = store::Database::open(paths::databasePath());
    if (!db.ok())
        qWarning("%s", db.error().message.c_str());
    return db.ok() ? std::move(db).value() : nullptr;
}

qint64 TestChatPictureCleanup::conversationShowing(store::Database& db, const QStringList& pictures)
{
    store::ChatStore chat(db);
    auto conversation = chat.createConversation(QStringLiteral("Pictures"), {});
    if (!conversation.ok())
        return 0;
    auto question = chat.addMessage(conversation.value().id, 0, "user", "What is this?", {}, pictures);
    if (!question.ok())
        return 0;
    (void)chat.addMessage(conversation.value().id, question.value().id, "assistant", "A square.");
    return conversation.value().id;
}

void TestChatPictureCleanup::removesOnlyPicturesNoMessageNames()
{
    auto db = openDatabase();
    QVERIFY(db);
    QVERIFY(conversationShowing(*db, {pictureName(1), pictureName(2, "jpeg")}));
    writeFile(folder() + "/" + pictureName(1), 2 * kHour);          // named
    writeFile(folder() + "/" + pictureName(2, "jpeg"), 30 * 24 * kHour); // named, old
    writeFile(folder() + "/" + pictureName(3), 2 * kHour);          // nobody's: goes
    writeFile(folder() + "/" + pictureName(4, "webp"), 2 * kHour);  // nobody's: goes
    writeFile(folder() + "/" + pictureName(5), 10 * 60);            // nobody's yet, ten minutes old: stays
    writeFile(folder() + "/notes.txt", 2 * kHour);                  // not a name Atelier gives: stays
    QVERIFY(QDir(folder()).mkpath("inside"));
    writeFile(folder() + "/inside/" + pictureName(6), 2 * kHour);  // in a subfolder: stays
    // A link with an Atelier name to a file outside the folder: neither goes.
    QTemporaryDir outside;
    writeFile(outside.filePath("elsewhere.png"), 2 * kHour);
    QVERIFY(QFile::link(outside.filePath("elsewhere.png"), folder() + "/" + pictureName(7)));

    auto cleanup = store::removeUnusedChatPictures(*db, folder());
    QVERIFY(cleanup.ok());
    QCOMPARE(cleanup.value().removed, (QStringList{pictureName(3), pictureName(4, "webp")}));
    QCOMPARE(cleanup.value().removedBytes, qint64(2 * QByteArray("picture bytes").size()));
    QVERIFY(present(pictureName(1)) && present(pictureName(2, "jpeg")));
    QVERIFY(!present(pictureName(3)) && !present(pictureName(4, "webp")));
    QVERIFY(present(pictureName(5)) && present("notes.txt") && present("inside/" + pictureName(6)));
    QVERIFY(QFileInfo(folder() + "/" + pictureName(7)).isSymLink());
    QVERIFY(QFileInfo::exists(outside.filePath("elsewhere.png")));

    // A second pass finds nothing more; the names are what the messages say.
    QVERIFY(store::removeUnusedChatPictures(*db, folder()).value().removed.isEmpty());
    QCOMPARE(store::namedChatPictures(*db).value(), (QStringList{pictureName(1), pictureName(2, "jpeg")}));
}

void TestChatPictureCleanup::keepsPicturesOfAHiddenConversationUntilItIsPurged()
{
    auto db = openDatabase();
    QVERIFY(db);
    store::ChatStore chat(*db);
    const qint64 first = conversationShowing(*db, {pictureName(1), pictureName(2)});
    const qint64 second = conversationShowing(*db, {pictureName(2)}); // the same picture in two conversations
    QVERIFY(first && second);
    for (int n : {1, 2})
        writeFile(folder() + "/" + pictureName(n), 2 * kHour);

    // Deleted, the conversation can still come back (undo): its pictures stay.
    QVERIFY(chat.remove(first).ok());
    QVERIFY(store::removeUnusedChatPictures(*db, folder()).value().removed.isEmpty());
    QVERIFY(present(pictureName(1)) && present(pictureName(2)));

    // Deleted for good: its own picture goes, the one the other conversation shows stays.
    QVERIFY(chat.purgeRemoved().ok());
    QCOMPARE(store::removeUnusedChatPictures(*db, folder()).value().removed, QStringList{pictureName(1)});
    QVERIFY(present(pictureName(2)));
    QVERIFY(chat.remove(second).ok());
    QVERIFY(chat.purgeRemoved().ok());
    QCOMPARE(store::removeUnusedChatPictures(*db, folder()).value().removed, QStringList{pictureName(2)});
}

void TestChatPictureCleanup::keepsAPictureJustKeptAgainForAQuestion()
{
    auto db = openDatabase();
    QVERIFY(db);
    // A picture attached long ago to a conversation deleted since: its file is old and unnamed.
    QImage square(16, 16, QImage::Format_RGB32);
    square.fill(Qt::red);
    QTemporaryDir source;
    const QString file = source.filePath("square.png");
    QVERIFY(square.save(file));
    auto kept = ui::keepChatPicture(file);
    QVERIFY(kept.ok());
    const QString path = store::chatPicturePath(kept.value());
    QFile old(path);
    QVERIFY(old.open(QIODevice::ReadWrite));
    QVERIFY(old.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-2 * kHour), QFileDevice::FileModificationTime));
    old.close();

    // The same picture attached again to a question being written: the file is reused, young again.
    auto again = ui::keepChatPicture(file);
    QVERIFY(again.ok());
    QCOMPARE(again.value(), kept.value());
    QVERIFY(store::removeUnusedChatPictures(*db, folder()).value().removed.isEmpty());
    QVERIFY(QFileInfo::exists(path));
    // Left unsent for over an hour, it goes.
    QVERIFY(old.open(QIODevice::ReadWrite));
    QVERIFY(old.setFileTime(QDateTime::currentDateTimeUtc().addSecs(-2 * kHour), QFileDevice::FileModificationTime));
    old.close();
    QCOMPARE(store::removeUnusedChatPictures(*db, folder()).value().removed, QStringList{kept.value()});
}

void TestChatPictureCleanup::removesNothingWhenTheMessagesCannotBeRead()
{
    auto db = openDatabase();
    QVERIFY(db);
    QVERIFY(conversationShowing(*db, {pictureName(1)}));
    writeFile(folder() + "/" + pictureName(1), 2 * kHour);
    writeFile(folder() + "/" + pictureName(2), 2 * kHour);
    QVERIFY(store::execute(*db, "break the table", "ALTER TABLE messages RENAME TO messages_elsewhere").ok());
    const auto cleanup = store::removeUnusedChatPictures(*db, folder());
    QVERIFY(!cleanup.ok());
    QVERIFY(present(pictureName(1)) && present(pictureName(2)));
}

void TestChatPictureCleanup::theWindowRemovesThemAtStartUp()
{
    {
        auto db = openDatabase();
        QVERIFY(db);
        store::ChatStore chat(*db);
        const qint64 deleted = conversationShowing(*db, {pictureName(1)});
        QVERIFY(deleted && conversationShowing(*db, {pictureName(2)}));
        QVERIFY(chat.remove(deleted).ok()); // deleted in the last session, not undone
    }
    for (int n : {1, 2, 3})
        writeFile(folder() + "/" + pictureName(n), 2 * kHour);
    writeFile(folder() + "/" + pictureName(4), 60); // attached a minute ago by another window

    engine::ComputeEngine engine;
    {
        ui::MainWindow window(engine);
        QVERIFY(!present(pictureName(1)));  // the deleted conversation's
        QVERIFY(present(pictureName(2)));   // a kept conversation's
        QVERIFY(!present(pictureName(3)));  // nobody's
        QVERIFY(present(pictureName(4)));   // too young to tell
    }
}

QTEST_MAIN(TestChatPictureCleanup)
#include "picture_cleanup_test.moc"

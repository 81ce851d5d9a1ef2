// Pictures in the Chat window (issue 22), through the real widgets, with the tiny Gemma 3 and its
// vision projector (tests/llm/fixtures) in the models folder: attach by the button, paste and drop;
// send and get an answer whose prompt counts the picture's 18 tokens; reopen and see the thumbnail;
// a model without a projector refuses pictures and says why.

#include "engine_jobs.h"
#include "file_dialog.h"
#include "tiny_vision.h"
#include "window_fixture.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/chat_input.h"
#include "chat/chat_workspace.h"
#include "chat/message_view.h"
#include "chat/message_widget.h"
#include "chat/model_catalog.h"
#include "chat/picture_strip.h"
#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "engine/job.h"
#include "store/chat_export.h"
#include "store/chat_store.h"
#include "store/database.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

const QString kFixtures = QStringLiteral(ATELIER_TEST_FIXTURES);
constexpr int kDeviceTimeoutMs = 60000;

QString gemmaPath() { return paths::modelsDir() + QStringLiteral("/tiny_gemma3.gguf"); }
// Opened from a folder of its own ("Open model file…"): the tiny Qwen2 has the tiny Gemma's width,
// so next to Gemma's projector it would be offered that one.
QString textOnlyFolder() { return paths::dataDir() + QStringLiteral("/text-only"); }
QString qwenPath() { return textOnlyFolder() + QStringLiteral("/tiny_qwen2.gguf"); }
QString squarePicture() { return kFixtures + QStringLiteral("/tiny_vision_square.png"); }
QString widePicture() { return kFixtures + QStringLiteral("/tiny_vision_wide.png"); }

void saveShot(QWidget* widget, const QString& name)
{
    const QString dir = paths::dataDir() + QStringLiteral("/screenshots");
    paths::ensureDir(dir);
    widget->grab().save(dir + QLatin1Char('/') + name);
}

} // namespace

class TestChatPictures : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void attachByButtonPasteAndDrop();
    void answerReadsThePictureAndReopens();
    void modelWithoutProjectorRefusesPictures();

private:
    bool open(const QString& model);
    void close();
    bool waitForLoad();
    bool waitForAnswer();
    QList<ui::MessageWidget*> messages() const;
    ui::ChatInput* input() const { return mChat->findChild<ui::ChatInput*>(); }
    QList<QToolButton*> waiting() const; // thumbnails above the input
    void send(const QString& text);

    engine::ComputeEngine* mEngine = nullptr;
    std::unique_ptr<store::Database> mDatabase;
    std::unique_ptr<ui::ChatWorkspace> mChat;
};

void TestChatPictures::initTestCase()
{
    test::useFreshSettings();
    QCOMPARE(test::installTinyGemma(paths::modelsDir()), gemmaPath());
    QCOMPARE(test::installTinyQwen(textOnlyFolder()), qwenPath());
    mEngine = new engine::ComputeEngine(this);
    QVERIFY2(test::startEngine(*mEngine, kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestChatPictures::init()
{
    QSettings().clear();
    QFile::remove(paths::databasePath());
    QFile::remove(paths::databasePath() + "-wal");
    QFile::remove(paths::databasePath() + "-shm");
    QDir(store::chatPicturesDir()).removeRecursively();
}

void TestChatPictures::cleanup()
{
    if (mChat)
        QVERIFY(waitForAnswer());
    close();
}

void TestChatPictures::cleanupTestCase()
{
    QCOMPARE(test::validationMessages(*mEngine), 0);
    delete mEngine;
    mEngine = nullptr;
}

bool TestChatPictures::open(const QString& model)
{
    store::ChatSettings defaults; // quick answers, the same on every run
    defaults.modelPath = model;
    defaults.temperature = 0;
    defaults.maxTokens = 4;
    defaults.seed = 1;
    defaults.contextLength = 512;
    ui::saveChatDefaults(defaults);
    auto db = store::Database::open(paths::databasePath());
    if (!db.ok())
        return false;
    mDatabase = std::move(db).value();
    mChat = std::make_unique<ui::ChatWorkspace>(*mEngine, mDatabase.get(), QString());
    if (QFileInfo(model).path() != paths::modelsDir())
        mChat->catalog().addFile(model);
    mChat->resize(1100, 760);
    mChat->show();
    if (!QTest::qWaitForWindowExposed(mChat.get()))
        return false;
    return QTest::qWaitFor([this] { return !mChat->catalog().scanning() && !mChat->catalog().models().isEmpty(); },
                           10000) &&
           waitForLoad();
}

void TestChatPictures::close()
{
    mChat.reset();
    mDatabase.reset();
}

bool TestChatPictures::waitForLoad()
{
    return QTest::qWaitFor([this] { return !mChat->chatEngine().loading() && !mChat->chatEngine().loadedPath().isEmpty(); },
                           kDeviceTimeoutMs);
}

bool TestChatPictures::waitForAnswer()
{
    return QTest::qWaitFor([this] { return !mChat->chatEngine().answering() && !mChat->chatEngine().loading(); },
                           120000);
}

QList<ui::MessageWidget*> TestChatPictures::messages() const
{
    QCoreApplication::processEvents();
    return mChat->findChild<ui::MessageView*>("messageView")->messageWidgets();
}

QList<QToolButton*> TestChatPictures::waiting() const
{
    QCoreApplication::processEvents();
    QList<QToolButton*> shown;
    for (QToolButton* b : input()->findChild<ui::PictureStrip*>()->findChildren<QToolButton*>("pictureThumbnail"))
        if (b->isVisible())
            shown << b;
    return shown;
}

void TestChatPictures::send(const QString& text)
{
    QWidget* edit = mChat->findChild<QWidget*>("chatInput");
    edit->setFocus();
    QTest::keyClicks(edit, text);
    QTest::keyClick(edit, Qt::Key_Return);
}

void TestChatPictures::attachByButtonPasteAndDrop()
{
    QVERIFY(open(gemmaPath()));
    auto* attach = mChat->findChild<QToolButton*>("attachPictureButton");
    QVERIFY(attach);
    QTRY_VERIFY(attach->isEnabled()); // the tiny Gemma's projector lies next to it

    // The button: a file dialog, answered with the square.
    test::answerFileDialog(squarePicture());
    QTest::mouseClick(attach, Qt::LeftButton);
    QTRY_COMPARE(waiting().size(), 1);
    QVERIFY(!waiting().first()->icon().isNull());

    // Paste: a picture on the clipboard, Ctrl+V in the text box.
    QImage pasted(40, 24, QImage::Format_RGB32);
    pasted.fill(Qt::blue);
    QApplication::clipboard()->setImage(pasted);
    QWidget* edit = mChat->findChild<QWidget*>("chatInput");
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_V, Qt::ControlModifier);
    QTRY_COMPARE(waiting().size(), 2);
    QVERIFY2(static_cast<QPlainTextEdit*>(edit)->toPlainText().isEmpty(), "the picture is not pasted as text");

    // Drop: an image file dragged onto the input.
    QMimeData dropped;
    dropped.setUrls({QUrl::fromLocalFile(widePicture())});
    const QPoint at = input()->rect().center();
    QDragEnterEvent enter(at, Qt::CopyAction, &dropped, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(input(), &enter);
    QVERIFY(enter.isAccepted());
    QDropEvent drop(QPointF(at), Qt::CopyAction, &dropped, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(input(), &drop);
    QTRY_COMPARE(waiting().size(), 3);
    saveShot(input(), "input-with-pictures.png");

    // Dropped on the text box itself: a picture too, not its path as text.
    QWidget* viewport = static_cast<QPlainTextEdit*>(edit)->viewport();
    const QPoint inBox = viewport->rect().center();
    QDragEnterEvent enterBox(inBox, Qt::CopyAction, &dropped, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(viewport, &enterBox);
    QDragMoveEvent moveBox(inBox, Qt::CopyAction, &dropped, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(viewport, &moveBox);
    QDropEvent dropBox(QPointF(inBox), Qt::CopyAction, &dropped, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(viewport, &dropBox);
    QTRY_COMPARE(waiting().size(), 4);
    QVERIFY2(static_cast<QPlainTextEdit*>(edit)->toPlainText().isEmpty(),
             qPrintable(static_cast<QPlainTextEdit*>(edit)->toPlainText()));
    QCOMPARE(QDir(store::chatPicturesDir()).entryList(QDir::Files).size(), 3); // the wide picture again
    input()->setPictures(input()->pictures().mid(0, 3));
    QTRY_COMPARE(waiting().size(), 3);

    // Each kept once in the data folder, by content: the square again adds no file.
    QCOMPARE(QDir(store::chatPicturesDir()).entryList(QDir::Files).size(), 3);
    QVERIFY(input()->attachPicture(squarePicture()));
    QCOMPARE(QDir(store::chatPicturesDir()).entryList(QDir::Files).size(), 3);
    QTRY_COMPARE(waiting().size(), 4);

    // x removes a picture before sending.
    auto* remove = waiting().last()->findChild<QToolButton*>("removePictureButton");
    QVERIFY(remove && remove->isVisible());
    QTest::mouseClick(remove, Qt::LeftButton);
    QTRY_COMPARE(waiting().size(), 3);
    QCOMPARE(input()->pictures().size(), 3);

    // The Library's "Ask about this picture": a new conversation with only that picture waiting.
    mChat->askAboutPicture(widePicture());
    QTRY_COMPARE(waiting().size(), 1);
    QCOMPARE(mChat->currentConversation(), 0);
}

void TestChatPictures::answerReadsThePictureAndReopens()
{
    QVERIFY(open(gemmaPath()));
    const QString question = QStringLiteral("What colour is the square?");

    // Without a picture first: the prompt's size to compare with.
    send(question);
    QVERIFY(waitForAnswer());
    QList<ui::MessageWidget*> shown = messages();
    QCOMPARE(shown.size(), 2);
    auto blindStats = mChat->findChild<ui::MessageView*>("messageView")->messageWidgets()[1];
    const QString blindLine = blindStats->findChild<QLabel*>("messageStats")->text();
    QRegularExpression promptTokens(QStringLiteral("prompt (\\d+) tokens"));
    const auto blind = promptTokens.match(blindLine);
    QVERIFY2(blind.hasMatch(), qPrintable(blindLine));

    mChat->newConversation();
    QVERIFY(input()->attachPicture(squarePicture()));
    QSignalSpy started(&mChat->chatEngine(), &ui::ChatEngine::answerStarted);
    send(question);
    QVERIFY(waitForAnswer());
    QCOMPARE(started.size(), 1);
    const auto request = started.first().first().value<ui::ChatRequest>();
    QCOMPARE(request.turns.size(), 1);
    QCOMPARE(request.turns.first().pictures.size(), 1);
    QVERIFY(input()->pictures().isEmpty()); // sent with the message
    shown = messages();
    QCOMPARE(shown.size(), 2);
    QCOMPARE(shown[0]->findChildren<QToolButton*>("pictureThumbnail").size(), 1);
    QVERIFY(!shown[1]->text().isEmpty());
    const QString line = shown[1]->findChild<QLabel*>("messageStats")->text();
    const auto seeing = promptTokens.match(line);
    QVERIFY2(seeing.hasMatch(), qPrintable(line));
    // <start_of_image>, the picture's 16 embeddings, <end_of_image>.
    QCOMPARE(seeing.captured(1).toInt() - blind.captured(1).toInt(), 18);
    saveShot(mChat.get(), "sent-picture.png");

    // Stored: reopen the conversation in a new window.
    const qint64 id = mChat->currentConversation();
    close();
    QVERIFY(open(gemmaPath()));
    mChat->openConversation(id);
    shown = messages();
    QCOMPARE(shown.size(), 2);
    auto thumbnails = shown[0]->findChildren<QToolButton*>("pictureThumbnail");
    QCOMPARE(thumbnails.size(), 1);
    QTRY_VERIFY(thumbnails.first()->isVisible());
    QVERIFY(!thumbnails.first()->icon().isNull());

    // Clicking it shows it larger.
    QTest::mouseClick(thumbnails.first(), Qt::LeftButton);
    QDialog* dialog = nullptr;
    QTRY_VERIFY((dialog = shown[0]->findChild<QDialog*>("pictureDialog")) && dialog->isVisible());
    QVERIFY(!dialog->findChild<QLabel*>("pictureLarge")->pixmap().isNull());
    dialog->close();

    // A follow-up question still shows the model the picture.
    QSignalSpy followed(&mChat->chatEngine(), &ui::ChatEngine::answerStarted);
    send(QStringLiteral("And the background?"));
    QVERIFY(waitForAnswer());
    QCOMPARE(followed.size(), 1);
    const auto followUp = followed.first().first().value<ui::ChatRequest>();
    QCOMPARE(followUp.turns.size(), 3);
    QCOMPARE(followUp.turns.first().pictures.size(), 1);
    shown = messages();
    QCOMPARE(shown.size(), 4);
    QVERIFY(!shown[3]->text().isEmpty());
    QVERIFY(!mChat->findChild<QLabel*>("chatError") || !mChat->findChild<QLabel*>("chatError")->isVisible());

    // The export links the stored picture.
    store::ChatStore store(*mDatabase);
    auto conversation = store.conversation(id);
    auto stored = store.messages(id);
    QVERIFY(conversation.ok() && stored.ok());
    QCOMPARE(stored.value().first().pictures.size(), 1);
    const QString markdown = store::exportMarkdown(conversation.value(), stored.value().mid(0, 2));
    const QString link = QUrl::fromLocalFile(store::chatPicturePath(stored.value().first().pictures.first())).toString();
    QVERIFY2(markdown.contains(QStringLiteral("](%1)").arg(link)), qPrintable(markdown));
    QVERIFY(store::exportJson(conversation.value(), stored.value()).contains("\"pictures\""));
}

void TestChatPictures::modelWithoutProjectorRefusesPictures()
{
    QVERIFY(open(qwenPath()));
    auto* attach = mChat->findChild<QToolButton*>("attachPictureButton");
    QTRY_VERIFY2(!attach->isEnabled(), qPrintable(mChat->chatEngine().loadedPath() + ": " + attach->toolTip()));
    QVERIFY2(attach->toolTip().contains("no vision projector"), qPrintable(attach->toolTip()));

    // A pasted picture is not taken.
    QImage pasted(16, 16, QImage::Format_RGB32);
    pasted.fill(Qt::red);
    QApplication::clipboard()->setImage(pasted);
    QWidget* edit = mChat->findChild<QWidget*>("chatInput");
    edit->setFocus();
    QTest::keyClick(edit, Qt::Key_V, Qt::ControlModifier);
    QTest::qWait(50);
    QVERIFY(waiting().isEmpty());
    QVERIFY(!input()->attachPicture(squarePicture()));
    auto* why = input()->findChild<QLabel*>("pictureError");
    QVERIFY(why->isVisible() && why->text().contains("no vision projector"));
    saveShot(input(), "input-without-projector.png");
}

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_chat_pictures");
    TestChatPictures test;
    return QTest::qExec(&test, argc, argv);
}

#include "picture_test.moc"

// Talking to the model through the widgets, and what ends up in the database.

#include "file_dialog.h"
#include "tst_chat.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/message_widget.h"
#include "chat/model_catalog.h"
#include "core/app_paths.h"
#include "create/create_workspace.h"
#include "main_window.h"
#include "preferences_dialog.h"
#include "store/chat_store.h"
#include "store/message_tree.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

QList<store::StoredMessage> stored(ChatFixture& f)
{
    auto messages = store::ChatStore(*f.database).messages(f.chat->currentConversation());
    return messages.ok() ? messages.value() : QList<store::StoredMessage>();
}

QString branchOf(ui::MessageWidget* w) { return w->findChild<QLabel*>("branchLabel")->text(); }

void click(QWidget* parent, const char* name)
{
    auto* button = parent->findChild<QAbstractButton*>(QString::fromLatin1(name));
    QVERIFY2(button, name);
    QTRY_VERIFY2(button->isVisible() && button->isEnabled(), name);
    QTest::mouseClick(button, Qt::LeftButton);
}


} // namespace

void TestChat::sendStreamsAndStores()
{
    ChatFixture& f = mFixture;
    QSignalSpy pieces(&f.chat->chatEngine(), &ui::ChatEngine::answerText);
    f.type("Hello there, who are you?");
    QVERIFY(f.chat->chatEngine().answering());
    QCOMPARE(f.find<QPushButton>("sendButton")->text(), QStringLiteral("Stop"));
    QVERIFY(f.waitForAnswer());
    QCOMPARE(f.find<QPushButton>("sendButton")->text(), QStringLiteral("Send"));

    QVERIFY2(pieces.count() > 1, "the answer should stream in pieces");
    QString streamed;
    for (const QList<QVariant>& args : pieces)
        streamed += args.at(1).toString();

    const auto messages = stored(f);
    QCOMPARE(messages.size(), 2);
    QCOMPARE(messages[0].role, QStringLiteral("user"));
    QCOMPARE(messages[0].text, QStringLiteral("Hello there, who are you?"));
    QCOMPARE(messages[1].role, QStringLiteral("assistant"));
    QCOMPARE(messages[1].text, streamed);
    QCOMPARE(messages[1].parentId, messages[0].id);
    QVERIFY(messages[1].stats.generatedTokens > 0 && messages[1].stats.generatedTokens <= 12);
    QVERIFY(messages[1].stats.tokensPerSecond > 0);
    QVERIFY(messages[1].stats.firstTokenSeconds > 0);
    QCOMPARE(messages[1].stats.model, QStringLiteral("tiny-qwen2.gguf"));

    const auto shown = f.messages();
    QCOMPARE(shown.size(), 2);
    QCOMPARE(shown[0]->objectName(), QStringLiteral("userMessage"));
    QCOMPARE(shown[1]->objectName(), QStringLiteral("assistantMessage"));
    QCOMPARE(shown[1]->text(), streamed);
    const QString statsLine = shown[1]->findChild<QLabel*>("messageStats")->text();
    QVERIFY2(statsLine.contains("tokens/s") && statsLine.contains("to first token"), qPrintable(statsLine));

    QCOMPARE(f.conversationList()->count(), 1);
    QCOMPARE(f.conversationList()->item(0)->text(), QStringLiteral("Hello there, who are you?"));

    // The same question again gives the same answer at temperature 0: the seed and the cache
    // reuse change nothing.
    f.type("Hello there, who are you?");
    QVERIFY(f.waitForAnswer());
    const auto again = stored(f);
    QCOMPARE(again.size(), 4);
    QCOMPARE(again[3].parentId, again[2].id);
}

void TestChat::shiftEnterAddsALine()
{
    ChatFixture& f = mFixture;
    auto* input = f.find<QPlainTextEdit>("chatInput");
    input->setFocus();
    QTest::keyClicks(input, "first line");
    QTest::keyClick(input, Qt::Key_Return, Qt::ShiftModifier);
    QTest::keyClicks(input, "second line");
    QCOMPARE(input->toPlainText(), QStringLiteral("first line\nsecond line"));
    QVERIFY(!f.chat->chatEngine().answering());
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(input->toPlainText().isEmpty());
    QVERIFY(f.waitForAnswer());
    QCOMPARE(stored(f).first().text, QStringLiteral("first line\nsecond line"));
}

void TestChat::stopKeepsWhatWasWritten()
{
    ChatFixture& f = mFixture;
    store::ChatSettings long_ = ui::loadChatDefaults();
    long_.maxTokens = 4000;
    long_.contextLength = 4096;
    long_.temperature = 1.0; // a random model at temperature 1 rarely ends on its own
    ui::saveChatDefaults(long_);
    f.chat->newConversation();

    QSignalSpy pieces(&f.chat->chatEngine(), &ui::ChatEngine::answerText);
    f.type("Tell me a very long story.");
    QVERIFY(QTest::qWaitFor([&] { return pieces.count() >= 3 || !f.chat->chatEngine().answering(); }, 120000));
    QVERIFY2(f.chat->chatEngine().answering(), "the answer ended before it could be stopped");
    QTest::mouseClick(f.find<QPushButton>("sendButton"), Qt::LeftButton);
    QVERIFY(f.waitForAnswer(30000));

    QString streamed;
    for (const QList<QVariant>& args : pieces)
        streamed += args.at(1).toString();
    const auto messages = stored(f);
    QCOMPARE(messages.size(), 2);
    QVERIFY(messages[1].stats.stopped);
    QVERIFY(messages[1].stats.generatedTokens < 4000);
    QCOMPARE(messages[1].text, streamed);
    QVERIFY(f.messages().last()->findChild<QLabel*>("messageStats")->text().contains("stopped"));
}

void TestChat::stopWorksWhileThePromptIsRead()
{
    // A prompt of many batches: the answer says how much of it has been read, and Stop ends it
    // there, before any text (nothing is stored for the answer, no tokens/s is claimed).
    ChatFixture& f = mFixture;
    store::ChatSettings settings = ui::loadChatDefaults();
    settings.contextLength = 4096;
    ui::saveChatDefaults(settings);
    f.chat->newConversation();

    QSignalSpy read(&f.chat->chatEngine(), &ui::ChatEngine::answerPromptProgress);
    QSignalSpy pieces(&f.chat->chatEngine(), &ui::ChatEngine::answerText);
    QString question;
    for (int i = 0; i < 600; ++i)
        question += QStringLiteral("word%1 ").arg(i % 97);
    f.type(question);
    QVERIFY(read.wait(120000));
    auto* streaming = f.chat->findChild<ui::MessageWidget*>("streamingMessage");
    QVERIFY(streaming);
    QTRY_VERIFY(streaming->findChild<QLabel*>("messageStats")->text().startsWith("reading the prompt"));
    QTest::mouseClick(f.find<QPushButton>("sendButton"), Qt::LeftButton); // Stop
    QVERIFY(f.waitForAnswer(30000));
    QCOMPARE(pieces.count(), 0);
    QVERIFY(read.last().at(1).toDouble() < 1.0); // it never heard the whole prompt read
    const auto messages = stored(f);
    QCOMPARE(messages.size(), 1);
    QCOMPARE(messages[0].role, QStringLiteral("user"));
}

void TestChat::regenerateKeepsBothAnswers()
{
    ChatFixture& f = mFixture;
    f.type("Name a colour.");
    QVERIFY(f.waitForAnswer());
    const qint64 first = f.messages().last()->messageId();

    click(f.messages().last(), "regenerateButton");
    QVERIFY(f.waitForAnswer());
    auto shown = f.messages();
    QCOMPARE(shown.size(), 2);
    const qint64 second = shown.last()->messageId();
    QVERIFY(second != first);
    QCOMPARE(branchOf(shown.last()), QStringLiteral("2/2"));
    QCOMPARE(stored(f).size(), 3);

    click(shown.last(), "olderBranchButton");
    shown = f.messages();
    QCOMPARE(shown.last()->messageId(), first);
    QCOMPARE(branchOf(shown.last()), QStringLiteral("1/2"));
    click(shown.last(), "newerBranchButton");
    QCOMPARE(f.messages().last()->messageId(), second);
}

void TestChat::editStartsANewBranch()
{
    ChatFixture& f = mFixture;
    f.type("first question");
    QVERIFY(f.waitForAnswer());
    f.type("a follow-up");
    QVERIFY(f.waitForAnswer());
    QCOMPARE(f.messages().size(), 4);

    // Edit the first question: the conversation continues from there, on a new branch.
    ui::MessageWidget* question = f.messages().first();
    click(question, "editMessageButton");
    auto* editor = question->findChild<QPlainTextEdit*>("messageEditor");
    QVERIFY(editor);
    editor->setPlainText("second question");
    click(question, "sendEditButton");
    QVERIFY(f.waitForAnswer());

    auto shown = f.messages();
    QCOMPARE(shown.size(), 2);
    QCOMPARE(shown[0]->text(), QStringLiteral("second question"));
    QCOMPARE(branchOf(shown[0]), QStringLiteral("2/2"));

    click(shown[0], "olderBranchButton");
    shown = f.messages();
    QCOMPARE(shown.size(), 4); // the old branch with its follow-up, all still there
    QCOMPARE(shown[0]->text(), QStringLiteral("first question"));
    QCOMPARE(shown[2]->text(), QStringLiteral("a follow-up"));
    QCOMPARE(stored(f).size(), 6);
}

void TestChat::searchRenameDeleteUndo()
{
    ChatFixture& f = mFixture;
    f.type("apples are red");
    QVERIFY(f.waitForAnswer());
    f.chat->newConversation();
    f.type("the sky is blue");
    QVERIFY(f.waitForAnswer());

    QListWidget* list = f.conversationList();
    QCOMPARE(list->count(), 2);
    QCOMPARE(list->item(0)->text(), QStringLiteral("the sky is blue")); // newest activity first

    auto* search = f.find<QLineEdit>("conversationSearch");
    QTest::keyClicks(search, "APPLE");
    QTRY_COMPARE(list->count(), 1);
    QCOMPARE(list->item(0)->text(), QStringLiteral("apples are red"));
    search->clear();
    QTRY_COMPARE(list->count(), 2);

    // Rename through the list's editor: a rename is activity, so it moves to the top.
    list->item(1)->setText("Fruit");
    QTRY_COMPARE(list->item(0)->text(), QStringLiteral("Fruit"));
    auto all = store::ChatStore(*f.database).conversations();
    QVERIFY(all.ok());
    QCOMPARE(all.value().first().title, QStringLiteral("Fruit"));

    // Delete with the key, then undo.
    list->setCurrentRow(0);
    list->setFocus();
    QTest::keyClick(list, Qt::Key_Delete);
    QTRY_COMPARE(list->count(), 1);
    QVERIFY(f.find<QWidget>("undoBar")->isVisible());
    QTest::mouseClick(f.find<QPushButton>("undoButton"), Qt::LeftButton);
    QTRY_COMPARE(list->count(), 2);
    QCOMPARE(f.messages().size(), 2); // the restored conversation is on show, answer and all
}

void TestChat::reopenShowsEverything()
{
    ChatFixture& f = mFixture;
    f.type("Remember this.");
    QVERIFY(f.waitForAnswer());
    const QString answer = f.messages().last()->text();
    f.close();

    QVERIFY(f.open(*mEngine));
    QListWidget* list = f.conversationList();
    QCOMPARE(list->count(), 1);
    list->setCurrentRow(0);
    const auto shown = f.messages();
    QCOMPARE(shown.size(), 2);
    QCOMPARE(shown[0]->text(), QStringLiteral("Remember this."));
    QCOMPARE(shown[1]->text(), answer);
}

void TestChat::settingsArePerConversation()
{
    ChatFixture& f = mFixture;
    f.find<QToolButton>("chatSettingsButton")->click();
    QVERIFY(f.find<QWidget>("chatSettingsPanel")->isVisible());
    // Every sampling value says what it does.
    for (const char* name : {"temperatureSpin", "topKSpin", "topPSpin", "minPSpin", "repeatPenaltySpin",
                             "repeatLastNSpin", "maxTokensSpin", "seedSpin", "contextSpin"})
        QVERIFY2(!f.find<QAbstractSpinBox>(name)->toolTip().isEmpty(), name);
    auto* maxTokens = f.find<QSpinBox>("maxTokensSpin");
    QCOMPARE(maxTokens->value(), 12);
    maxTokens->setValue(3);
    f.find<QPlainTextEdit>("systemPromptEdit")->setPlainText("Answer in French.");
    f.type("Bonjour");
    QVERIFY(f.waitForAnswer());
    QVERIFY(stored(f).last().stats.generatedTokens <= 3);
    const qint64 first = f.chat->currentConversation();

    f.chat->newConversation(); // starts from the defaults again
    QCOMPARE(maxTokens->value(), 12);
    QVERIFY(f.find<QPlainTextEdit>("systemPromptEdit")->toPlainText().isEmpty());

    f.chat->openConversation(first);
    QCOMPARE(maxTokens->value(), 3);
    QCOMPARE(f.find<QPlainTextEdit>("systemPromptEdit")->toPlainText(), QStringLiteral("Answer in French."));
    QTRY_VERIFY(store::ChatStore(*f.database).conversation(first).value().settings.maxTokens == 3);

    // An edit made just before leaving the conversation, or closing the window, is kept: it is not
    // waiting for the pause after typing that saves it.
    maxTokens->setValue(5);
    f.chat->newConversation();
    QCOMPARE(store::ChatStore(*f.database).conversation(first).value().settings.maxTokens, 5);
    f.chat->openConversation(first);
    maxTokens->setValue(7);
    f.chat.reset();
    QCOMPARE(store::ChatStore(*f.database).conversation(first).value().settings.maxTokens, 7);
    f.close();
    QVERIFY(f.open(*mEngine));
}

void TestChat::imagePromptLeavesTheChat()
{
    ChatFixture& f = mFixture;
    f.type("a red fox in the snow");
    QVERIFY(f.waitForAnswer());
    QSignalSpy sent(f.chat.get(), &ui::ChatWorkspace::imagePromptRequested);
    click(f.messages().first(), "imagePromptButton");
    QCOMPARE(sent.count(), 1);
    QCOMPARE(sent.first().at(0).toString(), QStringLiteral("a red fox in the snow"));

    ui::CreateWorkspace create(*mEngine);
    create.setPrompt(sent.first().at(0).toString());
    QCOMPARE(create.prompt(), QStringLiteral("a red fox in the snow"));
}

void TestChat::contextOverflowIsShown()
{
    ChatFixture& f = mFixture;
    store::ChatSettings small = ui::loadChatDefaults();
    small.contextLength = 256;
    ui::saveChatDefaults(small);
    f.chat->newConversation();

    const QString longQuestion =
        "Please think about the following list of things and tell me which one is the most important, "
        "and why: rivers, mountains, forests, deserts, oceans, cities, villages, roads, bridges and towers?";
    int dropped = 0;
    for (int turn = 0; turn < 8 && dropped == 0; ++turn) {
        f.type(longQuestion);
        QVERIFY(f.waitForAnswer());
        const auto messages = stored(f);
        QVERIFY2(messages.size() == 2 * (turn + 1), "every turn is answered even after the context overflows");
        dropped = messages.last().stats.droppedMessages;
    }
    QVERIFY2(dropped > 0, "the conversation never outgrew 256 tokens");
    auto* notice = f.messages().last()->findChild<QLabel*>("messageNotice");
    QTRY_VERIFY(notice->isVisible());
    QVERIFY2(notice->text().contains("left out"), qPrintable(notice->text()));
}

void TestChat::preferencesSetTheDefaults()
{
    ChatFixture& f = mFixture;
    ui::PreferencesDialog dialog;
    auto* temperature = dialog.findChild<QDoubleSpinBox*>("temperatureSpin");
    QCOMPARE(temperature->value(), 0.0);
    temperature->setValue(1.25);
    dialog.findChild<QPlainTextEdit*>("systemPromptEdit")->setPlainText("Be brief.");
    dialog.accept();
    QCOMPARE(ui::loadChatDefaults().temperature, 1.25);

    f.chat->newConversation();
    QCOMPARE(f.find<QDoubleSpinBox>("temperatureSpin")->value(), 1.25);
    QCOMPARE(f.find<QPlainTextEdit>("systemPromptEdit")->toPlainText(), QStringLiteral("Be brief."));
}

void TestChat::theWindowOpensReadyToType()
{
    // A new user opens the window and types: the words go into the message box, without a click
    // first, and again after a visit to another workspace.
    mFixture.close();
    ui::MainWindow window(*mEngine);
    window.show();
    QVERIFY(QTest::qWaitForWindowActive(&window));
    QWidget* input = window.findChild<ui::ChatWorkspace*>()->findChild<QWidget*>("chatInput");
    QTRY_COMPARE(QApplication::focusWidget(), input);
    QTest::keyClick(&window, Qt::Key_4, Qt::ControlModifier); // Library
    QVERIFY(QApplication::focusWidget() != input);
    QTest::keyClick(&window, Qt::Key_1, Qt::ControlModifier); // back to Chat
    QTRY_COMPARE(QApplication::focusWidget(), input);
    QTest::keyClicks(QApplication::focusWidget(), "Hello");
    QCOMPARE(static_cast<QPlainTextEdit*>(input)->toPlainText(), QStringLiteral("Hello"));
}

void TestChat::fileMenuExportsTheConversation()
{
    mFixture.close();
    ui::MainWindow window(*mEngine);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* chat = window.findChild<ui::ChatWorkspace*>();
    QTRY_VERIFY(!chat->catalog().scanning() && !chat->catalog().models().isEmpty());
    QMenu* file = window.menuBar()->actions().first()->menu();
    auto* exportConversation = window.findChild<QAction*>("exportConversationAction");
    QVERIFY(file->actions().contains(exportConversation));
    auto openFile = [&] {
        file->popup(window.mapToGlobal(QPoint(10, 10)));
        QTRY_VERIFY(file->isVisible());
        file->hide();
    };
    openFile();
    QVERIFY(!exportConversation->isEnabled()); // nothing said yet

    QWidget* input = chat->findChild<QWidget*>("chatInput");
    input->setFocus();
    QTest::keyClicks(input, "Export me");
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(QTest::qWaitFor([chat] { return !chat->chatEngine().answering() && !chat->chatEngine().loading(); }, 120000));
    openFile();
    QVERIFY(exportConversation->isEnabled());

    // As JSON and as Markdown, by the name given.
    for (const QString& name : {QStringLiteral("exported.json"), QStringLiteral("exported.md")}) {
        const QString target = atelier::paths::dataDir() + "/" + name;
        QFile::remove(target);
        test::answerFileDialog(target);
        exportConversation->trigger();
        QTRY_VERIFY(QFile::exists(target));
        QFile out(target);
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QByteArray bytes = out.readAll();
        QVERIFY2(bytes.contains("Export me"), bytes.constData());
        if (name.endsWith(".json"))
            QVERIFY(QJsonDocument::fromJson(bytes).isObject());
        else
            QVERIFY(bytes.startsWith("#"));
        QFile::remove(target);
    }
}

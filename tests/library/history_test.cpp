// The prompt history: pictures' prompts and users' chat messages, newest first, counted.

#include "tst_library.h"

#include "create/create_workspace.h"
#include "engine/compute_engine.h"
#include "library/library_workspace.h"
#include "main_window.h"
#include "store/chat_store.h"
#include "test_result.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

void TestLibrary::promptHistoryListsAndCounts()
{
    QVERIFY(openDatabase());
    const qint64 t0 = QDateTime::currentMSecsSinceEpoch() - 3600 * 1000;
    addPicture(QStringLiteral("a cat"), QStringLiteral("sd15"), 1, t0);
    addPicture(QStringLiteral("a dog"), QStringLiteral("sd15"), 2, t0 + 1000);
    addPicture(QStringLiteral("a cat"), QStringLiteral("sd15"), 3, t0 + 2000);
    store::ChatStore chats(*mDatabase);
    ASSIGN_OR_FAIL(const store::Conversation chat, chats.createConversation(QStringLiteral("cats"), {}));
    ASSIGN_OR_FAIL(const store::StoredMessage question,
                   chats.addMessage(chat.id, 0, QStringLiteral("user"), QStringLiteral("Describe a cat\nin two lines")));
    ASSIGN_OR_FAIL(const store::StoredMessage answer,
                   chats.addMessage(chat.id, question.id, QStringLiteral("assistant"), QStringLiteral("A cat is...")));
    (void)answer;

    QVERIFY(openWorkspace());
    mLibrary->showPromptHistory();
    auto* list = find<QTreeWidget>("promptHistoryList");
    QTRY_VERIFY(list->isVisible());
    // Newest first: the chat question (just now), then "a cat" (last used t0 + 2 s), then "a dog".
    QCOMPARE(list->topLevelItemCount(), 3);
    QCOMPARE(list->topLevelItem(0)->text(0), QStringLiteral("Describe a cat …"));
    QCOMPARE(list->topLevelItem(0)->text(1), QStringLiteral("Chat"));
    QCOMPARE(list->topLevelItem(1)->text(0), QStringLiteral("a cat"));
    QCOMPARE(list->topLevelItem(1)->text(1), QStringLiteral("Picture"));
    QCOMPARE(list->topLevelItem(1)->text(2), QStringLiteral("2"));
    QCOMPARE(list->topLevelItem(1)->text(3), QLocale().toString(QDateTime::fromMSecsSinceEpoch(t0 + 2000), QLocale::ShortFormat));
    QCOMPARE(list->topLevelItem(2)->text(0), QStringLiteral("a dog"));
    QCOMPARE(list->topLevelItem(2)->text(2), QStringLiteral("1"));

    // Search narrows it; a click sends the prompt back with where it belongs.
    QTest::keyClicks(find<QLineEdit>("promptSearch"), "CAT");
    QTRY_COMPARE(list->topLevelItemCount(), 2);
    QSignalSpy chosen(mLibrary.get(), &ui::LibraryWorkspace::promptChosen);
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->topLevelItem(1)).center());
    QVERIFY(!chosen.isEmpty());
    QCOMPARE(chosen.first().at(0).toString(), QStringLiteral("a cat"));
    QCOMPARE(chosen.first().at(1).toBool(), true);
    chosen.clear();
    QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->topLevelItem(0)).center());
    QVERIFY(!chosen.isEmpty());
    QCOMPARE(chosen.first().at(0).toString(), QStringLiteral("Describe a cat\nin two lines"));
    QCOMPARE(chosen.first().at(1).toBool(), false);

    // A deleted conversation's questions leave the history with it.
    VERIFY_OK(chats.remove(chat.id));
    find<QLineEdit>("promptSearch")->clear();
    QTRY_COMPARE(list->topLevelItemCount(), 2);
}

void TestLibrary::promptHistoryFillsTheRightWorkspace()
{
    QVERIFY(openDatabase());
    addPicture(QStringLiteral("a lighthouse in fog"), QStringLiteral("sd15"), 1);
    store::ChatStore chats(*mDatabase);
    ASSIGN_OR_FAIL(const store::Conversation chat, chats.createConversation(QStringLiteral("ideas"), {}));
    VERIFY_OK(chats.addMessage(chat.id, 0, QStringLiteral("user"), QStringLiteral("Suggest three painting subjects")));
    closeAll();

    engine::ComputeEngine engine; // never started: nothing here needs the GPU
    ui::MainWindow window(engine);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* library = window.findChild<ui::LibraryWorkspace*>();
    window.findChild<QAction*>(QStringLiteral("libraryAction"))->trigger();
    library->showPromptHistory();
    auto* list = library->findChild<QTreeWidget*>(QStringLiteral("promptHistoryList"));
    QTRY_COMPARE(list->topLevelItemCount(), 2);
    const auto clickItem = [list](int row) {
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, list->visualItemRect(list->topLevelItem(row)).center());
    };

    clickItem(0); // the chat question, the newest
    auto* input = window.findChild<QPlainTextEdit*>(QStringLiteral("chatInput"));
    QCOMPARE(input->toPlainText(), QStringLiteral("Suggest three painting subjects"));
    QVERIFY(input->isVisible());

    window.findChild<QAction*>(QStringLiteral("libraryAction"))->trigger();
    QTRY_VERIFY(list->isVisible());
    clickItem(1); // the picture's prompt
    auto* create = window.findChild<ui::CreateWorkspace*>();
    QCOMPARE(create->prompt(), QStringLiteral("a lighthouse in fog"));
    QVERIFY(create->isVisible());
}

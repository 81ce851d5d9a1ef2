#pragma once

#include "chat/chat_workspace.h"
#include "engine/compute_engine.h"
#include "store/database.h"

#include <QObject>
#include <QString>

#include <memory>

class QListWidget;

namespace atelier::ui {
class MessageWidget;
}

// One chat as a user meets it: the workspace on a fresh database file, sharing the test's engine.
struct ChatFixture {
    std::unique_ptr<atelier::store::Database> database;
    std::unique_ptr<atelier::ui::ChatWorkspace> chat;

    bool open(atelier::engine::ComputeEngine& engine); // shows the window; false when it could not
    void close();                                      // the workspace, then the database

    void type(const QString& text);          // into the input, then Enter
    bool waitForAnswer(int timeoutMs = 120000);
    QList<atelier::ui::MessageWidget*> messages() const; // on show, in order
    QListWidget* conversationList() const;
    template <typename T>
    T* find(const char* name) const { return chat->findChild<T*>(QString::fromLatin1(name)); }
};

class TestChat : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    // conversation_test.cpp
    void sendStreamsAndStores();
    void shiftEnterAddsALine();
    void stopKeepsWhatWasWritten();
    void stopWorksWhileThePromptIsRead();
    void regenerateKeepsBothAnswers();
    void editStartsANewBranch();
    void searchRenameDeleteUndo();
    void reopenShowsEverything();
    void settingsArePerConversation();
    void contextOverflowIsShown();
    void preferencesSetTheDefaults();
    void imagePromptLeavesTheChat();
    void fileMenuExportsTheConversation();
    void theWindowOpensReadyToType();

    // lora_settings_test.cpp
    void loraAdaptersArePerConversation();

    // markdown_test.cpp
    void splitMarkdown_data();
    void splitMarkdown();
    void codeBlocksCopy();
    void proseRendersMarkdown();
    void messagesFitTheirContent();

    // robustness_test.cpp
    void brokenModelIsReported();
    void baseModelSaysItAnswersOneLine();
    void damagedDatabaseIsReported();
    void killedMidAnswerKeepsTheQuestion();

private:
    atelier::engine::ComputeEngine* mEngine = nullptr;
    ChatFixture mFixture;
};

// The child half of killedMidAnswerKeepsTheQuestion: asks a question, prints "streaming" once the
// answer starts, then waits to be killed.
int runVictim();

#pragma once
// The Chat workspace: conversations at the side, the one on show with its model bar and settings,
// and the input. Every finished message goes to the database the moment it exists; answers are
// written on the compute thread and stream in without the UI ever waiting for them.

#include "store/chat_store.h"
#include "store/message_tree.h"
#include "docs/collection.h"

#include <QWidget>

#include <memory>
#include <vector>

class QAction;
class QStackedWidget;
class QTimer;

namespace atelier::engine {
class ComputeEngine;
}
namespace atelier::store {
class Database;
}

namespace atelier::ui {

class ChatEngine;
class ChatInput;
class ChatSettingsForm;
class ConversationList;
class EmptyState;
class MessageView;
class ModelCatalog;
class ModelPicker;
class SourceFinder;
struct ChatAnswer;
struct ChatRequest;

class ChatWorkspace : public QWidget {
    Q_OBJECT
public:
    // `database` may be null when it could not be opened; `databaseError` then says why and the
    // workspace shows it instead of an empty history.
    ChatWorkspace(engine::ComputeEngine& engine, store::Database* database, const QString& databaseError,
                  QWidget* parent = nullptr);
    ~ChatWorkspace() override;

    qint64 currentConversation() const { return mConversation.id; }
    ChatEngine& chatEngine() { return *mEngine; }
    ModelCatalog& catalog() { return *mCatalog; }

public slots:
    void newConversation();
    void openConversation(qint64 id);
    void send(const QString& text, const QStringList& pictures = {});
    // A new conversation with this picture file attached to its question (the Library's "Ask about
    // this picture").
    void askAboutPicture(const QString& path);
    void stop();
    // Asks where, then writes the conversation's branch on show as Markdown or JSON (by the file
    // name or the filter chosen).
    void exportConversation(qint64 id);

signals:
    void imagePromptRequested(const QString& text);

protected:
    void showEvent(QShowEvent* event) override; // models added meanwhile show up

private:
    void buildChatPage();
    void updatePage();
    void reloadList();
    void updateTools(); // the toolbar's actions follow the conversation on show
    void showCurrent(bool reload = true); // reload: read the messages from the store first
    void startAnswer(qint64 questionId);
    void sendRequest(const ChatRequest& request);
    bool answering() const; // an answer is written, or its documents' sources are still being found
    void answerFinished(const ChatRequest& request, const ChatAnswer& answer);
    void answerFailed(const ChatRequest& request, const QString& message);
    void setAnswering(bool answering);
    void regenerate(qint64 assistantId);
    void editQuestion(qint64 userId, const QString& text);
    void flipBranch(qint64 messageId, int step);
    void removeConversation(qint64 id);
    void undoRemove();
    void renameConversation(qint64 id, const QString& title);
    void settingsEdited();
    void saveSettingsNow(); // what the settings form holds, without waiting for the next edit's pause
    void chooseModel(const QString& path);
    void loadCurrentModel();
    QString modelFor(const store::ChatSettings& settings) const;
    QString authorName(const QString& modelFile) const;
    void showStoreError(const Error& error);

    std::unique_ptr<store::ChatStore> mStore; // null without a database
    QString mDatabaseError;
    ChatEngine* mEngine = nullptr;
    ModelCatalog* mCatalog = nullptr;

    store::Conversation mConversation; // id 0: a new conversation not saved until its first message
    store::MessageTree mTree{{}};
    qint64 mRemovedId = 0; // the conversation the Undo bar would bring back
    QString mStreamed;     // the answer being written, for when its conversation is shown again
    store::Database* mDocumentsDb = nullptr; // where the document collections are (docs/)
    std::vector<docs::Hit> mSources;         // the chunks the running answer was given, [1]..[n]
    QString mSourcesNote;                    // why they were found by keywords alone, when a model was chosen
    SourceFinder* mFinder = nullptr;         // null without a database
    qint64 mFindingFor = 0;                  // the conversation whose sources are being found

    QStackedWidget* mPages = nullptr;
    EmptyState* mNoModels = nullptr;
    QWidget* mChatPage = nullptr;
    ConversationList* mList = nullptr;
    ModelPicker* mPicker = nullptr;
    QAction* mExportAction = nullptr; // the toolbar's Export… (File > Export Conversation… too)
    MessageView* mView = nullptr;
    ChatInput* mInput = nullptr;
    ChatSettingsForm* mSettings = nullptr;
    QWidget* mSettingsPanel = nullptr;
    QTimer* mSaveSettings = nullptr;
    QTimer* mSearchDelay = nullptr;
};

} // namespace atelier::ui

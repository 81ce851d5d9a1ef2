#pragma once
// The conversation on show: the messages of the current branch, then the answer being written.
// Follows the newest text while the reader is at the bottom and stays put when they scrolled up.

#include "store/chat_store.h"
#include "store/message_tree.h"

#include <QElapsedTimer>
#include <QScrollArea>

#include <functional>

class QLabel;
class QPushButton;
class QVBoxLayout;

namespace atelier::ui {

class MessageWidget;

class MessageView : public QScrollArea {
    Q_OBJECT
public:
    explicit MessageView(QWidget* parent = nullptr);

    // How an answer's author is shown, from the model file that wrote it.
    using AuthorName = std::function<QString(const QString& modelFile)>;
    // `path`: the branch on show, first message first; `tree` tells how many versions each has.
    void showMessages(const QList<store::StoredMessage>& path, const store::MessageTree& tree,
                      const AuthorName& authorName);
    void setPlaceholder(const QString& text); // shown while there are no messages
    void setActionsEnabled(bool enabled);

    void beginAnswer(const QString& author);
    // The streaming answer reads "Reading your message… N%" until its first text.
    void showPromptProgress(double fraction);
    void appendAnswer(const QString& piece);
    void endAnswer();

    // A failed answer: the reason and a Retry button (empty text hides it).
    void showError(const QString& message);

    QList<MessageWidget*> messageWidgets() const { return mMessages; }

signals:
    void editSubmitted(qint64 messageId, const QString& text);
    void regenerateRequested(qint64 messageId);
    void branchRequested(qint64 messageId, int step);
    void imagePromptRequested(const QString& text);
    void retryRequested();

private:
    void clearMessages();
    void renderStreaming();
    void followIfAtBottom();

    QWidget* mContent = nullptr;
    QVBoxLayout* mLayout = nullptr;
    QLabel* mPlaceholder = nullptr;
    QWidget* mErrorBar = nullptr;
    QLabel* mError = nullptr;
    QList<MessageWidget*> mMessages;
    MessageWidget* mStreaming = nullptr;
    QString mStreamingText;
    QElapsedTimer mSinceRender;
    bool mRenderQueued = false;
    bool mFollow = true;
    bool mActionsEnabled = true;
};

} // namespace atelier::ui

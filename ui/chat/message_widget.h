#pragma once
// One message in the conversation view: who wrote it, its pictures (thumbnails that open larger), its text, the figures under an answer, and
// what can be done with it (copy, edit a question, regenerate an answer, flip between branches,
// send it to Create as an image prompt).

#include "store/chat_store.h"

#include <QFrame>

class QHBoxLayout;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QToolButton;

namespace atelier::ui {

class MessageBody;
class PictureStrip;

// Where a message stands among its siblings (the versions of the same turn).
struct MessageBranch {
    int index = 1; // 1-based
    int count = 1;
};

class MessageWidget : public QFrame {
    Q_OBJECT
public:
    MessageWidget(const QString& role, const QString& author, QWidget* parent = nullptr);

    void setMessage(const store::StoredMessage& message, MessageBranch branch);
    // The answer being written: its text so far, no actions.
    // Before the first text: how much of the prompt has been read (0..1).
    void setPromptProgress(double fraction);
    void setStreaming(const QString& text);
    void setNotice(const QString& text); // e.g. that old turns no longer fit the context
    // Edit, regenerate and branch flips are off while an answer is being written.
    void setActionsEnabled(bool enabled);
    void setCanRegenerate(bool can);

    qint64 messageId() const { return mMessage.id; }
    QString text() const;
    void startEditing();

signals:
    void editSubmitted(qint64 messageId, const QString& text);
    void regenerateRequested(qint64 messageId);
    void branchRequested(qint64 messageId, int step); // -1: older version, +1: newer
    void imagePromptRequested(const QString& text);

private:
    QToolButton* addAction(const QString& name, const QString& text, const QString& tip);
    void finishEditing(bool submit);
    void copy();
    QString statsText() const;

    QString mRole;
    store::StoredMessage mMessage;
    MessageBranch mBranch;
    bool mActionsEnabled = true;
    bool mCanRegenerate = false;

    QLabel* mAuthor = nullptr;
    QToolButton* mOlder = nullptr;
    QLabel* mBranchLabel = nullptr;
    QToolButton* mNewer = nullptr;
    PictureStrip* mPictures = nullptr; // a question's pictures, above its text
    MessageBody* mBody = nullptr;
    QPlainTextEdit* mEditor = nullptr;
    QWidget* mEditButtons = nullptr;
    QLabel* mNotice = nullptr;
    QLabel* mStats = nullptr;
    QHBoxLayout* mActions = nullptr;
    QToolButton* mCopy = nullptr;
    QToolButton* mEdit = nullptr;
    QToolButton* mRegenerate = nullptr;
    QToolButton* mImagePrompt = nullptr;
};

} // namespace atelier::ui

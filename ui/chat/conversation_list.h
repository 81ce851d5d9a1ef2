#pragma once
// The conversations at the side of the Chat workspace: search by title and content, newest
// activity first, new / rename / delete (with an Undo bar) / export from the context menu.

#include "store/chat_store.h"

#include <QWidget>

class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QTimer;
class QToolButton;

namespace atelier::ui {

class ConversationList : public QWidget {
    Q_OBJECT
public:
    explicit ConversationList(QWidget* parent = nullptr);

    void setConversations(const QList<store::Conversation>& conversations, qint64 currentId);
    QString filter() const;
    // "Conversation deleted" with an Undo button, for a while.
    void offerUndo(const QString& text);
    void hideUndo();
    void startRename(qint64 id);

signals:
    void newRequested();
    void selected(qint64 id);
    void renameRequested(qint64 id, const QString& title);
    void deleteRequested(qint64 id);
    void exportRequested(qint64 id);
    void filterChanged(const QString& text);
    void undoRequested();

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void showMenu(const QPoint& at);
    qint64 idOf(const QListWidgetItem* item) const;

    QLineEdit* mSearch = nullptr;
    QToolButton* mNew = nullptr;
    QListWidget* mList = nullptr;
    QWidget* mUndoBar = nullptr;
    QLabel* mUndoText = nullptr;
    QTimer* mUndoTimer = nullptr;
    bool mFilling = false;
};

} // namespace atelier::ui

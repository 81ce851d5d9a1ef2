#pragma once
// Every prompt the user wrote, for pictures and in chats, last used first, with how often and
// when; searchable. Choosing one sends it back to the workspace it came from.

#include <QWidget>

class QLineEdit;
class QTimer;
class QTreeWidget;
class QTreeWidgetItem;

namespace atelier::store {
class PictureStore;
}

namespace atelier::ui {

class PromptHistory : public QWidget {
    Q_OBJECT
public:
    static constexpr int kLimit = 1000; // the most recent prompts listed

    // `store` may be null (no database): the list stays empty.
    explicit PromptHistory(store::PictureStore* store, QWidget* parent = nullptr);

    void refresh(); // reads the history again

signals:
    void promptChosen(const QString& text, bool image);
    void storeError(const QString& message);

protected:
    void showEvent(QShowEvent* event) override; // what was written meanwhile shows up

private:
    void choose(QTreeWidgetItem* item);

    store::PictureStore* mStore = nullptr;
    QLineEdit* mSearch = nullptr;
    QTreeWidget* mList = nullptr;
    QTimer* mTyping = nullptr;
};

} // namespace atelier::ui

#pragma once
// The Create workspace. Until prompt-to-image lands it shows which checkpoints are in the models folder.

#include <QWidget>

class QLabel;

namespace atelier::ui {

class CreateWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit CreateWorkspace(QWidget* parent = nullptr);

    // A prompt sent from elsewhere (a chat message); kept for the picture that will be made from it.
    void setPrompt(const QString& prompt);
    QString prompt() const { return mPrompt; }

private:
    QString mPrompt;
    QLabel* mPromptLabel = nullptr;
};

} // namespace atelier::ui

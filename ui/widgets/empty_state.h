#pragma once
// The honest face of a workspace whose feature needs something the user has not provided yet.

#include <QStringList>
#include <QWidget>

class QLabel;
class QPushButton;

namespace atelier::ui {

// The files a workspace waits for, and how to speak of them.
struct AwaitedFiles {
    QString folder;
    QStringList nameFilters; // {"*.gguf"}
    QString singular;        // "model"
    QString plural;          // "models"
    QString whenMissing;     // the sentence shown while no file matches
};

// Icon, heading, what the workspace does, then what the folder holds right now (listed again each
// time the state is shown or its window is activated) and a button that opens the folder. While a
// language-model folder is empty it also names the command that fetches the default model.
class EmptyState : public QWidget {
    Q_OBJECT
public:
    EmptyState(const QString& iconPath, const QString& heading, const QString& summary,
               const AwaitedFiles& files, const QString& buttonText, QWidget* parent = nullptr);

    void refresh();

protected:
    bool event(QEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void updateIcon();
    void openFolderClicked();

    QString mIconPath;
    AwaitedFiles mFiles;
    QLabel* mIcon = nullptr;
    QLabel* mDetail = nullptr;
    QLabel* mDefaults = nullptr;
    QLabel* mError = nullptr;
    QPushButton* mButton = nullptr;
};

} // namespace atelier::ui

#pragma once
// Where the user writes: Enter sends, Shift+Enter starts a new line. While an answer is being
// written the Send button becomes Stop.

#include <QPlainTextEdit>
#include <QWidget>

class QPushButton;

namespace atelier::ui {

// Keeps `edit` as tall as its text (wrapped lines counted), between minLines and maxLines; past
// that it scrolls. Follows every change of the text and of the width.
void fitHeightToText(QPlainTextEdit* edit, int minLines, int maxLines);

class PromptEdit : public QPlainTextEdit {
    Q_OBJECT
public:
    explicit PromptEdit(QWidget* parent = nullptr);
    QSize sizeHint() const override;

signals:
    void submitted();

protected:
    void keyPressEvent(QKeyEvent* event) override;
};

class ChatInput : public QWidget {
    Q_OBJECT
public:
    explicit ChatInput(QWidget* parent = nullptr);

    void setAnswering(bool answering);
    void setText(const QString& text);
    QString text() const;
    void focusInput();

signals:
    void sendRequested(const QString& text);
    void stopRequested();

private:
    void submit();

    PromptEdit* mEdit = nullptr;
    QPushButton* mButton = nullptr;
    bool mAnswering = false;
};

} // namespace atelier::ui

#pragma once
// A fenced code block in a message: monospace, scrolls sideways instead of wrapping, and a button
// that copies the code.

#include <QFrame>

class QLabel;
class QScrollArea;
class QToolButton;

namespace atelier::ui {

class CodeBlock : public QFrame {
    Q_OBJECT
public:
    explicit CodeBlock(QWidget* parent = nullptr);

    void setCode(const QString& code, const QString& language);
    QString code() const { return mCode; }

protected:
    void resizeEvent(QResizeEvent* event) override; // a wider view may no longer need the scroll bar

private:
    void copy();
    void fitHeight();

    QString mCode;
    QLabel* mLanguage = nullptr;
    QToolButton* mCopy = nullptr;
    QLabel* mText = nullptr;
    QScrollArea* mScroll = nullptr;
};

} // namespace atelier::ui

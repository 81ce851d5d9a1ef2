#include "chat/chat_input.h"

#include <QAbstractTextDocumentLayout>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QPushButton>

#include <cmath>

namespace atelier::ui {

void fitHeightToText(QPlainTextEdit* edit, int minLines, int maxLines)
{
    edit->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    edit->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff); // wrapped: a bar would only eat a line
    auto fit = [edit, minLines, maxLines] {
        // QPlainTextEdit's document layout measures its height in lines, wrapped ones included.
        const int lines = qBound(minLines, int(std::ceil(edit->document()->size().height())), maxLines);
        const QMargins margins = edit->contentsMargins();
        const int height = lines * edit->fontMetrics().lineSpacing() + 2 * int(edit->document()->documentMargin()) +
                           2 * edit->frameWidth() + margins.top() + margins.bottom() + 2;
        edit->setFixedHeight(height);
    };
    QObject::connect(edit->document()->documentLayout(), &QAbstractTextDocumentLayout::documentSizeChanged, edit, fit);
    fit();
}

PromptEdit::PromptEdit(QWidget* parent) : QPlainTextEdit(parent)
{
    setObjectName("chatInput");
    setPlaceholderText(tr("Write a message… (Enter sends, Shift+Enter adds a line)"));
    setTabChangesFocus(true);
}

QSize PromptEdit::sizeHint() const
{
    const QSize base = QPlainTextEdit::sizeHint();
    return {base.width(), fontMetrics().lineSpacing() * 3 + 16};
}

void PromptEdit::keyPressEvent(QKeyEvent* event)
{
    const bool enter = event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter;
    if (enter && !(event->modifiers() & Qt::ShiftModifier)) {
        emit submitted();
        event->accept();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

ChatInput::ChatInput(QWidget* parent) : QWidget(parent), mEdit(new PromptEdit(this)), mButton(new QPushButton(this))
{
    mButton->setObjectName("sendButton");
    connect(mEdit, &PromptEdit::submitted, this, &ChatInput::submit);
    connect(mButton, &QPushButton::clicked, this, [this] {
        if (mAnswering)
            emit stopRequested();
        else
            submit();
    });
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 10);
    layout->addWidget(mEdit, 1);
    layout->addWidget(mButton, 0, Qt::AlignBottom);
    setAnswering(false);
    fitHeightToText(mEdit, 2, 8); // grows with the text up to eight lines, then scrolls
}

void ChatInput::setAnswering(bool answering)
{
    mAnswering = answering;
    mButton->setText(answering ? tr("Stop") : tr("Send"));
    mButton->setToolTip(answering ? tr("Stop the answer here, keeping what it wrote") : tr("Send (Enter)"));
}

void ChatInput::setText(const QString& text) { mEdit->setPlainText(text); }
QString ChatInput::text() const { return mEdit->toPlainText(); }
void ChatInput::focusInput() { mEdit->setFocus(); }

void ChatInput::submit()
{
    // Enter while an answer is written does nothing: the text stays for when it is done.
    const QString text = mEdit->toPlainText();
    if (mAnswering || text.trimmed().isEmpty())
        return;
    mEdit->clear();
    emit sendRequested(text);
}


} // namespace atelier::ui

#include "chat/message_widget.h"

#include "chat/chat_input.h"
#include "chat/message_body.h"
#include "chat/picture_strip.h"

#include <QApplication>
#include <QClipboard>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <algorithm>

namespace atelier::ui {

MessageWidget::MessageWidget(const QString& role, const QString& author, QWidget* parent)
    : QFrame(parent)
    , mRole(role)
    , mAuthor(new QLabel(author, this))
    , mOlder(new QToolButton(this))
    , mBranchLabel(new QLabel(this))
    , mNewer(new QToolButton(this))
    , mPictures(new PictureStrip(96, false, this))
    , mBody(new MessageBody(this))
    , mNotice(new QLabel(this))
    , mStats(new QLabel(this))
{
    setObjectName(role == QLatin1String("user") ? "userMessage" : "assistantMessage");
    setFrameShape(QFrame::NoFrame);
    if (role == QLatin1String("user")) {
        setBackgroundRole(QPalette::AlternateBase);
        setAutoFillBackground(true);
    }
    QFont bold = mAuthor->font();
    bold.setBold(true);
    mAuthor->setFont(bold);
    mAuthor->setObjectName("messageAuthor");

    mOlder->setObjectName("olderBranchButton");
    mOlder->setText(QStringLiteral("‹"));
    mOlder->setToolTip(tr("Show the previous version"));
    mOlder->setAutoRaise(true);
    mNewer->setObjectName("newerBranchButton");
    mNewer->setText(QStringLiteral("›"));
    mNewer->setToolTip(tr("Show the next version"));
    mNewer->setAutoRaise(true);
    mBranchLabel->setObjectName("branchLabel");
    connect(mOlder, &QToolButton::clicked, this, [this] { emit branchRequested(mMessage.id, -1); });
    connect(mNewer, &QToolButton::clicked, this, [this] { emit branchRequested(mMessage.id, +1); });

    auto* header = new QHBoxLayout;
    header->addWidget(mAuthor);
    header->addStretch(1);
    header->addWidget(mOlder);
    header->addWidget(mBranchLabel);
    header->addWidget(mNewer);

    mNotice->setObjectName("messageNotice");
    mNotice->setWordWrap(true);
    mNotice->setForegroundRole(QPalette::PlaceholderText);
    mNotice->hide();
    mStats->setObjectName("messageStats");
    mStats->setForegroundRole(QPalette::PlaceholderText);

    mActions = new QHBoxLayout;
    mActions->addWidget(mStats);
    mActions->addStretch(1);
    mCopy = addAction("copyMessageButton", tr("Copy"), tr("Copy the whole message"));
    mEdit = addAction("editMessageButton", tr("Edit"), tr("Edit this question and send it again"));
    mRegenerate = addAction("regenerateButton", tr("Regenerate"), tr("Write this answer again"));
    mImagePrompt = addAction("imagePromptButton", tr("Use as image prompt"), tr("Send this text to Create"));
    connect(mCopy, &QToolButton::clicked, this, &MessageWidget::copy);
    connect(mEdit, &QToolButton::clicked, this, &MessageWidget::startEditing);
    connect(mRegenerate, &QToolButton::clicked, this, [this] { emit regenerateRequested(mMessage.id); });
    connect(mImagePrompt, &QToolButton::clicked, this, [this] { emit imagePromptRequested(text()); });

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(16, 10, 16, 6);
    layout->setSpacing(6);
    layout->addLayout(header);
    layout->addWidget(mPictures);
    layout->addWidget(mBody);
    layout->addWidget(mNotice);
    layout->addLayout(mActions);
    setMessage({}, {});
}

QToolButton* MessageWidget::addAction(const QString& name, const QString& text, const QString& tip)
{
    auto* button = new QToolButton(this);
    button->setObjectName(name);
    button->setText(text);
    button->setToolTip(tip);
    button->setAutoRaise(true);
    mActions->addWidget(button);
    return button;
}

void MessageWidget::setMessage(const store::StoredMessage& message, MessageBranch branch)
{
    mMessage = message;
    mBranch = branch;
    mPictures->setPictures(message.pictures);
    mBody->setMarkdown(message.text);
    mStats->setText(statsText());
    mBranchLabel->setText(QStringLiteral("%1/%2").arg(branch.index).arg(branch.count));
    const bool branches = branch.count > 1;
    mOlder->setVisible(branches);
    mBranchLabel->setVisible(branches);
    mNewer->setVisible(branches);
    setActionsEnabled(mActionsEnabled);
}

void MessageWidget::setStreaming(const QString& text)
{
    mBody->setMarkdown(text.isEmpty() ? tr("*Thinking…*") : text);
    mStats->setText(tr("writing…"));
    for (QToolButton* b : {mCopy, mEdit, mRegenerate, mImagePrompt, mOlder, mNewer})
        b->hide();
    mBranchLabel->hide();
}

void MessageWidget::setPromptProgress(double fraction)
{
    mBody->setMarkdown(tr("*Reading your message…*"));
    mStats->setText(tr("reading the prompt: %1%").arg(qRound(100.0 * std::clamp(fraction, 0.0, 1.0))));
}

void MessageWidget::setNotice(const QString& text)
{
    mNotice->setText(text);
    mNotice->setVisible(!text.isEmpty());
}

void MessageWidget::setActionsEnabled(bool enabled)
{
    mActionsEnabled = enabled;
    const bool stored = mMessage.id != 0;
    const bool user = mRole == QLatin1String("user");
    mCopy->setVisible(stored);
    mImagePrompt->setVisible(stored);
    mEdit->setVisible(stored && user);
    mRegenerate->setVisible(stored && !user && mCanRegenerate);
    mEdit->setEnabled(enabled);
    mRegenerate->setEnabled(enabled);
    mOlder->setEnabled(enabled && mBranch.index > 1);
    mNewer->setEnabled(enabled && mBranch.index < mBranch.count);
}

void MessageWidget::setCanRegenerate(bool can)
{
    mCanRegenerate = can;
    setActionsEnabled(mActionsEnabled);
}

QString MessageWidget::text() const { return mMessage.text; }

QString MessageWidget::statsText() const
{
    const store::MessageStats& s = mMessage.stats;
    if (mRole == QLatin1String("user") || s.generatedTokens == 0) {
        if (!mMessage.created.isValid())
            return {};
        return QLocale().toString(mMessage.created.toLocalTime().time(), QStringLiteral("HH:mm"));
    }
    QStringList parts;
    if (s.promptTokens > 0) // what the model read, pictures' places included
        parts << tr("prompt %1 tokens").arg(s.promptTokens);
    parts << (s.generatedTokens == 1 ? tr("1 token") : tr("%1 tokens").arg(s.generatedTokens));
    if (s.tokensPerSecond > 0)
        parts << tr("%1 tokens/s").arg(s.tokensPerSecond, 0, 'f', 1);
    parts << tr("%1 s to first token").arg(s.firstTokenSeconds, 0, 'f', 2);
    if (s.stopped)
        parts << tr("stopped");
    return parts.join(QStringLiteral(" · "));
}

void MessageWidget::copy()
{
    QApplication::clipboard()->setText(mMessage.text);
    mCopy->setText(tr("Copied"));
    QTimer::singleShot(1500, mCopy, [b = mCopy] { b->setText(tr("Copy")); });
}

void MessageWidget::startEditing()
{
    if (mEditor || mRole != QLatin1String("user"))
        return;
    mEditor = new QPlainTextEdit(this);
    mEditor->setObjectName("messageEditor");
    mEditor->setPlainText(mMessage.text);
    mEditor->setTabChangesFocus(true);
    fitHeightToText(mEditor, 1, 12); // one line for a one-line question, not the default 190 pixels
    mEditButtons = new QWidget(this);
    auto* send = new QPushButton(tr("Send"), mEditButtons);
    send->setObjectName("sendEditButton");
    send->setDefault(true);
    auto* cancel = new QPushButton(tr("Cancel"), mEditButtons);
    cancel->setObjectName("cancelEditButton");
    auto* buttons = new QHBoxLayout(mEditButtons);
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addStretch(1);
    buttons->addWidget(cancel);
    buttons->addWidget(send);
    connect(send, &QPushButton::clicked, this, [this] { finishEditing(true); });
    connect(cancel, &QPushButton::clicked, this, [this] { finishEditing(false); });
    auto* layout = static_cast<QVBoxLayout*>(this->layout());
    const int at = layout->indexOf(mBody);
    layout->insertWidget(at + 1, mEditor);
    layout->insertWidget(at + 2, mEditButtons);
    mBody->hide();
    mEditor->setFocus();
}

void MessageWidget::finishEditing(bool submit)
{
    if (!mEditor)
        return;
    const QString edited = mEditor->toPlainText();
    mEditor->deleteLater();
    mEditButtons->deleteLater();
    mEditor = nullptr;
    mEditButtons = nullptr;
    mBody->show();
    if (submit && !edited.trimmed().isEmpty() && edited != mMessage.text)
        emit editSubmitted(mMessage.id, edited);
}

} // namespace atelier::ui

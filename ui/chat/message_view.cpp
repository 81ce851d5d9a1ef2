#include "chat/message_view.h"

#include "chat/message_widget.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QTimer>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {
constexpr int kRenderIntervalMs = 40; // re-render streamed Markdown at most 25 times a second
constexpr int kBottomSlack = 48;      // pixels from the bottom that still count as "at the bottom"
} // namespace

MessageView::MessageView(QWidget* parent)
    : QScrollArea(parent), mContent(new QWidget(this)), mLayout(new QVBoxLayout(mContent)), mPlaceholder(new QLabel(this))
{
    setObjectName("messageView");
    setWidgetResizable(true);
    setFrameShape(QFrame::NoFrame);
    setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    mContent->setObjectName("messageViewContent");
    mLayout->setContentsMargins(0, 8, 0, 8);
    mLayout->setSpacing(4);

    mPlaceholder->setObjectName("messagePlaceholder");
    mPlaceholder->setAlignment(Qt::AlignCenter);
    mPlaceholder->setWordWrap(true);
    mPlaceholder->setForegroundRole(QPalette::PlaceholderText);
    mLayout->addWidget(mPlaceholder, 1);

    mErrorBar = new QWidget(mContent);
    mErrorBar->setObjectName("answerErrorBar");
    mError = new QLabel(mErrorBar);
    mError->setObjectName("answerError");
    mError->setWordWrap(true);
    mError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto* retry = new QPushButton(tr("Retry"), mErrorBar);
    retry->setObjectName("retryButton");
    connect(retry, &QPushButton::clicked, this, &MessageView::retryRequested);
    auto* errorLayout = new QHBoxLayout(mErrorBar);
    errorLayout->setContentsMargins(16, 4, 16, 4);
    errorLayout->addWidget(mError, 1);
    errorLayout->addWidget(retry);
    mErrorBar->hide();
    mLayout->addWidget(mErrorBar);
    mLayout->addStretch(1); // extra height goes below the messages, never into them
    setWidget(mContent);

    // Keep following the newest text only while the reader has not scrolled away from it.
    connect(verticalScrollBar(), &QScrollBar::valueChanged, this, [this](int value) {
        mFollow = value >= verticalScrollBar()->maximum() - kBottomSlack;
    });
    connect(verticalScrollBar(), &QScrollBar::rangeChanged, this, [this] { followIfAtBottom(); });
}

void MessageView::clearMessages()
{
    for (MessageWidget* w : std::as_const(mMessages)) {
        mLayout->removeWidget(w);
        w->deleteLater();
    }
    mMessages.clear();
}

void MessageView::showMessages(const QList<store::StoredMessage>& path, const store::MessageTree& tree,
                               const AuthorName& authorName)
{
    clearMessages();
    int at = mLayout->indexOf(mErrorBar);
    for (const store::StoredMessage& m : path) {
        const bool user = m.role == QLatin1String("user");
        auto* w = new MessageWidget(m.role, user ? tr("You") : authorName(m.stats.model), mContent);
        const QList<qint64> siblings = tree.siblings(m.id);
        w->setCanRegenerate(!user);
        w->setMessage(m, {int(siblings.indexOf(m.id)) + 1, int(siblings.size())});
        if (m.stats.droppedMessages > 0)
            w->setNotice(tr("The conversation no longer fits the context: the %n oldest message(s) were left "
                            "out when this answer was written.", nullptr, m.stats.droppedMessages));
        w->setActionsEnabled(mActionsEnabled);
        connect(w, &MessageWidget::editSubmitted, this, &MessageView::editSubmitted);
        connect(w, &MessageWidget::regenerateRequested, this, &MessageView::regenerateRequested);
        connect(w, &MessageWidget::branchRequested, this, &MessageView::branchRequested);
        connect(w, &MessageWidget::imagePromptRequested, this, &MessageView::imagePromptRequested);
        mLayout->insertWidget(at++, w);
        mMessages.append(w);
    }
    mPlaceholder->setVisible(path.isEmpty() && !mStreaming);
    mFollow = true;
}

void MessageView::setPlaceholder(const QString& text) { mPlaceholder->setText(text); }

void MessageView::setActionsEnabled(bool enabled)
{
    mActionsEnabled = enabled;
    for (MessageWidget* w : std::as_const(mMessages))
        w->setActionsEnabled(enabled);
}

void MessageView::beginAnswer(const QString& author)
{
    endAnswer();
    showError({});
    mStreamingText.clear();
    mStreaming = new MessageWidget(QStringLiteral("assistant"), author, mContent);
    mStreaming->setObjectName("streamingMessage");
    mStreaming->setStreaming({});
    mLayout->insertWidget(mLayout->indexOf(mErrorBar), mStreaming);
    mPlaceholder->hide();
    mFollow = true;
    mSinceRender.start();
}

void MessageView::appendAnswer(const QString& piece)
{
    if (!mStreaming)
        return;
    mStreamingText += piece;
    // Rendering Markdown for every token would cost more than writing it; coalesce.
    if (mSinceRender.elapsed() >= kRenderIntervalMs) {
        renderStreaming();
    } else if (!mRenderQueued) {
        mRenderQueued = true;
        QTimer::singleShot(kRenderIntervalMs, this, [this] {
            mRenderQueued = false;
            renderStreaming();
        });
    }
}

void MessageView::showPromptProgress(double fraction)
{
    if (mStreaming && mStreamingText.isEmpty())
        mStreaming->setPromptProgress(fraction);
}

void MessageView::renderStreaming()
{
    if (!mStreaming)
        return;
    mStreaming->setStreaming(mStreamingText);
    mSinceRender.restart();
}

void MessageView::endAnswer()
{
    if (!mStreaming)
        return;
    mLayout->removeWidget(mStreaming);
    mStreaming->deleteLater();
    mStreaming = nullptr;
    mPlaceholder->setVisible(mMessages.isEmpty());
}

void MessageView::showError(const QString& message)
{
    mError->setText(message);
    mErrorBar->setVisible(!message.isEmpty());
}

void MessageView::followIfAtBottom()
{
    if (mFollow)
        verticalScrollBar()->setValue(verticalScrollBar()->maximum());
}

} // namespace atelier::ui

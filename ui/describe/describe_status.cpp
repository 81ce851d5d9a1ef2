#include "describe/describe_status.h"

#include "describe/picture_describer.h"

#include <QFileInfo>
#include <QGridLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QToolButton>

namespace atelier::ui {

DescribeStatus::DescribeStatus(PictureDescriber& describer, QWidget* parent)
    : QWidget(parent)
    , mText(new QLabel(this))
    , mBar(new QProgressBar(this))
    , mCancel(new QPushButton(tr("Cancel"), this))
    , mDismiss(new QToolButton(this))
{
    setObjectName("describeStatus");
    mText->setObjectName("describeText");
    mText->setWordWrap(true);
    mText->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mBar->setObjectName("describeProgress");
    mBar->setRange(0, 1000);
    mBar->setTextVisible(false);
    mCancel->setObjectName("describeCancelButton");
    mCancel->setToolTip(tr("Stop describing the picture; Create's prompt stays as it is"));
    mDismiss->setObjectName("describeDismissButton");
    mDismiss->setText(QStringLiteral("✕"));
    mDismiss->setAutoRaise(true);
    mDismiss->setToolTip(tr("Hide this message"));
    auto* layout = new QGridLayout(this);
    layout->setContentsMargins(0, 4, 0, 4);
    layout->addWidget(mText, 0, 0, 1, 2);
    layout->addWidget(mDismiss, 0, 2, Qt::AlignTop);
    layout->addWidget(mBar, 1, 0);
    layout->addWidget(mCancel, 1, 1, 1, 2);
    layout->setColumnStretch(0, 1);

    connect(mCancel, &QPushButton::clicked, &describer, &PictureDescriber::cancel);
    connect(mDismiss, &QToolButton::clicked, this, &QWidget::hide);
    connect(&describer, &PictureDescriber::started, this, [this](const QString& picture) {
        showRunning(tr("Describing %1…").arg(QFileInfo(picture).fileName()), -1);
    });
    connect(&describer, &PictureDescriber::progress, this, &DescribeStatus::showRunning);
    connect(&describer, &PictureDescriber::partialPrompt, this, [this](const QString& prompt) {
        showRunning(tr("Writing the prompt: %1").arg(prompt), -1);
    });
    connect(&describer, &PictureDescriber::finished, this, &QWidget::hide);
    connect(&describer, &PictureDescriber::cancelled, this, &QWidget::hide);
    connect(&describer, &PictureDescriber::failed, this, &DescribeStatus::showFailure);
    hide();
}

void DescribeStatus::showRunning(const QString& text, double fraction)
{
    mText->setStyleSheet({});
    mText->setText(text);
    if (fraction < 0) {
        mBar->setRange(0, 0); // busy
    } else {
        mBar->setRange(0, 1000);
        mBar->setValue(qRound(1000 * std::clamp(fraction, 0.0, 1.0)));
    }
    mBar->show();
    mCancel->show();
    mDismiss->hide();
    show();
}

void DescribeStatus::showFailure(const QString& message)
{
    // Said where the user is (the Library's details or Create), not left behind in the other.
    if (parentWidget() && !parentWidget()->isVisible())
        return hide();
    mText->setStyleSheet(QStringLiteral("color: #c0392b;"));
    mText->setText(tr("Describe for Create: %1").arg(message));
    mBar->hide();
    mCancel->hide();
    mDismiss->show();
    show();
}

} // namespace atelier::ui

#include "describe/describe_button.h"

#include "describe/picture_describer.h"

#include <QFileInfo>

namespace atelier::ui {

DescribeButton::DescribeButton(const QString& text, QWidget* parent) : QPushButton(text, parent)
{
    connect(this, &QPushButton::clicked, this, [this] {
        if (!mDescriber || !mSource)
            return;
        if (const QString file = mSource(); !file.isEmpty())
            mDescriber->describe(file);
    });
    updateState();
}

void DescribeButton::setDescriber(PictureDescriber* describer)
{
    if (mDescriber)
        disconnect(mDescriber, nullptr, this, nullptr);
    mDescriber = describer;
    if (describer) {
        connect(describer, &PictureDescriber::readinessChanged, this, &DescribeButton::updateState);
        connect(describer, &PictureDescriber::started, this, &DescribeButton::updateState);
        connect(describer, &PictureDescriber::finished, this, &DescribeButton::updateState);
        connect(describer, &PictureDescriber::failed, this, &DescribeButton::updateState);
        connect(describer, &PictureDescriber::cancelled, this, &DescribeButton::updateState);
    }
    updateState();
}

void DescribeButton::setPictureAvailable(bool available)
{
    mHasPicture = available;
    updateState();
}

void DescribeButton::showEvent(QShowEvent* event)
{
    QPushButton::showEvent(event);
    if (mDescriber && !mDescriber->busy())
        mDescriber->refresh();
}

void DescribeButton::updateState()
{
    QString why;
    if (!mDescriber)
        why = tr("Describing pictures needs the compute engine");
    else if (mDescriber->busy())
        why = tr("A picture is being described; wait for it or cancel it");
    else if (!mDescriber->readiness().ready)
        why = mDescriber->readiness().reason.isEmpty() ? tr("Checking Chat's model…") : mDescriber->readiness().reason;
    setEnabled(why.isEmpty() && mHasPicture);
    const QString tip = !why.isEmpty() ? why
                                       : tr("Write a Stable Diffusion prompt for this picture with %1 (Chat's vision "
                                            "model) and put it in Create's prompt")
                                             .arg(QFileInfo(mDescriber->readiness().modelPath).fileName());
    setToolTip(QStringLiteral("<p>%1</p>").arg(tip.toHtmlEscaped())); // rich text, so a long reason wraps
}

} // namespace atelier::ui

#include "create/create_workspace.h"

#include "model_files.h"

#include <QLabel>
#include <QVBoxLayout>

namespace atelier::ui {

CreateWorkspace::CreateWorkspace(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("createWorkspace");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new EmptyState(QStringLiteral(":/icons/create.svg"), tr("Create"),
                                     tr("Turn a text prompt into a picture with a Stable Diffusion model on your GPU."),
                                     imageCheckpoints(), tr("Open models folder"), this));
    mPromptLabel = new QLabel(this);
    mPromptLabel->setObjectName("pendingPrompt");
    mPromptLabel->setWordWrap(true);
    mPromptLabel->setAlignment(Qt::AlignCenter);
    mPromptLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mPromptLabel->hide();
    layout->addWidget(mPromptLabel);
}

void CreateWorkspace::setPrompt(const QString& prompt)
{
    mPrompt = prompt;
    mPromptLabel->setText(tr("Prompt from chat, kept for the next picture:\n%1").arg(prompt));
    mPromptLabel->setVisible(!prompt.isEmpty());
}

} // namespace atelier::ui

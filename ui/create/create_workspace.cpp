#include "create/create_workspace.h"

#include "model_files.h"

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
}

} // namespace atelier::ui

#include "inpaint/inpaint_workspace.h"

#include "model_files.h"

#include <QVBoxLayout>

namespace atelier::ui {

InpaintWorkspace::InpaintWorkspace(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("inpaintWorkspace");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new EmptyState(QStringLiteral(":/icons/inpaint.svg"), tr("Inpaint"),
                                     tr("Paint a mask over part of a picture and have the model redraw only that part."),
                                     imageCheckpoints(), tr("Open models folder"), this));
}

} // namespace atelier::ui

#include "library/library_workspace.h"

#include "model_files.h"

#include <QVBoxLayout>

namespace atelier::ui {

LibraryWorkspace::LibraryWorkspace(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("libraryWorkspace");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new EmptyState(QStringLiteral(":/icons/library.svg"), tr("Library"),
                                     tr("Every picture you make, with the prompt and settings that made it."),
                                     galleryPictures(), tr("Open gallery folder"), this));
}

} // namespace atelier::ui

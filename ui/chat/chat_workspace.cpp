#include "chat/chat_workspace.h"

#include "model_files.h"

#include <QVBoxLayout>

namespace atelier::ui {

ChatWorkspace::ChatWorkspace(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("chatWorkspace");
    auto* layout = new QVBoxLayout(this);
    layout->addWidget(new EmptyState(QStringLiteral(":/icons/chat.svg"), tr("Chat"),
                                     tr("Talk with a language model that runs on this computer's own GPU."),
                                     languageModels(), tr("Open models folder"), this));
}

} // namespace atelier::ui

#pragma once
// The Chat workspace. Until conversations land it shows which language models are in the models folder.

#include <QWidget>

namespace atelier::ui {

class ChatWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit ChatWorkspace(QWidget* parent = nullptr);
};

} // namespace atelier::ui

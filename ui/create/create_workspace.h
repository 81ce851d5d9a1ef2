#pragma once
// The Create workspace. Until prompt-to-image lands it shows which checkpoints are in the models folder.

#include <QWidget>

namespace atelier::ui {

class CreateWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit CreateWorkspace(QWidget* parent = nullptr);
};

} // namespace atelier::ui

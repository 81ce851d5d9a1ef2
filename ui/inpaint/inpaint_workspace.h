#pragma once
// The Inpaint workspace. Until masking lands it shows which checkpoints are in the models folder.

#include <QWidget>

namespace atelier::ui {

class InpaintWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit InpaintWorkspace(QWidget* parent = nullptr);
};

} // namespace atelier::ui

#pragma once
// The Library workspace. Until history and gallery land it shows which pictures are in the gallery folder.

#include <QWidget>

namespace atelier::ui {

class LibraryWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit LibraryWorkspace(QWidget* parent = nullptr);
};

} // namespace atelier::ui

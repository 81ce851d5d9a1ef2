#pragma once
// The column of workspace buttons on the left edge of the main window.

#include <QWidget>

class QAction;
class QToolButton;
class QVBoxLayout;

namespace atelier::ui {

// Each button mirrors one checkable action (text, icon, shortcut, checked state), so the rail,
// the View menu and Ctrl+1..4 cannot disagree about the current workspace.
class NavigationRail : public QWidget {
    Q_OBJECT
public:
    explicit NavigationRail(QWidget* parent = nullptr);

    QToolButton* addButton(QAction* action);

private:
    QVBoxLayout* mLayout = nullptr;
};

} // namespace atelier::ui

#include "widgets/navigation_rail.h"

#include <QAction>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

NavigationRail::NavigationRail(QWidget* parent)
    : QWidget(parent)
    , mLayout(new QVBoxLayout(this))
{
    setObjectName("navigationRail");
    mLayout->setContentsMargins(8, 12, 8, 12);
    mLayout->setSpacing(6);
    mLayout->addStretch();
    // palette() colours only, so the rail follows whatever theme the desktop uses.
    setStyleSheet(QStringLiteral(
        "QToolButton { border: none; border-radius: 10px; padding: 6px 2px; }"
        "QToolButton:hover:!checked { background: palette(button); }"
        "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text); }"));
}

QToolButton* NavigationRail::addButton(QAction* action)
{
    auto* button = new QToolButton(this);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextUnderIcon);
    button->setIconSize(QSize(24, 24));
    button->setFixedWidth(72);
    button->setFocusPolicy(Qt::TabFocus);
    mLayout->insertWidget(mLayout->count() - 1, button);
    return button;
}

} // namespace atelier::ui

#include "widgets/form_scroll_area.h"

#include <QScrollBar>

#include <algorithm>

namespace atelier::ui {

// The narrowest the column gets when the window is small; the form scrolls sideways then.
constexpr int kNarrowestColumn = 280;

FormScrollArea::FormScrollArea(QWidget* form, QWidget* parent) : QScrollArea(parent)
{
    setWidget(form);
    setWidgetResizable(true); // never below the form's minimum size: a scroll bar shows instead
    setHorizontalScrollBarPolicy(Qt::ScrollBarAsNeeded);
    setMinimumWidth(kNarrowestColumn);
}

QSize FormScrollArea::sizeHint() const
{
    const int width = widget()->minimumSizeHint().width() + verticalScrollBar()->sizeHint().width() + 2 * frameWidth();
    return {std::max(width, kNarrowestColumn), QScrollArea::sizeHint().height()};
}

} // namespace atelier::ui

#pragma once
// The settings column of Create and Inpaint: a form that scrolls when the window is too small for
// it, and is never squeezed below the width its rows need (a QScrollArea with the horizontal bar
// off squeezes the form and clips its right edge: buttons, spin boxes, token counts). The column
// asks for the form's width, so a splitter gives it that much where the window has room.

#include <QScrollArea>

namespace atelier::ui {

class FormScrollArea : public QScrollArea {
    Q_OBJECT
public:
    explicit FormScrollArea(QWidget* form, QWidget* parent = nullptr); // takes `form`

    // The form's minimum width, the vertical bar it may need and the frame.
    QSize sizeHint() const override;
};

} // namespace atelier::ui

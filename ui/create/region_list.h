#pragma once
// The Layout mode's list of regions beside the canvas: one row per region in its colour with its
// number and prompt (list order is drawing order), and the chosen region's prompt, negative prompt
// and strength to edit, with Move up / Move down / Delete. Every edit goes through RegionLayout,
// so it is a step of the layout's undo stack.

#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QToolButton;

namespace atelier::ui {

class RegionLayout;

class RegionList : public QWidget {
    Q_OBJECT
public:
    RegionList(RegionLayout* layout, QWidget* parent = nullptr);

    // Puts the cursor in region `index`'s prompt (a box was just drawn or double-clicked).
    void editPrompt(int index);

private:
    void rebuild();
    void showCurrent();

    RegionLayout* mLayout;
    QListWidget* mList = nullptr;
    QLineEdit* mPrompt = nullptr;
    QLineEdit* mNegative = nullptr;
    QDoubleSpinBox* mStrength = nullptr;
    QToolButton* mUp = nullptr;
    QToolButton* mDown = nullptr;
    QToolButton* mDelete = nullptr;
    QLabel* mCount = nullptr;
};

} // namespace atelier::ui

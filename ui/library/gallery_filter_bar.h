#pragma once
// Above the gallery: prompt text, model and a date range, and how many pictures match.

#include "store/picture_store.h"

#include <QWidget>

class QComboBox;
class QDateEdit;
class QLabel;
class QLineEdit;
class QTimer;

namespace atelier::ui {

class GalleryFilterBar : public QWidget {
    Q_OBJECT
public:
    explicit GalleryFilterBar(QWidget* parent = nullptr);

    store::PictureFilter filter() const;
    void setModels(const QStringList& models); // keeps the one chosen when it is still there
    void setCount(int shown);
    void reset(); // every field back to "any", with one filterChanged

signals:
    void filterChanged(); // typing settles for a moment first

private:
    QLineEdit* mText = nullptr;
    QComboBox* mModel = nullptr;
    QDateEdit* mFrom = nullptr;
    QDateEdit* mTo = nullptr;
    QLabel* mCount = nullptr;
    QTimer* mTyping = nullptr;
};

} // namespace atelier::ui

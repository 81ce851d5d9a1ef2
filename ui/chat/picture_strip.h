#pragma once
// A row of picture thumbnails: above the chat input (each with a remove button) and in a sent
// question. Clicking a thumbnail shows the picture larger in a dialog.

#include <QStringList>
#include <QWidget>

class QHBoxLayout;

namespace atelier::ui {

class PictureStrip : public QWidget {
    Q_OBJECT
public:
    // `names`: kept chat pictures (picture_files.h); `removable` adds an x to each thumbnail.
    PictureStrip(int thumbnailSize, bool removable, QWidget* parent = nullptr);

    void setPictures(const QStringList& names);
    const QStringList& pictures() const { return mNames; }

signals:
    void removeRequested(int index);

private:
    int mSize;
    bool mRemovable;
    QStringList mNames;
    QHBoxLayout* mLayout = nullptr;
};

// Shows a kept chat picture at up to the screen's size (a window of its own; closes with Esc).
void showPictureLarge(const QString& name, QWidget* parent);

} // namespace atelier::ui

#pragma once
// The row of actions under Create's finished picture, as A1111 and ComfyUI users expect them:
// Save as…, Copy, Use as init picture (img2img), Send to Inpaint and Describe for Create. Hidden
// until a picture is finished; the picture is the last one finished.

#include "create/image_engine.h"

#include <QWidget>

class QPushButton;

namespace atelier::ui {

class DescribeButton;

class PictureActions : public QWidget {
    Q_OBJECT
public:
    explicit PictureActions(QWidget* parent = nullptr);

    void setPicture(const ImageResult& result);
    const ImageResult& picture() const { return mResult; }
    // Writes the picture with its parameters (the PNG the gallery keeps) to `path`.
    bool saveTo(const QString& path) const;
    // The picture as a PNG file other workspaces can open: written once into the cache folder.
    QString pictureFile();
    // Save as…: asks where, then saveTo(); says how it went through message().
    void saveAs();
    DescribeButton* describeButton() const { return mDescribe; } // "Describe for Create"

signals:
    void useAsInitPicture(const QString& path);
    void sendToInpaint(const QString& path);
    void message(const QString& text);
    void pictureChanged(); // setPicture(), a picture or none

private:
    void copy();

    DescribeButton* mDescribe = nullptr;
    ImageResult mResult;
    QString mFile; // pictureFile() of mResult, once written
};

} // namespace atelier::ui

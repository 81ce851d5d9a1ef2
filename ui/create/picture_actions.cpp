#include "create/picture_actions.h"

#include "core/app_paths.h"
#include "describe/describe_button.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QPushButton>
#include <QSaveFile>

namespace atelier::ui {

PictureActions::PictureActions(QWidget* parent) : QWidget(parent)
{
    setObjectName("pictureActions");
    auto* row = new QHBoxLayout(this);
    row->setContentsMargins(0, 0, 0, 0);
    auto add = [&](const char* name, const QString& text, const QString& tip) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(QString::fromLatin1(name));
        b->setToolTip(tip);
        row->addWidget(b);
        return b;
    };
    connect(add("savePictureButton", tr("Save as…"), tr("Save the picture with its parameters as a PNG file")),
            &QPushButton::clicked, this, &PictureActions::saveAs);
    connect(add("copyPictureButton", tr("Copy"), tr("Copy the picture to the clipboard")), &QPushButton::clicked, this,
            &PictureActions::copy);
    connect(add("initPictureButton", tr("Use as init picture"),
                tr("Make a new picture from this one (img2img): it becomes the init picture")),
            &QPushButton::clicked, this, [this] {
                if (const QString path = pictureFile(); !path.isEmpty())
                    emit useAsInitPicture(path);
            });
    connect(add("inpaintPictureButton", tr("Send to Inpaint"), tr("Repaint part of this picture in Inpaint")),
            &QPushButton::clicked, this, [this] {
                if (const QString path = pictureFile(); !path.isEmpty())
                    emit sendToInpaint(path);
            });
    mDescribe = new DescribeButton(tr("Describe for Create"), this);
    mDescribe->setObjectName("describePictureButton");
    mDescribe->setPictureSource([this] { return pictureFile(); });
    row->addWidget(mDescribe);
    row->addStretch(1);
    hide();
}

void PictureActions::setPicture(const ImageResult& result)
{
    mResult = result;
    mFile.clear();
    setVisible(!result.image.isNull());
    emit pictureChanged();
}

bool PictureActions::saveTo(const QString& path) const
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    if (!mResult.png.isEmpty())
        file.write(mResult.png);
    else if (!mResult.image.save(&file, "PNG"))
        return false;
    return file.commit();
}

QString PictureActions::pictureFile()
{
    if (!mFile.isEmpty() && QFile::exists(mFile))
        return mFile;
    const QString dir = paths::cacheDir() + QStringLiteral("/pictures");
    const QString path = dir + QStringLiteral("/create-%1-%2.png")
                                   .arg(QDateTime::currentMSecsSinceEpoch())
                                   .arg(mResult.parameters.seed);
    if (!paths::ensureDir(dir) || !saveTo(path)) {
        emit message(tr("The picture could not be written to %1").arg(QDir::toNativeSeparators(dir)));
        return {};
    }
    mFile = path;
    return mFile;
}

void PictureActions::saveAs()
{
    const QString suggested = QDir::homePath() + QStringLiteral("/atelier-%1.png").arg(mResult.parameters.seed);
    const QString path = QFileDialog::getSaveFileName(this, tr("Save picture"), suggested, tr("PNG pictures (*.png)"));
    if (path.isEmpty())
        return;
    emit message(saveTo(path) ? tr("Saved %1").arg(QDir::toNativeSeparators(path))
                              : tr("Could not save %1").arg(QDir::toNativeSeparators(path)));
}

void PictureActions::copy()
{
    QApplication::clipboard()->setImage(mResult.image);
    emit message(tr("Copied the picture"));
}

} // namespace atelier::ui

#include "chat/picture_strip.h"

#include "chat/picture_files.h"
#include "store/chat_store.h"

#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QScreen>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

PictureStrip::PictureStrip(int thumbnailSize, bool removable, QWidget* parent)
    : QWidget(parent), mSize(thumbnailSize), mRemovable(removable), mLayout(new QHBoxLayout(this))
{
    setObjectName("pictureStrip");
    mLayout->setContentsMargins(0, 0, 0, 0);
    mLayout->setSpacing(6);
    mLayout->addStretch(1);
    hide();
}

void PictureStrip::setPictures(const QStringList& names)
{
    if (names == mNames)
        return;
    mNames = names;
    while (QLayoutItem* item = mLayout->takeAt(0)) {
        delete item->widget();
        delete item;
    }
    for (int i = 0; i < names.size(); ++i) {
        const QString name = names[i];
        auto* thumbnail = new QToolButton(this);
        thumbnail->setObjectName("pictureThumbnail");
        thumbnail->setAutoRaise(true);
        thumbnail->setIconSize({mSize, mSize});
        thumbnail->setFixedSize(mSize + 8, mSize + 8);
        const QImage image = chatPictureThumbnail(name, mSize);
        if (image.isNull()) {
            thumbnail->setText(tr("missing"));
            thumbnail->setToolTip(tr("The picture %1 is no longer there").arg(QDir::toNativeSeparators(store::chatPicturePath(name))));
        } else {
            thumbnail->setIcon(QIcon(QPixmap::fromImage(image)));
            thumbnail->setToolTip(tr("Show the picture larger"));
            connect(thumbnail, &QToolButton::clicked, this, [this, name] { showPictureLarge(name, this); });
        }
        if (mRemovable) {
            auto* remove = new QToolButton(thumbnail);
            remove->setObjectName("removePictureButton");
            remove->setText(QStringLiteral("×"));
            remove->setToolTip(tr("Remove this picture"));
            remove->setFixedSize(18, 18);
            remove->move(thumbnail->width() - remove->width(), 0);
            connect(remove, &QToolButton::clicked, this, [this, i] { emit removeRequested(i); });
        }
        mLayout->addWidget(thumbnail);
    }
    mLayout->addStretch(1);
    setVisible(!names.isEmpty());
}

void showPictureLarge(const QString& name, QWidget* parent)
{
    const QString path = store::chatPicturePath(name);
    QImageReader reader(path);
    reader.setAutoTransform(true);
    const QImage image = reader.read();
    auto* dialog = new QDialog(parent);
    dialog->setObjectName("pictureDialog");
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowTitle(QObject::tr("Picture"));
    auto* label = new QLabel(dialog);
    label->setObjectName("pictureLarge");
    label->setAlignment(Qt::AlignCenter);
    if (image.isNull()) {
        label->setText(QObject::tr("%1 cannot be read: %2").arg(QDir::toNativeSeparators(path), reader.errorString()));
    } else {
        const QScreen* screen = parent ? parent->screen() : nullptr;
        const QSize room = screen ? screen->availableSize() * 0.8 : QSize(1024, 768);
        const QSize shown = image.width() > room.width() || image.height() > room.height()
                                ? image.size().scaled(room, Qt::KeepAspectRatio)
                                : image.size();
        label->setPixmap(QPixmap::fromImage(image.scaled(shown, Qt::KeepAspectRatio, Qt::SmoothTransformation)));
    }
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, dialog);
    QObject::connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    auto* layout = new QVBoxLayout(dialog);
    layout->addWidget(label, 1);
    layout->addWidget(buttons);
    dialog->open();
}

} // namespace atelier::ui

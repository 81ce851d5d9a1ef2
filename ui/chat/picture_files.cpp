#include "chat/picture_files.h"

#include "core/app_paths.h"
#include "store/chat_store.h"

#include <QBuffer>
#include <QDateTime>
#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QImageReader>
#include <QSaveFile>

namespace atelier::ui {

namespace {

Error pictureError(const QString& text) { return makeError(ErrorCode::InvalidArgument, text.toStdString()); }

// Writes `bytes` as <hash>.<suffix> unless that file is already there.
Result<QString> keepBytes(const QByteArray& bytes, const QString& suffix)
{
    const QString name =
        QString::fromLatin1(QCryptographicHash::hash(bytes, QCryptographicHash::Sha256).toHex().left(32)) +
        QLatin1Char('.') + suffix;
    const QString path = store::chatPicturePath(name);
    if (QFileInfo(path).size() == bytes.size()) {
        // Kept again: young again, so the clean-up of unused pictures (store/chat_picture_cleanup.h)
        // leaves it for the question it is about to go with.
        QFile kept(path);
        if (kept.open(QIODevice::ReadWrite))
            kept.setFileTime(QDateTime::currentDateTimeUtc(), QFileDevice::FileModificationTime);
        return name;
    }
    if (!paths::ensureDir(store::chatPicturesDir()))
        return pictureError(QObject::tr("the folder %1 cannot be created").arg(store::chatPicturesDir()));
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return pictureError(QObject::tr("%1 cannot be written: %2").arg(path, file.errorString()));
    return name;
}

} // namespace

Result<QString> keepChatPicture(const QString& path)
{
    const QString fileName = QFileInfo(path).fileName();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return pictureError(QObject::tr("%1 cannot be read: %2").arg(fileName, file.errorString()));
    if (file.size() > kMaxPictureFileBytes)
        return pictureError(QObject::tr("%1 is larger than 64 MiB").arg(fileName));
    const QByteArray bytes = file.readAll();
    QBuffer buffer;
    buffer.setData(bytes);
    buffer.open(QIODevice::ReadOnly);
    QImageReader reader(&buffer);
    const QSize size = reader.size();
    if (!reader.canRead() || !size.isValid())
        return pictureError(QObject::tr("%1 is not a picture").arg(fileName));
    if (qint64(size.width()) * size.height() > qint64(64) << 20)
        return pictureError(QObject::tr("%1 has more than 64 megapixels").arg(fileName));
    QString suffix = QString::fromLatin1(reader.format()).toLower();
    if (suffix.isEmpty())
        suffix = QFileInfo(path).suffix().toLower();
    return keepBytes(bytes, suffix);
}

Result<QString> keepChatPicture(const QImage& image)
{
    if (image.isNull())
        return pictureError(QObject::tr("the picture is empty"));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    if (!image.save(&buffer, "PNG"))
        return pictureError(QObject::tr("the picture cannot be written as PNG"));
    return keepBytes(bytes, QStringLiteral("png"));
}

QImage chatPictureThumbnail(const QString& name, int size)
{
    QImageReader reader(store::chatPicturePath(name));
    reader.setAutoTransform(true);
    const QSize full = reader.size();
    if (full.isValid() && (full.width() > size || full.height() > size))
        reader.setScaledSize(full.scaled(size, size, Qt::KeepAspectRatio));
    const QImage image = reader.read();
    if (image.isNull() || image.width() >= size || image.height() >= size)
        return image;
    return image.scaled(size, size, Qt::KeepAspectRatio, Qt::SmoothTransformation); // small pictures fill it too
}

bool isPictureFile(const QString& path)
{
    QImageReader reader(path);
    return reader.canRead() && reader.size().isValid();
}

} // namespace atelier::ui

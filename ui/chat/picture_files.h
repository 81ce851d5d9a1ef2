#pragma once
// The pictures attached to chat questions, kept in the data folder (store::chatPicturesDir()) under
// the hash of their bytes: the same picture attached twice is stored once, and a message keeps only
// the file name.

#include "core/result.h"

#include <QImage>
#include <QString>

namespace atelier::ui {

// The largest picture file kept: 64 MiB.
constexpr qint64 kMaxPictureFileBytes = qint64(64) << 20;

// A picture file (any format Qt reads) copied into the chat pictures as it is; returns its name there.
Result<QString> keepChatPicture(const QString& path);
// Pixels (a pasted picture) kept as a PNG; returns its name.
Result<QString> keepChatPicture(const QImage& image);
// A kept picture scaled to fit size x size (smaller ones scaled up), upright; null when the file is gone or unreadable.
QImage chatPictureThumbnail(const QString& name, int size);
// Whether a file's contents are a picture Qt reads.
bool isPictureFile(const QString& path);

} // namespace atelier::ui

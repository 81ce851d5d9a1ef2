#pragma once
// Pictures for vision models, from files and QImages: any format Qt reads, turned upright, as
// 8-bit RGB (transparent pixels over white). Files are read within a size budget, so a picture
// that claims a huge size is refused before its pixels are allocated.

#include "core/result.h"
#include "llm/picture.h"

#include <QImage>
#include <QString>

namespace atelier::ui {

// The largest picture read: 64 megapixels.
constexpr qint64 kMaxPicturePixels = qint64(64) << 20;

Result<llm::RgbPicture> rgbPicture(const QImage& image);
Result<llm::RgbPicture> loadRgbPicture(const QString& path);

} // namespace atelier::ui

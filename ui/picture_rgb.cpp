#include "picture_rgb.h"

#include <QImageReader>
#include <QPainter>

#include <cstring>

namespace atelier::ui {

Result<llm::RgbPicture> rgbPicture(const QImage& image)
{
    if (image.isNull() || image.width() < 1 || image.height() < 1)
        return makeError(ErrorCode::InvalidArgument, "the picture is empty");
    if (qint64(image.width()) * image.height() > kMaxPicturePixels)
        return makeError(ErrorCode::InvalidArgument, "the picture has more than 64 megapixels");
    QImage rgb(image.size(), QImage::Format_RGB888);
    rgb.fill(Qt::white);
    {
        QPainter painter(&rgb);
        painter.drawImage(0, 0, image);
    }
    llm::RgbPicture picture{rgb.width(), rgb.height(), {}};
    picture.rgb.resize(size_t(rgb.width()) * size_t(rgb.height()) * 3);
    for (int y = 0; y < rgb.height(); ++y)
        std::memcpy(picture.rgb.data() + size_t(y) * size_t(rgb.width()) * 3, rgb.constScanLine(y),
                    size_t(rgb.width()) * 3);
    return picture;
}

Result<llm::RgbPicture> loadRgbPicture(const QString& path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true); // EXIF orientation, as the picture is meant to be seen
    const QSize size = reader.size();
    if (!reader.canRead())
        return makeError(ErrorCode::Format, "'" + path.toStdString() + "' is not a picture Atelier can read" +
                                                (reader.errorString().isEmpty() ? "" : ": " + reader.errorString().toStdString()));
    if (size.isValid() && qint64(size.width()) * size.height() > kMaxPicturePixels)
        return makeError(ErrorCode::InvalidArgument, "'" + path.toStdString() + "' has more than 64 megapixels (" +
                                                         std::to_string(size.width()) + " x " +
                                                         std::to_string(size.height()) + ")");
    reader.setAllocationLimit(int(kMaxPicturePixels * 4 / (1024 * 1024)) + 1);
    const QImage image = reader.read();
    if (image.isNull())
        return makeError(ErrorCode::Format, "cannot read '" + path.toStdString() + "': " + reader.errorString().toStdString());
    return rgbPicture(image);
}

} // namespace atelier::ui

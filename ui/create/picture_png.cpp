#include "create/picture_png.h"

#include "io/png_text.h"

#include <QBuffer>
#include <QImage>
#include <QImageReader>
#include <QPainter>

namespace atelier::ui {

Result<QByteArray> encodePicturePng(const diffusion::GeneratedImage& image, const QByteArray& atelierJson)
{
    if (image.rgb.size() != size_t(image.width) * size_t(image.height) * 3 || image.width <= 0)
        return makeError(ErrorCode::InvalidArgument, "the picture has no pixels");
    const QImage view(image.rgb.data(), image.width, image.height, image.width * 3, QImage::Format_RGB888);
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    if (!view.save(&buffer, "PNG"))
        return makeError(ErrorCode::Io, "the picture could not be encoded as PNG");
    QList<io::PngTextChunk> chunks{{QStringLiteral("parameters"), diffusion::formatA1111(image.parameters)}};
    if (!atelierJson.isEmpty())
        chunks.append({QStringLiteral("atelier"), QString::fromUtf8(atelierJson)});
    return io::addPngText(png, chunks);
}

Result<std::vector<float>> loadInitImage(const QString& path, int width, int height)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    QImage picture = reader.read();
    if (picture.isNull())
        return makeError(ErrorCode::Format, "cannot read the picture " + path.toStdString() + ": " +
                                                reader.errorString().toStdString());
    if (picture.width() > 16384 || picture.height() > 16384)
        return makeError(ErrorCode::InvalidArgument, "the picture " + path.toStdString() + " is too large");
    QImage rgb(width, height, QImage::Format_RGB888);
    rgb.fill(Qt::white);
    {
        QPainter painter(&rgb);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        painter.drawImage(QRect(0, 0, width, height), picture);
    }
    std::vector<float> out(size_t(width) * size_t(height) * 3);
    for (int y = 0; y < height; ++y) {
        const uchar* row = rgb.constScanLine(y);
        for (int i = 0; i < width * 3; ++i)
            out[size_t(y) * size_t(width) * 3 + size_t(i)] = row[i] / 127.5f - 1.0f;
    }
    return out;
}

} // namespace atelier::ui

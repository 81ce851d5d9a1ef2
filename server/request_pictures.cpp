#include "server/request_pictures.h"

#include "llm/picture_plan.h"

#include <QBuffer>
#include <QImage>
#include <QImageReader>
#include <QJsonObject>
#include <QPainter>

#include <cstring>

namespace atelier::server {

namespace {

// Sets up a reader of `bytes` that refuses to allocate more than the largest picture takes.
void prepare(QImageReader& reader)
{
    reader.setAutoTransform(true);
    reader.setAllocationLimit(int(kMaxPicturePixels * 4 / (1024 * 1024)) + 1);
}

// Whether the header's orientation turns the picture a quarter: its upright size is then the
// stored one transposed.
bool turnsAQuarter(const QImageReader& reader)
{
    return reader.transformation() & QImageIOHandler::TransformationRotate90;
}

qint64 pixels(QSize size) { return qint64(size.width()) * size.height(); }

QString megabytes(qint64 bytes) { return QString::number(double(bytes) / (1 << 20), 'f', 1); }

} // namespace

std::optional<ApiError> readPictureUrl(const QJsonValue& imageUrl, RequestPicture& picture)
{
    const QString& field = picture.field;
    // OpenAI's shape is {"url": ...}; some clients send the URL string itself.
    const QJsonValue url = imageUrl.isObject() ? imageUrl.toObject().value("url") : imageUrl;
    if (!url.isString() || url.toString().isEmpty())
        return badRequest(QStringLiteral("'%1' needs a 'url': a data URL such as data:image/png;base64,...").arg(field), field);
    const QString text = url.toString();
    if (text.startsWith(QLatin1String("http:"), Qt::CaseInsensitive) || text.startsWith(QLatin1String("https:"), Qt::CaseInsensitive))
        return badRequest(QStringLiteral("'%1' is a web address; this server fetches nothing from the network: send the "
                                         "picture itself as a data URL (data:image/png;base64,...).").arg(field), field);
    const qsizetype comma = text.indexOf(QLatin1Char(','));
    if (!text.startsWith(QLatin1String("data:"), Qt::CaseInsensitive) || comma < 0)
        return badRequest(QStringLiteral("'%1' must be a data URL such as data:image/png;base64,...").arg(field), field);
    const QString header = text.mid(5, comma - 5).toLower(); // "image/png;base64"
    if (!header.startsWith(QLatin1String("image/")) || !header.endsWith(QLatin1String(";base64")))
        return badRequest(QStringLiteral("'%1' must hold a picture in base64 (data:image/...;base64,...), got 'data:%2'.")
                              .arg(field, header.left(40)), field);
    const QStringView payload = QStringView(text).mid(comma + 1);
    if (payload.size() / 4 * 3 > kMaxPictureBytes + 3)
        return badRequest(QStringLiteral("'%1' holds about %2 MiB; a picture may have at most %3 MiB.")
                              .arg(field, megabytes(payload.size() / 4 * 3), megabytes(kMaxPictureBytes)), field);
    auto decoded = QByteArray::fromBase64Encoding(payload.toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.isEmpty())
        return badRequest(QStringLiteral("'%1' is not valid base64.").arg(field), field);
    if (decoded.decoded.size() > kMaxPictureBytes)
        return badRequest(QStringLiteral("'%1' holds %2 MiB; a picture may have at most %3 MiB.")
                              .arg(field, megabytes(decoded.decoded.size()), megabytes(kMaxPictureBytes)), field);

    // Only the header is read here; the pixels are decoded on the compute thread (decodePicture).
    QBuffer buffer(&decoded.decoded);
    QImageReader reader(&buffer);
    prepare(reader);
    if (!reader.canRead())
        return badRequest(QStringLiteral("'%1' is not a picture this server can read (PNG, JPEG%2).")
                              .arg(field, QImageReader::supportedImageFormats().contains("webp") ? ", WebP" : ""), field);
    const QSize stored = reader.size();
    if (!stored.isValid() || stored.isEmpty())
        return badRequest(QStringLiteral("'%1' does not say its size in its header; send it as a PNG or a JPEG.").arg(field), field);
    if (pixels(stored) > kMaxPicturePixels)
        return badRequest(QStringLiteral("'%1' is %2 x %3 pixels; a picture may have at most 64 megapixels.")
                              .arg(field).arg(stored.width()).arg(stored.height()), field);
    picture.size = turnsAQuarter(reader) ? stored.transposed() : stored;
    picture.bytes = std::move(decoded.decoded);
    return std::nullopt;
}

QSize decodedSize(QSize upright, const llm::VisionConfig& encoder)
{
    if (pixels(upright) <= kExactPicturePixels)
        return upright;
    const auto [width, height] = llm::plannedSize(upright.width(), upright.height(), encoder);
    const QSize planned(width, height);
    return planned.isEmpty() || pixels(planned) >= pixels(upright) ? upright : planned;
}

qint64 pixelsDecodedWhateverTheModel(const RequestPicture& picture)
{
    return pixels(picture.size) <= kExactPicturePixels ? pixels(picture.size) : 0;
}

std::optional<ApiError> checkDecodedPixels(const std::vector<RequestPicture>& pictures,
                                           const std::function<qint64(const RequestPicture&)>& pixelsOf)
{
    qint64 total = 0;
    for (const RequestPicture& picture : pictures) {
        total += pixelsOf(picture);
        if (total > kMaxRequestDecodedPixels)
            return badRequest(QStringLiteral("'%1' brings the request's pictures to %2 megapixels once decoded; a request's "
                                             "pictures may come to at most %3 (one over %4 megapixels counts at the size "
                                             "the model reads it). Send fewer or smaller pictures.")
                                  .arg(picture.field, megabytes(total), megabytes(kMaxRequestDecodedPixels),
                                       megabytes(kExactPicturePixels)),
                              picture.field);
    }
    return std::nullopt;
}

Result<llm::RgbPicture> decodePicture(const QByteArray& bytes, QSize size)
{
    QByteArray data = bytes;
    QBuffer buffer(&data);
    QImageReader reader(&buffer);
    prepare(reader);
    const QSize stored = reader.size();
    if (!stored.isValid() || pixels(stored) > kMaxPicturePixels)
        return makeError(ErrorCode::InvalidArgument, "the picture has no size or more than 64 megapixels");
    const bool quarter = turnsAQuarter(reader);
    const QSize upright = quarter ? stored.transposed() : stored;
    if (size.isEmpty() || size.width() > upright.width() || size.height() > upright.height())
        return makeError(ErrorCode::InvalidArgument, "a picture is decoded at its own size or smaller");
    if (size != upright) // the scaled size is the stored picture's, before it is turned upright
        reader.setScaledSize(quarter ? size.transposed() : size);
    const QImage image = reader.read();
    if (image.isNull())
        return makeError(ErrorCode::InvalidArgument, "the picture cannot be decoded: " + reader.errorString().toStdString());
    if (image.size() != size)
        return makeError(ErrorCode::InvalidArgument, "the picture decoded to another size than its header says");
    QImage rgb(image.size(), QImage::Format_RGB888);
    rgb.fill(Qt::white);
    {
        QPainter painter(&rgb);
        painter.drawImage(0, 0, image);
    }
    llm::RgbPicture picture{rgb.width(), rgb.height(), {}};
    picture.rgb.resize(size_t(rgb.width()) * size_t(rgb.height()) * 3);
    for (int y = 0; y < rgb.height(); ++y)
        std::memcpy(picture.rgb.data() + size_t(y) * size_t(rgb.width()) * 3, rgb.constScanLine(y), size_t(rgb.width()) * 3);
    return picture;
}

} // namespace atelier::server

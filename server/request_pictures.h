#pragma once
// Pictures in chat requests (issue 22): a user message's `image_url` parts, which must be data URLs
// ("data:image/png;base64,...") of a picture Qt reads (PNG, JPEG, WebP where Qt's plugin is
// installed, GIF, ...). A URL of the web is refused: the server fetches nothing. Each picture is
// checked on arrival (base64, at most 20 MiB, a header Qt can read, at most 64 megapixels) and
// decoded into pixels by the compute job, off the thread that answers HTTP.

#include "server/api_error.h"

#include "core/result.h"
#include "llm/picture.h"

#include <QByteArray>
#include <QJsonValue>
#include <QString>

#include <optional>

namespace atelier::server {

constexpr qint64 kMaxPictureBytes = qint64(20) << 20;   // one picture's file
constexpr int kMaxRequestPictures = 16;                 // pictures in one request
constexpr qint64 kMaxPicturePixels = qint64(64) << 20;  // width x height

// A picture as its client sent it.
struct RequestPicture {
    size_t message = 0;  // which of TextRequest::messages shows it
    QString field;       // where it was in the body: "messages[1].content[0].image_url"
    QByteArray bytes;    // the file (PNG, JPEG, ...)
};

// Reads an `image_url` part's value ({"url": "data:...", "detail": ...} or the URL string itself)
// into the file's bytes; a refusal names `field`.
std::optional<ApiError> readPictureUrl(const QJsonValue& imageUrl, const QString& field, QByteArray& bytes);

// The picture's pixels, turned upright (EXIF), transparent ones over white, as the window reads a
// picture file (ui/picture_rgb.h).
Result<llm::RgbPicture> decodePicture(const QByteArray& bytes);

} // namespace atelier::server

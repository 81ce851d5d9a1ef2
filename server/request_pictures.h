#pragma once
// Pictures in chat requests (issue 22): a user message's `image_url` parts, which must be data URLs
// ("data:image/png;base64,...") of a picture Qt reads (PNG, JPEG, WebP where Qt's plugin is
// installed, GIF, ...). A URL of the web is refused: the server fetches nothing. Each picture is
// checked on arrival from its header alone (base64, at most 20 MiB, a size the header tells, at
// most 64 megapixels) and decoded into pixels by the compute job, off the thread that answers
// HTTP: at its own size up to 4 megapixels (the answer is then exactly ChatSession's for the
// picture), larger ones straight at the size the vision encoder reads them (llm::plannedSize), so
// a request never holds its pictures at full size. A request's decoded pictures come to at most
// 48 megapixels.

#include "server/api_error.h"

#include "core/result.h"
#include "llm/picture.h"

#include <QByteArray>
#include <QJsonValue>
#include <QSize>
#include <QString>

#include <functional>
#include <optional>
#include <vector>

namespace atelier::llm {
struct VisionConfig;
}

namespace atelier::server {

constexpr qint64 kMaxPictureBytes = qint64(20) << 20;        // one picture's file
constexpr int kMaxRequestPictures = 16;                      // pictures in one request, all its messages together
constexpr qint64 kMaxPicturePixels = qint64(64) << 20;       // width x height of one picture's file
constexpr qint64 kExactPicturePixels = qint64(4) << 20;      // decoded at their own size up to this
constexpr qint64 kMaxRequestDecodedPixels = qint64(48) << 20; // a request's pictures, as decoded

// A picture as its client sent it.
struct RequestPicture {
    size_t message = 0;  // which of TextRequest::messages shows it
    QString field;       // where it was in the body: "messages[1].content[0].image_url"
    QByteArray bytes;    // the file (PNG, JPEG, ...)
    QSize size;          // upright (EXIF orientation applied), from the file's header
};

// Reads an `image_url` part's value ({"url": "data:...", "detail": ...} or the URL string itself)
// into picture.bytes and picture.size; a refusal names picture.field.
std::optional<ApiError> readPictureUrl(const QJsonValue& imageUrl, RequestPicture& picture);

// The size a picture of `upright` size is decoded at for `encoder`: its own up to
// kExactPicturePixels (or when the encoder reads it no smaller), else the size the encoder's plan
// first resizes it to (llm::plannedSize), so it plans the same tiles.
QSize decodedSize(QSize upright, const llm::VisionConfig& encoder);

// Refuses the request when its pictures, each counted as `pixelsOf` says, come to more than
// kMaxRequestDecodedPixels, naming the picture that goes over.
std::optional<ApiError> checkDecodedPixels(const std::vector<RequestPicture>& pictures,
                                           const std::function<qint64(const RequestPicture&)>& pixelsOf);
// What a picture surely decodes to before the model is known: its pixels when it is decoded at
// its own size whatever the encoder, else 0 (the job counts it at the encoder's size).
qint64 pixelsDecodedWhateverTheModel(const RequestPicture& picture);

// The picture's pixels at `size` (its upright size, or smaller: decoded scaled where the format's
// decoder can), turned upright (EXIF), transparent ones over white, as the window reads a picture
// file (ui/picture_rgb.h, whose few lines this repeats: the server cannot link ui/, and
// atelier_compute, which both link, keeps to Qt Core).
Result<llm::RgbPicture> decodePicture(const QByteArray& bytes, QSize size);

} // namespace atelier::server

#include "server/api_error.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

namespace atelier::server {

namespace {
QJsonValue orNull(const QString& s) { return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s); }
} // namespace

QByteArray ApiError::json() const
{
    const QJsonObject error{{"message", message}, {"type", type}, {"param", orNull(param)}, {"code", orNull(code)}};
    return QJsonDocument(QJsonObject{{"error", error}}).toJson(QJsonDocument::Compact);
}

ApiError badRequest(const QString& message, const QString& param)
{
    return ApiError{400, message, QStringLiteral("invalid_request_error"), param, {}};
}

ApiError modelNotFound(const QString& model)
{
    return ApiError{404, QStringLiteral("The model '%1' does not exist; GET /v1/models lists the models served here.").arg(model),
                    QStringLiteral("invalid_request_error"), QStringLiteral("model"), QStringLiteral("model_not_found")};
}

ApiError fromJobError(ErrorCode code, const QString& message)
{
    switch (code) {
    case ErrorCode::InvalidArgument:
        return badRequest(message);
    case ErrorCode::OutOfDeviceMemory:
    case ErrorCode::OutOfHostMemory:
    case ErrorCode::NoDevice:
        return ApiError{503, message, QStringLiteral("server_error"), {}, QStringLiteral("unavailable")};
    default:
        return ApiError{500, message, QStringLiteral("server_error"), {}, {}};
    }
}

} // namespace atelier::server

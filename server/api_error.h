#pragma once
// An answer the API refuses a request with, in OpenAI's shape:
//   {"error": {"message": "...", "type": "invalid_request_error", "param": "model", "code": "model_not_found"}}
// with the HTTP status OpenAI uses for it (400 bad request, 401 key, 404 model or path, 413 body, ...).

#include "core/result.h"

#include <QByteArray>
#include <QString>

#include <atomic>

namespace atelier::server {

struct ApiError {
    int status = 400;
    QString message;
    QString type = QStringLiteral("invalid_request_error");
    QString param; // the request field at fault; empty: null
    QString code;  // a machine-readable reason; empty: null

    QByteArray json() const; // the body above
};

// The ErrorCode a job failed with: the job writes it on the compute thread before its jobFailed
// signal (which carries only the message) reaches the server.
// `param` names the request field at fault (a picture that cannot be decoded); it is written before
// the job returns, so before jobFailed is sent, and read after it arrives.
struct JobFailure {
    std::atomic<int> code{-1};
    QString param;
    void set(const Error& error) { code.store(int(error.code)); }
};

ApiError badRequest(const QString& message, const QString& param = {});
ApiError modelNotFound(const QString& model);
// A compute job's error: the user's mistake (a prompt longer than the context, a size the model
// cannot paint) is 400, a lack of memory 503, everything else 500.
ApiError fromJobError(ErrorCode code, const QString& message);

} // namespace atelier::server

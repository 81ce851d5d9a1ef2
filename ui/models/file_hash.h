#pragma once
// The sha256 of a file, read in 4 MiB pieces; meant for a worker thread (a model is gigabytes).

#include "core/result.h"

#include <QString>

#include <atomic>

namespace atelier::models {

// Lower-case hex digest; stops with ErrorCode::Cancelled when *cancel becomes true.
Result<QString> sha256OfFile(const QString& path, const std::atomic<bool>* cancel = nullptr);

} // namespace atelier::models

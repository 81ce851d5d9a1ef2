#pragma once
// The sha256 of a file, read in 4 MiB pieces; meant for a worker thread (a model is gigabytes).
// A download records the digest it computed beside the file ("<file>.sha256", as sha256sum writes
// it), so that a model the catalogue has no checksum for can still be checked for damage later.

#include "core/result.h"

#include <QString>

#include <atomic>

namespace atelier::models {

// Lower-case hex digest; stops with ErrorCode::Cancelled when *cancel becomes true.
Result<QString> sha256OfFile(const QString& path, const std::atomic<bool>* cancel = nullptr);

QString recordedHashPath(const QString& modelPath); // "<modelPath>.sha256"
// Writes "<digest>  <file name>\n" beside the model.
Status recordSha256(const QString& modelPath, const QString& digest);
// The digest recorded beside the model; empty when there is none or it is not 64 hex digits.
QString recordedSha256(const QString& modelPath);

} // namespace atelier::models

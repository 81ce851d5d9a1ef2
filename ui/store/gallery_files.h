#pragma once
// Inside atelier_store: the gallery folder's files. Names that stay inside the folder, and picture
// files created without ever replacing one another's (issue 18: two processes on one data folder).

#include "core/result.h"

#include <QByteArray>
#include <QString>

namespace atelier::store {

constexpr qint64 kMaxPictureFileBytes = 512ll * 1024 * 1024; // far above any picture; bounds a bogus file

// The absolute path of `file` (a record's file or mask, relative to `galleryDir`) when it lies
// inside the gallery folder once every link is resolved; an error for an empty or absolute name, a
// `..` step, or a link that leads out of the folder.
Result<QString> pathInGallery(const QString& galleryDir, const QString& file);

enum class Creation { Written, NameTaken };

// Creates `path` only if no file (or link) of that name exists (O_EXCL: atomic against every other
// process), writes `bytes` and syncs them to disk. NameTaken when the name exists, whoever made it.
// A failed write removes the file it had created.
Result<Creation> createExclusively(const QString& path, const QByteArray& bytes);

// The n-th name to try for a picture called `file`: n = 1 is `file` itself, then "<stem>-2.png", ...
QString candidateName(const QString& file, int n);

} // namespace atelier::store

#include "io/mapped_file.h"

#include <QFile>
#include <QFileInfo>

namespace atelier::io {

MappedFile::~MappedFile() = default;

Result<std::unique_ptr<MappedFile>> MappedFile::open(const std::string& path)
{
    const QString qpath = QString::fromStdString(path);
    const QFileInfo info(qpath);
    if (!info.exists())
        return makeError(ErrorCode::Io, "file not found: " + path);
    if (info.isDir())
        return makeError(ErrorCode::Io, "expected a file but found a folder: " + path);

    std::unique_ptr<MappedFile> mapped(new MappedFile);
    mapped->mPath = path;
    mapped->mFile = std::make_unique<QFile>(qpath);
    QFile& file = *mapped->mFile;
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorCode::Io, "cannot open " + path + ": " + file.errorString().toStdString());

    const qint64 size = file.size();
    if (size <= 0)
        return mapped;  // an empty file maps to an empty span (mmap of 0 bytes is an error)
    uchar* data = file.map(0, size);
    if (!data)
        return makeError(ErrorCode::Io, "cannot map " + path + " into memory: " +
                                            file.errorString().toStdString());
    mapped->mBytes = std::span<const uint8_t>(data, size_t(size));
    return mapped;
}

} // namespace atelier::io

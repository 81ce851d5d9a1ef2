#pragma once
// A whole file mapped read-only into memory; the bytes stay valid while the object lives.

#include "core/result.h"

#include <cstdint>
#include <memory>
#include <span>
#include <string>

class QFile;

namespace atelier::io {

class MappedFile {
public:
    // Errors (ErrorCode::Io) name the path: missing, a directory, unreadable, or not mappable.
    static Result<std::unique_ptr<MappedFile>> open(const std::string& path);
    ~MappedFile();

    MappedFile(const MappedFile&) = delete;
    MappedFile& operator=(const MappedFile&) = delete;

    const std::string& path() const { return mPath; }
    uint64_t size() const { return mBytes.size(); }
    std::span<const uint8_t> bytes() const { return mBytes; }

private:
    MappedFile() = default;

    std::string mPath;
    std::unique_ptr<QFile> mFile;       // owns the mapping; unmapped when closed
    std::span<const uint8_t> mBytes;    // empty for an empty file
};

} // namespace atelier::io

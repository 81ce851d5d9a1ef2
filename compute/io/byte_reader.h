#pragma once
// A bounds-checked little-endian cursor over untrusted bytes. Reads fail (returning false and
// leaving the position unchanged) instead of running past the end.

#include <cstdint>
#include <cstring>
#include <span>
#include <type_traits>

namespace atelier::io {

class ByteReader {
public:
    explicit ByteReader(std::span<const uint8_t> bytes) : mBytes(bytes) {}

    uint64_t size() const { return mBytes.size(); }
    uint64_t position() const { return mPosition; }
    uint64_t remaining() const { return mBytes.size() - mPosition; }

    template <typename T>
    bool read(T& out)
    {
        static_assert(std::is_trivially_copyable_v<T>);
        if (remaining() < sizeof(T))
            return false;
        std::memcpy(&out, mBytes.data() + mPosition, sizeof(T));  // host is little-endian
        mPosition += sizeof(T);
        return true;
    }

    bool take(uint64_t count, std::span<const uint8_t>& out)
    {
        if (count > remaining())
            return false;
        out = mBytes.subspan(size_t(mPosition), size_t(count));
        mPosition += count;
        return true;
    }

    bool skip(uint64_t count)
    {
        if (count > remaining())
            return false;
        mPosition += count;
        return true;
    }

private:
    std::span<const uint8_t> mBytes;
    uint64_t mPosition = 0;
};

} // namespace atelier::io

// Parses and validates a GGUF file: header, metadata, tensor table, data-section layout.
// Layout (docs/gguf.md): "GGUF", u32 version, u64 tensor count, u64 kv count, kv pairs,
// tensor infos, padding to `general.alignment`, then tensor data at aligned offsets.

#include "io/byte_reader.h"
#include "io/gguf.h"
#include "io/gguf_describe.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <limits>

namespace atelier::io {

namespace {

// Far beyond any real model (the largest have a few thousand tensors and ~50 keys) yet small
// enough that the tables for such a count stay in the megabytes.
constexpr uint64_t kMaxTensors = uint64_t(1) << 20;
constexpr uint64_t kMaxKeys = uint64_t(1) << 20;
// Smallest encodings: key (u64 length) + type (u32) + a u8; name (u64 length) + n_dims + one dim
// + type + offset.
constexpr uint64_t kMinKeyValueBytes = 8 + 4 + 1;
constexpr uint64_t kMinTensorInfoBytes = 8 + 4 + 8 + 4 + 8;

Error formatError(std::string message) { return makeError(ErrorCode::Format, std::move(message)); }

bool mulOverflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_mul_overflow(a, b, &out); }
bool addOverflows(uint64_t a, uint64_t b, uint64_t& out) { return __builtin_add_overflow(a, b, &out); }

} // namespace

class GgufParser {
public:
    GgufParser(std::span<const uint8_t> bytes, GgufFile& file) : mIn(bytes), mFile(file) {}

    Status run()
    {
        ATELIER_TRY(header());
        ATELIER_TRY(metadata());
        ATELIER_TRY(alignment());
        ATELIER_TRY(tensorTable());
        return layout();
    }

private:
    Error truncated(const char* what) const
    {
        return formatError("truncated GGUF file: " + std::string(what) + " of " + mContext +
                           " at byte " + std::to_string(mIn.position()) + " runs past the end (" +
                           std::to_string(mIn.remaining()) + " bytes left)");
    }

    template <typename T>
    Result<T> read(const char* what)
    {
        T value{};
        if (!mIn.read(value))
            return truncated(what);
        return value;
    }

    Result<std::string_view> readString(const char* what)
    {
        ATELIER_ASSIGN(const uint64_t length, read<uint64_t>(what));
        std::span<const uint8_t> bytes;
        if (!mIn.take(length, bytes))
            return formatError("truncated GGUF file: " + std::string(what) + " of " + mContext +
                               " claims " + std::to_string(length) + " bytes, past the end of the file (" +
                               std::to_string(mIn.remaining()) + " bytes left)");
        return std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }

    Status header()
    {
        mContext = "the header";
        if (mIn.size() < 4)
            return truncated("magic");
        std::span<const uint8_t> magic;
        (void)mIn.take(4, magic);
        if (std::memcmp(magic.data(), "GGUF", 4) != 0)
            return formatError("not a GGUF file: it starts with bytes " + hexBytes(magic) +
                               " instead of \"GGUF\"");
        ATELIER_ASSIGN(const uint32_t version, read<uint32_t>("version"));
        if (version == 1)
            return formatError("GGUF version 1 (the 2023 draft format) is not supported; "
                               "convert the model again with a current llama.cpp");
        if (version != 2 && version != 3) {
            if (const uint32_t swapped = __builtin_bswap32(version); swapped == 2 || swapped == 3)
                return formatError("big-endian GGUF files are not supported (version field " +
                                   std::to_string(version) + ")");
            return formatError("unsupported GGUF version " + std::to_string(version) +
                               " (this reader knows versions 2 and 3)");
        }
        mFile.mVersion = version;
        ATELIER_ASSIGN(mTensorCount, read<uint64_t>("tensor count"));
        ATELIER_ASSIGN(mKeyCount, read<uint64_t>("metadata key-value count"));
        if (mKeyCount > kMaxKeys)
            return formatError("absurd metadata key-value count " + std::to_string(mKeyCount) +
                               " (at most " + std::to_string(kMaxKeys) + " supported)");
        if (mTensorCount > kMaxTensors)
            return formatError("absurd tensor count " + std::to_string(mTensorCount) + " (at most " +
                               std::to_string(kMaxTensors) + " supported)");
        // Both counts are now small, so this cannot overflow.
        const uint64_t minBytes = mKeyCount * kMinKeyValueBytes + mTensorCount * kMinTensorInfoBytes;
        if (minBytes > mIn.remaining())
            return formatError("truncated GGUF file: the header announces " + std::to_string(mKeyCount) +
                               " metadata entries and " + std::to_string(mTensorCount) +
                               " tensors, which need at least " + std::to_string(minBytes) + " bytes, but only " +
                               std::to_string(mIn.remaining()) + " follow");
        return {};
    }

    Status metadata()
    {
        for (uint64_t i = 0; i < mKeyCount; ++i) {
            mContext = "metadata entry #" + std::to_string(i);
            ATELIER_ASSIGN(const std::string_view key, readString("key"));
            mContext = "metadata key '" + printable(key) + "'";
            ATELIER_ASSIGN(const uint32_t typeId, read<uint32_t>("value type"));
            if (!isKnownGgufValueType(typeId))
                return formatError(mContext + " has unknown value type " + std::to_string(typeId));
            ATELIER_ASSIGN(GgufValue value, readValue(GgufValueType(typeId)));
            if (!mFile.mKeyIndex.emplace(key, mFile.mMetadata.size()).second)
                return formatError("duplicate " + mContext);
            mFile.mMetadata.push_back({key, value});
        }
        return {};
    }

    Result<GgufValue> readValue(GgufValueType type)
    {
        GgufValue value;
        value.type = value.elementType = type;
        if (type == GgufValueType::String) {
            ATELIER_ASSIGN(value.text, readString("string value"));
            value.raw = {reinterpret_cast<const uint8_t*>(value.text.data()), value.text.size()};
            return value;
        }
        if (type != GgufValueType::Array) {
            if (!mIn.take(ggufValueTypeSize(type), value.raw))
                return truncated("value");
            return value;
        }
        ATELIER_ASSIGN(const uint32_t elementId, read<uint32_t>("array element type"));
        if (!isKnownGgufValueType(elementId))
            return formatError(mContext + " is an array of unknown element type " + std::to_string(elementId));
        value.elementType = GgufValueType(elementId);
        if (value.elementType == GgufValueType::Array)
            return formatError(mContext + " is an array of arrays; nested arrays are not supported");
        ATELIER_ASSIGN(value.count, read<uint64_t>("array count"));
        const bool strings = value.elementType == GgufValueType::String;
        const uint64_t minElementBytes = strings ? 8 : ggufValueTypeSize(value.elementType);
        if (value.count > mIn.remaining() / minElementBytes)
            return formatError("array count " + std::to_string(value.count) + " of " + mContext + " (" +
                               ggufValueTypeName(value.elementType) + " elements) runs past the end of the file (" +
                               std::to_string(mIn.remaining()) + " bytes left)");
        const uint64_t start = mIn.position();
        if (!strings) {
            (void)mIn.take(value.count * minElementBytes, value.raw);
            return value;
        }
        for (uint64_t i = 0; i < value.count; ++i) {
            uint64_t length = 0;
            if (!mIn.read(length) || !mIn.skip(length))
                return formatError("truncated GGUF file: string #" + std::to_string(i) + " of " + mContext +
                                   " runs past the end of the file");
        }
        value.raw = mFile.mBytes.subspan(size_t(start), size_t(mIn.position() - start));
        return value;
    }

    Status alignment()
    {
        mContext = "general.alignment";
        const GgufValue* value = mFile.find("general.alignment");
        if (!value)
            return {};
        const std::optional<uint64_t> alignment = value->isArray() ? std::nullopt : value->unsignedAt(0);
        if (!alignment || *alignment == 0 || *alignment > std::numeric_limits<uint32_t>::max() ||
            !std::has_single_bit(*alignment))
            return formatError("general.alignment must be a power of two that fits u32, got " +
                               describeValue(*value));
        mFile.mAlignment = uint32_t(*alignment);
        return {};
    }

    Status tensorTable()
    {
        for (uint64_t i = 0; i < mTensorCount; ++i) {
            mContext = "tensor #" + std::to_string(i);
            ATELIER_ASSIGN(const std::string_view name, readString("name"));
            if (name.empty())
                return formatError(mContext + " has an empty name");
            mContext = "tensor '" + printable(name) + "'";
            GgufTensor tensor;
            tensor.name = std::string(name);
            ATELIER_ASSIGN(const uint32_t nDims, read<uint32_t>("dimension count"));
            if (nDims < 1 || nDims > 4)
                return formatError(mContext + " has " + std::to_string(nDims) + " dimensions (1 to 4 allowed)");
            tensor.nDims = int(nDims);
            uint64_t elements = 1;
            for (uint32_t d = 0; d < nDims; ++d) {
                ATELIER_ASSIGN(const uint64_t n, read<uint64_t>("dimension"));
                if (n == 0 || n > uint64_t(std::numeric_limits<int64_t>::max()))
                    return formatError(mContext + " has dimension " + std::to_string(d) + " of size " +
                                       std::to_string(n) + " (must be 1 to 2^63-1)");
                if (mulOverflows(elements, n, elements) || elements > uint64_t(std::numeric_limits<int64_t>::max()))
                    return formatError(mContext + ": element count overflows at dimension " + std::to_string(d));
                tensor.ne[d] = int64_t(n);
            }
            ATELIER_ASSIGN(const uint32_t typeId, read<uint32_t>("ggml type"));
            const GgmlTypeInfo* info = ggmlTypeInfo(typeId);
            if (!info)
                return formatError(mContext + " has unknown ggml type " + std::to_string(typeId));
            tensor.type = info->type;
            ATELIER_ASSIGN(tensor.offset, read<uint64_t>("data offset"));
            ATELIER_TRY(checkTensor(tensor, *info, elements));
            if (!mFile.mTensorIndex.emplace(name, mFile.mTensors.size()).second)
                return formatError("duplicate tensor name '" + printable(name) + "'");
            mFile.mTensors.push_back(std::move(tensor));
        }
        return {};
    }

    Status checkTensor(GgufTensor& tensor, const GgmlTypeInfo& info, uint64_t elements)
    {
        if (uint64_t(tensor.ne[0]) % info.blockSize != 0)
            return formatError(mContext + ": row length " + std::to_string(tensor.ne[0]) +
                               " is not a multiple of " + info.name + "'s block size " +
                               std::to_string(info.blockSize));
        if (mulOverflows(elements / info.blockSize, info.typeSize, tensor.bytes))
            return formatError(mContext + ": byte size overflows");
        if (tensor.offset % mFile.mAlignment != 0)
            return formatError(mContext + ": data offset " + std::to_string(tensor.offset) +
                               " is not a multiple of the alignment " + std::to_string(mFile.mAlignment));
        return {};
    }

    // Places the data section and checks every tensor lies inside the file without overlap.
    Status layout()
    {
        const uint64_t align = mFile.mAlignment;
        const uint64_t end = mIn.position();
        mFile.mDataOffset = end + (align - end % align) % align;  // end <= file size: no overflow
        const uint64_t fileSize = mIn.size();
        std::vector<const GgufTensor*> byOffset;
        byOffset.reserve(mFile.mTensors.size());
        for (const GgufTensor& t : mFile.mTensors) {
            uint64_t start = 0, stop = 0;
            if (addOverflows(mFile.mDataOffset, t.offset, start) || addOverflows(start, t.bytes, stop) ||
                stop > fileSize)
                return formatError("tensor '" + printable(t.name) + "' (" + std::to_string(t.bytes) +
                                   " bytes at data offset " + std::to_string(t.offset) +
                                   ") lies outside the file (" + std::to_string(fileSize) + " bytes, data from byte " +
                                   std::to_string(mFile.mDataOffset) + ")");
            byOffset.push_back(&t);
        }
        std::stable_sort(byOffset.begin(), byOffset.end(),
                  [](const GgufTensor* a, const GgufTensor* b) { return a->offset < b->offset; });
        for (size_t i = 1; i < byOffset.size(); ++i) {
            const GgufTensor& a = *byOffset[i - 1];
            const GgufTensor& b = *byOffset[i];
            if (a.offset + a.bytes > b.offset)  // both inside the file: no overflow
                return formatError("tensors '" + printable(a.name) + "' and '" + printable(b.name) +
                                   "' overlap (data offsets " + std::to_string(a.offset) + "+" +
                                   std::to_string(a.bytes) + " and " + std::to_string(b.offset) + ")");
        }
        return {};
    }

    ByteReader mIn;
    GgufFile& mFile;
    std::string mContext;  // what is being read, for messages: "metadata key 'x'", "tensor 'y'"
    uint64_t mTensorCount = 0;
    uint64_t mKeyCount = 0;
};

Result<std::unique_ptr<GgufFile>> GgufFile::parse(std::span<const uint8_t> bytes)
{
    std::unique_ptr<GgufFile> file(new GgufFile);
    file->mBytes = bytes;
    GgufParser parser(bytes, *file);
    ATELIER_TRY(parser.run());
    return file;
}

} // namespace atelier::io

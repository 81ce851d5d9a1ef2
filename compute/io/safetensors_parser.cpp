// Parses and validates a safetensors file: header length, JSON header, tensor table, data layout.
// Format (huggingface/safetensors README): u64 little-endian N, N bytes of UTF-8 JSON
// {"name": {"dtype": "F16", "shape": [..], "data_offsets": [begin, end]}, ..., "__metadata__": {..}}
// (writers pad it with spaces), then the data; offsets count from the end of the header.

#include "io/byte_reader.h"
#include "io/gguf_describe.h"
#include "io/safetensors.h"
#include "io/safetensors_json.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace atelier::io {

namespace {

// The reference implementation's header limit; real headers are a few hundred kilobytes.
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
// Far beyond any real model (SDXL has ~2,500 tensors); bounds the table before the header does.
constexpr size_t kMaxTensors = size_t(1) << 20;
// Real weights have at most 5 dimensions (3-D convolutions).
constexpr size_t kMaxRank = 8;

Error formatError(std::string message) { return makeError(ErrorCode::Format, std::move(message)); }

Error within(const std::string& where, const Error& error)
{
    return makeError(error.code, where + ": " + error.message);
}

} // namespace

class SafetensorsParser {
public:
    SafetensorsParser(std::span<const uint8_t> bytes, SafetensorsFile& file) : mBytes(bytes), mFile(file) {}

    Status run()
    {
        ATELIER_ASSIGN(const std::string_view json, headerText());
        JsonCursor in(json);
        ATELIER_TRY(entries(in));
        ATELIER_TRY(sortByName());
        return layout();
    }

private:
    Result<std::string_view> headerText()
    {
        ByteReader in(mBytes);
        uint64_t length = 0;
        if (!in.read(length))
            return formatError("truncated safetensors file: " + std::to_string(mBytes.size()) +
                               " bytes, too short for the 8-byte header length");
        if (length > kMaxHeaderBytes)
            return formatError("header length " + std::to_string(length) + " is beyond the limit of " +
                               std::to_string(kMaxHeaderBytes) + " bytes (not a safetensors file?)");
        std::span<const uint8_t> header;
        if (!in.take(length, header))
            return formatError("truncated safetensors file: the header claims " + std::to_string(length) +
                               " bytes but only " + std::to_string(in.remaining()) + " follow");
        if (length < 2)
            return formatError("not a safetensors file: a header of " + std::to_string(length) +
                               " bytes cannot hold a JSON object");
        if (header[0] != '{')
            return formatError("not a safetensors file: the header does not start with '{' (bytes " +
                               hexBytes(header.first(std::min<size_t>(header.size(), 8))) + ")");
        mFile.mDataOffset = in.position();
        return std::string_view(reinterpret_cast<const char*>(header.data()), header.size());
    }

    // The top-level object: tensor entries and at most one "__metadata__".
    Status entries(JsonCursor& in)
    {
        ATELIER_TRY(in.expect('{', "'{'"));
        if (!in.consume('}')) {
            do {
                ATELIER_ASSIGN(std::string key, in.string());
                ATELIER_TRY(in.expect(':', "':'"));
                if (key == "__metadata__")
                    ATELIER_TRY(metadata(in));
                else
                    ATELIER_TRY(tensor(in, std::move(key)));
            } while (in.consume(','));
            ATELIER_TRY(in.expect('}', "',' or '}'"));
        }
        if (!in.atEnd())
            return in.error("unexpected text after the header's JSON object");
        return {};
    }

    Status metadata(JsonCursor& in)
    {
        if (mSawMetadata)
            return in.error("duplicate \"__metadata__\"");
        mSawMetadata = true;
        ATELIER_TRY(in.expect('{', "'{' opening \"__metadata__\""));
        if (in.consume('}'))
            return {};
        do {
            ATELIER_ASSIGN(std::string key, in.string());
            ATELIER_TRY(in.expect(':', "':'"));
            if (in.peek() != '"')
                return in.error("__metadata__ value of '" + printable(key) + "' is not a string");
            ATELIER_ASSIGN(std::string value, in.string());
            if (!mFile.mMetadata.emplace(key, std::move(value)).second)
                return in.error("duplicate __metadata__ key '" + printable(key) + "'");
        } while (in.consume(','));
        return in.expect('}', "',' or '}' closing \"__metadata__\"");
    }

    Status tensor(JsonCursor& in, std::string name)
    {
        const std::string where = "tensor '" + printable(name) + "'";
        if (name.empty())
            return in.error("a tensor has an empty name");
        if (mFile.mTensors.size() >= kMaxTensors)
            return in.error("more than " + std::to_string(kMaxTensors) + " tensors");
        SafetensorsTensor t;
        t.name = std::move(name);
        bool dtype = false, shape = false, offsets = false;
        auto once = [&](bool& seen, const char* field) -> Status {
            if (seen)
                return in.error(where + " has a duplicate \"" + field + "\"");
            seen = true;
            return {};
        };
        if (in.peek() != '{')
            return in.error(where + " is not a JSON object");
        ATELIER_TRY(in.expect('{', "'{'"));
        if (!in.consume('}')) {
            do {
                ATELIER_ASSIGN(const std::string field, in.string());
                ATELIER_TRY(in.expect(':', "':'"));
                if (field == "dtype") {
                    ATELIER_TRY(once(dtype, "dtype"));
                    ATELIER_TRY(readDType(in, where, t));
                } else if (field == "shape") {
                    ATELIER_TRY(once(shape, "shape"));
                    ATELIER_TRY(readShape(in, where, t));
                } else if (field == "data_offsets") {
                    ATELIER_TRY(once(offsets, "data_offsets"));
                    ATELIER_TRY(readOffsets(in, where, t));
                } else {
                    ATELIER_TRY(in.skipValue());  // the reference reader ignores unknown fields too
                }
            } while (in.consume(','));
            ATELIER_TRY(in.expect('}', "',' or '}'"));
        }
        for (const auto& [seen, field] : {std::pair{dtype, "dtype"}, {shape, "shape"}, {offsets, "data_offsets"}})
            if (!seen)
                return formatError(where + " lacks \"" + field + "\"");
        ATELIER_TRY(checkSize(t, where));
        mFile.mTensors.push_back(std::move(t));
        return {};
    }

    Status readDType(JsonCursor& in, const std::string& where, SafetensorsTensor& t)
    {
        auto name = in.string();
        if (!name)
            return within(where + " dtype", name.error());
        const std::optional<SafetensorsDType> type = safetensorsDTypeFromName(name.value());
        if (!type)
            return formatError(where + " has unknown dtype '" + printable(name.value()) + "'");
        t.dtype = *type;
        return {};
    }

    Status readShape(JsonCursor& in, const std::string& where, SafetensorsTensor& t)
    {
        if (in.peek() != '[')
            return in.error(where + " shape is not an array");
        ATELIER_TRY(in.expect('[', "'['"));
        if (in.consume(']'))
            return {};
        uint64_t elements = 1;
        do {
            if (t.shape.size() == kMaxRank)
                return formatError(where + " has more than " + std::to_string(kMaxRank) + " dimensions");
            auto dim = in.unsignedInteger();
            if (!dim)
                return within(where + " shape", dim.error());
            if (dim.value() > uint64_t(std::numeric_limits<int64_t>::max()))
                return formatError(where + " has dimension " + std::to_string(t.shape.size()) + " of size " +
                                   std::to_string(dim.value()) + " (at most 2^63-1)");
            if (__builtin_mul_overflow(elements, dim.value(), &elements) ||
                elements > uint64_t(std::numeric_limits<int64_t>::max()))
                return formatError(where + ": element count overflows at dimension " + std::to_string(t.shape.size()));
            t.shape.push_back(int64_t(dim.value()));
        } while (in.consume(','));
        return in.expect(']', "',' or ']'");
    }

    Status readOffsets(JsonCursor& in, const std::string& where, SafetensorsTensor& t)
    {
        if (in.peek() != '[')
            return in.error(where + " data_offsets is not an array");
        ATELIER_TRY(in.expect('[', "'['"));
        auto begin = in.unsignedInteger();
        if (!begin)
            return within(where + " data_offsets", begin.error());
        if (!in.consume(','))
            return in.error(where + " data_offsets must hold exactly two integers");
        auto end = in.unsignedInteger();
        if (!end)
            return within(where + " data_offsets", end.error());
        if (!in.consume(']'))
            return in.error(where + " data_offsets must hold exactly two integers");
        t.begin = begin.value();
        t.end = end.value();
        return {};
    }

    // shape x dtype must be exactly the byte range, computed without overflow.
    Status checkSize(const SafetensorsTensor& t, const std::string& where)
    {
        if (t.begin > t.end)
            return formatError(where + " has data_offsets [" + std::to_string(t.begin) + ", " +
                               std::to_string(t.end) + "] that end before they begin");
        uint64_t bits = 0;
        if (__builtin_mul_overflow(uint64_t(t.elements()), uint64_t(safetensorsDTypeBits(t.dtype)), &bits))
            return formatError(where + " " + describeTensor(t) + ": byte size overflows");
        if (bits % 8 != 0)
            return formatError(where + " " + describeTensor(t) + " does not fill a whole number of bytes");
        if (bits / 8 != t.end - t.begin)
            return formatError(where + " is " + describeTensor(t) + " = " + std::to_string(bits / 8) +
                               " bytes, but its data_offsets [" + std::to_string(t.begin) + ", " +
                               std::to_string(t.end) + "] span " + std::to_string(t.end - t.begin));
        return {};
    }

    Status sortByName()
    {
        auto& tensors = mFile.mTensors;
        std::sort(tensors.begin(), tensors.end(),
                  [](const SafetensorsTensor& a, const SafetensorsTensor& b) { return a.name < b.name; });
        for (size_t i = 1; i < tensors.size(); ++i)
            if (tensors[i - 1].name == tensors[i].name)
                return formatError("duplicate tensor name '" + printable(tensors[i].name) + "'");
        return {};
    }

    // Every tensor inside the data section, no two overlapping; then the views.
    Status layout()
    {
        auto& tensors = mFile.mTensors;
        const uint64_t dataBytes = mBytes.size() - mFile.mDataOffset;
        for (const SafetensorsTensor& t : tensors)
            if (t.end > dataBytes)
                return formatError("tensor '" + printable(t.name) + "' (data_offsets [" + std::to_string(t.begin) +
                                   ", " + std::to_string(t.end) + "]) lies outside the file: the data section has " +
                                   std::to_string(dataBytes) + " bytes");
        std::vector<size_t> order(tensors.size());
        std::iota(order.begin(), order.end(), size_t(0));
        std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return tensors[a].begin != tensors[b].begin ? tensors[a].begin < tensors[b].begin
                                                        : tensors[a].end < tensors[b].end;
        });
        for (size_t i = 1; i < order.size(); ++i) {
            const SafetensorsTensor& a = tensors[order[i - 1]];
            const SafetensorsTensor& b = tensors[order[i]];
            if (a.end > b.begin)
                return formatError("tensors '" + printable(a.name) + "' and '" + printable(b.name) +
                                   "' overlap (data_offsets [" + std::to_string(a.begin) + ", " +
                                   std::to_string(a.end) + "] and [" + std::to_string(b.begin) + ", " +
                                   std::to_string(b.end) + "])");
        }
        const std::span<const uint8_t> data = mBytes.subspan(size_t(mFile.mDataOffset));
        for (SafetensorsTensor& t : tensors)
            t.data = data.subspan(size_t(t.begin), size_t(t.end - t.begin));
        return {};
    }

    std::span<const uint8_t> mBytes;
    SafetensorsFile& mFile;
    bool mSawMetadata = false;
};

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::parse(std::span<const uint8_t> bytes)
{
    std::unique_ptr<SafetensorsFile> file(new SafetensorsFile);
    file->mBytes = bytes;
    SafetensorsParser parser(bytes, *file);
    ATELIER_TRY(parser.run());
    return file;
}

} // namespace atelier::io

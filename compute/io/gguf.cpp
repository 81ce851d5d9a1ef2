// GgufFile: opening, and typed access to metadata and tensors already validated by the parser.

#include "io/gguf.h"

#include "io/byte_reader.h"
#include "io/gguf_describe.h"
#include "io/mapped_file.h"

#include <type_traits>
#include <utility>

namespace atelier::io {

namespace {

Error wrongType(std::string_view key, const char* expected, const GgufValue& value)
{
    return makeError(ErrorCode::Format, "GGUF metadata key '" + printable(key) + "': expected " + expected +
                                            ", found " + describeValue(value));
}

template <typename T>
std::optional<T> integerAt(const GgufValue& value, uint64_t i)
{
    if constexpr (std::is_signed_v<T>) {
        const std::optional<int64_t> v = value.signedAt(i);
        if (v && std::in_range<T>(*v))
            return T(*v);
    } else {
        const std::optional<uint64_t> v = value.unsignedAt(i);
        if (v && std::in_range<T>(*v))
            return T(*v);
    }
    return std::nullopt;
}

template <typename T>
Result<T> scalarInteger(const GgufValue& value, std::string_view key, const char* expected)
{
    const std::optional<T> v = value.isArray() ? std::nullopt : integerAt<T>(value, 0);
    if (!v)
        return wrongType(key, expected, value);
    return *v;
}

} // namespace

GgufFile::GgufFile() = default;
GgufFile::~GgufFile() = default;

Result<std::unique_ptr<GgufFile>> GgufFile::open(const std::string& path)
{
    ATELIER_ASSIGN(std::unique_ptr<MappedFile> mapped, MappedFile::open(path));
    auto parsed = parse(mapped->bytes());
    if (!parsed)
        return makeError(parsed.error().code, path + ": " + parsed.error().message);
    std::unique_ptr<GgufFile> file = std::move(parsed).value();
    file->mFile = std::move(mapped);  // the views keep pointing into the same mapping
    return file;
}

const GgufValue* GgufFile::find(std::string_view key) const
{
    const auto it = mKeyIndex.find(key);
    return it == mKeyIndex.end() ? nullptr : &mMetadata[it->second].value;
}

Result<const GgufValue*> GgufFile::require(std::string_view key, const char* expected) const
{
    if (const GgufValue* value = find(key))
        return value;
    return makeError(ErrorCode::Format,
                     "GGUF metadata key '" + printable(key) + "' is missing (expected " + expected + ")");
}

Result<std::string> GgufFile::string(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "string"));
    if (value->type != GgufValueType::String)
        return wrongType(key, "string", *value);
    return std::string(value->text);
}

Result<uint32_t> GgufFile::u32(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "u32"));
    return scalarInteger<uint32_t>(*value, key, "u32");
}

Result<uint64_t> GgufFile::u64(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "u64"));
    return scalarInteger<uint64_t>(*value, key, "u64");
}

Result<int32_t> GgufFile::i32(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "i32"));
    return scalarInteger<int32_t>(*value, key, "i32");
}

Result<float> GgufFile::f32(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "f32"));
    const std::optional<double> v = value->isArray() ? std::nullopt : value->floatAt(0);
    if (!v)
        return wrongType(key, "f32", *value);
    return float(*v);
}

Result<bool> GgufFile::boolean(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "bool"));
    const std::optional<bool> v = value->isArray() ? std::nullopt : value->boolAt(0);
    if (!v)
        return wrongType(key, "bool", *value);
    return *v;
}

Result<std::vector<std::string>> GgufFile::stringArray(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "array of string"));
    if (!value->isArray() || value->elementType != GgufValueType::String)
        return wrongType(key, "array of string", *value);
    std::vector<std::string> out;
    out.reserve(size_t(value->count));  // the parser checked every element lies in the file
    ByteReader in(value->raw);
    for (uint64_t i = 0; i < value->count; ++i) {
        uint64_t length = 0;
        std::span<const uint8_t> bytes;
        if (!in.read(length) || !in.take(length, bytes))
            return wrongType(key, "array of string", *value);  // unreachable after parsing
        out.emplace_back(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    return out;
}

Result<std::vector<float>> GgufFile::f32Array(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "array of f32"));
    if (!value->isArray() || (value->elementType != GgufValueType::F32 && value->elementType != GgufValueType::F64))
        return wrongType(key, "array of f32", *value);
    std::vector<float> out(size_t(value->count));
    for (uint64_t i = 0; i < value->count; ++i)
        out[i] = float(*value->floatAt(i));
    return out;
}

Result<std::vector<int32_t>> GgufFile::i32Array(std::string_view key) const
{
    ATELIER_ASSIGN(const GgufValue* value, require(key, "array of i32"));
    if (!value->isArray() || !isGgufInteger(value->elementType))
        return wrongType(key, "array of i32", *value);
    std::vector<int32_t> out(size_t(value->count));
    for (uint64_t i = 0; i < value->count; ++i) {
        const std::optional<int32_t> v = integerAt<int32_t>(*value, i);
        if (!v)
            return makeError(ErrorCode::Format, "GGUF metadata key '" + printable(key) + "': element " +
                                                    std::to_string(i) + " does not fit i32");
        out[i] = *v;
    }
    return out;
}

std::string GgufFile::architecture() const
{
    const GgufValue* value = find("general.architecture");
    return value && value->type == GgufValueType::String ? std::string(value->text) : std::string();
}

const GgufTensor* GgufFile::tensor(std::string_view name) const
{
    const auto it = mTensorIndex.find(name);
    return it == mTensorIndex.end() ? nullptr : &mTensors[it->second];
}

std::span<const uint8_t> GgufFile::data(const GgufTensor& tensor) const
{
    return mBytes.subspan(size_t(mDataOffset + tensor.offset), size_t(tensor.bytes));
}

std::string formatShape(const GgufTensor& tensor)
{
    std::string out = "[";
    for (int d = 0; d < tensor.nDims; ++d)
        out += (d ? ", " : "") + std::to_string(tensor.ne[d]);
    return out + "]";
}

} // namespace atelier::io

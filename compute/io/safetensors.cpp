// SafetensorsFile: opening, the dtype table, and lookups into a table the parser validated.

#include "io/safetensors.h"

#include "io/gguf_describe.h"
#include "io/mapped_file.h"

#include <algorithm>
#include <iterator>

namespace atelier::io {

namespace {

struct DTypeEntry {
    SafetensorsDType type;
    const char* name;
    uint32_t bits;
};

// Names as the safetensors crate's Dtype serialises them.
constexpr DTypeEntry kDTypes[] = {
    {SafetensorsDType::Bool, "BOOL", 8},       {SafetensorsDType::U8, "U8", 8},
    {SafetensorsDType::I8, "I8", 8},           {SafetensorsDType::F8_E5M2, "F8_E5M2", 8},
    {SafetensorsDType::F8_E4M3, "F8_E4M3", 8}, {SafetensorsDType::F8_E8M0, "F8_E8M0", 8},
    {SafetensorsDType::I16, "I16", 16},        {SafetensorsDType::U16, "U16", 16},
    {SafetensorsDType::F16, "F16", 16},        {SafetensorsDType::BF16, "BF16", 16},
    {SafetensorsDType::I32, "I32", 32},        {SafetensorsDType::U32, "U32", 32},
    {SafetensorsDType::F32, "F32", 32},        {SafetensorsDType::F64, "F64", 64},
    {SafetensorsDType::I64, "I64", 64},        {SafetensorsDType::U64, "U64", 64},
    {SafetensorsDType::C64, "C64", 64},        {SafetensorsDType::F4, "F4", 4},
    {SafetensorsDType::F6_E2M3, "F6_E2M3", 6}, {SafetensorsDType::F6_E3M2, "F6_E3M2", 6},
};

static_assert(std::size(kDTypes) == size_t(SafetensorsDType::F6_E3M2) + 1);

const DTypeEntry& entry(SafetensorsDType type) { return kDTypes[size_t(type)]; }

} // namespace

const char* safetensorsDTypeName(SafetensorsDType type) { return entry(type).name; }

uint32_t safetensorsDTypeBits(SafetensorsDType type) { return entry(type).bits; }

std::optional<SafetensorsDType> safetensorsDTypeFromName(std::string_view name)
{
    for (const DTypeEntry& e : kDTypes)
        if (name == e.name)
            return e.type;
    return std::nullopt;
}

std::optional<DType> computeDType(SafetensorsDType type)
{
    switch (type) {
    case SafetensorsDType::F32: return DType::F32;
    case SafetensorsDType::F16: return DType::F16;
    case SafetensorsDType::BF16: return DType::BF16;
    default: return std::nullopt;
    }
}

int64_t SafetensorsTensor::elements() const
{
    int64_t n = 1;
    for (int64_t d : shape)
        n *= d;
    return n;
}

SafetensorsFile::SafetensorsFile() = default;
SafetensorsFile::~SafetensorsFile() = default;

Result<std::unique_ptr<SafetensorsFile>> SafetensorsFile::open(const std::string& path)
{
    ATELIER_ASSIGN(std::unique_ptr<MappedFile> mapped, MappedFile::open(path));
    auto parsed = parse(mapped->bytes());
    if (!parsed)
        return makeError(parsed.error().code, path + ": " + parsed.error().message);
    std::unique_ptr<SafetensorsFile> file = std::move(parsed).value();
    file->mFile = std::move(mapped);  // the views keep pointing into the same mapping
    file->mPath = path;
    return file;
}

const SafetensorsTensor* SafetensorsFile::find(std::string_view name) const
{
    const auto it = std::lower_bound(mTensors.begin(), mTensors.end(), name,
                                     [](const SafetensorsTensor& t, std::string_view n) { return t.name < n; });
    return it != mTensors.end() && it->name == name ? &*it : nullptr;
}

Result<const SafetensorsTensor*> SafetensorsFile::floatTensor(std::string_view name) const
{
    const std::string where = mPath.empty() ? std::string("the file") : mPath;
    const SafetensorsTensor* t = find(name);
    if (!t)
        return makeError(ErrorCode::Format, "tensor '" + printable(name) + "' is missing from " + where);
    if (!computeDType(t->dtype))
        return unusableDType(*t, where);
    return t;
}

std::optional<std::string_view> SafetensorsFile::metadata(std::string_view key) const
{
    const auto it = mMetadata.find(key);
    return it == mMetadata.end() ? std::nullopt : std::optional<std::string_view>(it->second);
}

std::string formatShape(std::span<const int64_t> shape)
{
    std::string out = "[";
    for (size_t d = 0; d < shape.size(); ++d)
        out += (d ? ", " : "") + std::to_string(shape[d]);
    return out + "]";
}

std::string describeTensor(const SafetensorsTensor& tensor)
{
    return std::string(safetensorsDTypeName(tensor.dtype)) + " " + formatShape(tensor.shape);
}

Error unusableDType(const SafetensorsTensor& tensor, std::string_view where)
{
    return makeError(ErrorCode::Format, "tensor '" + printable(tensor.name) + "' in " + std::string(where) +
                                            " has dtype " + safetensorsDTypeName(tensor.dtype) +
                                            ", which Atelier cannot use (it computes with F32, F16 and BF16)");
}

} // namespace atelier::io

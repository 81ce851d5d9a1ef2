#pragma once
// Reader of safetensors files: an 8-byte little-endian header length, a JSON header naming each
// tensor's dtype, shape and byte range (relative to the end of the header), then the data.
// Every byte is untrusted; a file that parses has every tensor inside the file, non-overlapping
// and exactly shape x dtype bytes long.

#include "core/dtype.h"
#include "core/result.h"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::io {

class MappedFile;

// Every dtype the safetensors format names. Atelier computes with F32, F16 and BF16; the others are
// known so that a file carrying them (position ids, EMA counters, fp8 weights) still opens, and
// only a request for such a tensor fails.
enum class SafetensorsDType : uint8_t {
    Bool, U8, I8, F8_E5M2, F8_E4M3, F8_E8M0, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64, C64,
    F4, F6_E2M3, F6_E3M2,
};

// "F16", as the header spells it.
const char* safetensorsDTypeName(SafetensorsDType type);
// Bits per element (4 for F4, 6 for F6_*, 8 and up for the rest).
uint32_t safetensorsDTypeBits(SafetensorsDType type);
std::optional<SafetensorsDType> safetensorsDTypeFromName(std::string_view name);
// The device dtype for F32, F16 and BF16; nullopt for types Atelier cannot compute with.
std::optional<DType> computeDType(SafetensorsDType type);

// One tensor of the header.
struct SafetensorsTensor {
    std::string name;
    SafetensorsDType dtype = SafetensorsDType::F32;
    std::vector<int64_t> shape;       // outermost first (PyTorch order); empty for a scalar
    uint64_t begin = 0;               // data_offsets: from the end of the header
    uint64_t end = 0;
    std::span<const uint8_t> data;    // the end - begin bytes, inside the file

    int64_t elements() const;         // product of shape (1 for a scalar; fits: checked at parse)
};

class SafetensorsFile {
public:
    // Maps the file and parses it; errors start with the path.
    static Result<std::unique_ptr<SafetensorsFile>> open(const std::string& path);
    // Parses bytes the caller keeps alive for the life of the result (tests, fuzzing).
    static Result<std::unique_ptr<SafetensorsFile>> parse(std::span<const uint8_t> bytes);
    ~SafetensorsFile();

    const std::string& path() const { return mPath; }   // empty when parsed from bytes
    std::span<const uint8_t> bytes() const { return mBytes; }
    uint64_t dataOffset() const { return mDataOffset; }  // 8 + header length

    // Sorted by name.
    std::span<const SafetensorsTensor> tensors() const { return mTensors; }
    const SafetensorsTensor* find(std::string_view name) const;
    // The tensor when it is present and of a dtype Atelier computes with; the error names the
    // tensor, its dtype and the file.
    Result<const SafetensorsTensor*> floatTensor(std::string_view name) const;

    // `__metadata__`: a string-to-string map (empty when the header has none).
    const std::map<std::string, std::string, std::less<>>& metadata() const { return mMetadata; }
    std::optional<std::string_view> metadata(std::string_view key) const;

private:
    friend class SafetensorsParser;
    SafetensorsFile();

    std::unique_ptr<MappedFile> mFile;  // null when parsed from caller-owned bytes
    std::string mPath;
    std::span<const uint8_t> mBytes;
    uint64_t mDataOffset = 0;
    std::vector<SafetensorsTensor> mTensors;
    std::map<std::string, std::string, std::less<>> mMetadata;
};

// "[320, 4, 3, 3]"; "[]" for a scalar.
std::string formatShape(std::span<const int64_t> shape);
// "I64 [1, 77]": a tensor's dtype and shape, for messages.
std::string describeTensor(const SafetensorsTensor& tensor);
// "'name' has dtype I64, which Atelier cannot use (it computes with F32, F16 and BF16)".
Error unusableDType(const SafetensorsTensor& tensor, std::string_view where);

} // namespace atelier::io

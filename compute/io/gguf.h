#pragma once
// Reader of GGUF model files (v2 and v3, little-endian): typed metadata, tensor table, data.
// Every byte is untrusted; a file that parses has every tensor inside the file, aligned,
// non-overlapping and exactly shape x type bytes long.

#include "core/result.h"
#include "io/gguf_types.h"

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace atelier::io {

class MappedFile;

// One entry of the tensor table.
struct GgufTensor {
    std::string name;
    std::array<int64_t, 4> ne{1, 1, 1, 1};  // ggml order: ne[0] is the row length (fastest)
    int nDims = 1;                          // 1..4; ne[nDims..3] are 1
    GgmlType type = GgmlType::F32;
    uint64_t offset = 0;                    // from the start of the data section
    uint64_t bytes = 0;                     // ne product / block size x type size

    int64_t elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

struct GgufKeyValue {
    std::string_view key;
    GgufValue value;
};

class GgufFile {
public:
    // Maps the file and parses it; I/O errors name the path, format errors name the problem.
    static Result<std::unique_ptr<GgufFile>> open(const std::string& path);
    // Parses bytes the caller keeps alive for the life of the result (tests, fuzzing).
    static Result<std::unique_ptr<GgufFile>> parse(std::span<const uint8_t> bytes);
    ~GgufFile();

    uint32_t version() const { return mVersion; }
    uint32_t alignment() const { return mAlignment; }
    uint64_t dataOffset() const { return mDataOffset; }  // file offset of the data section
    std::span<const uint8_t> bytes() const { return mBytes; }

    // Metadata in file order.
    std::span<const GgufKeyValue> metadata() const { return mMetadata; }
    const GgufValue* find(std::string_view key) const;

    // Typed getters. Errors name the key and the expected and actual types. Integer getters take
    // any integer type whose value fits; f32 also takes f64.
    Result<std::string> string(std::string_view key) const;
    Result<uint32_t> u32(std::string_view key) const;
    Result<uint64_t> u64(std::string_view key) const;
    Result<int32_t> i32(std::string_view key) const;
    Result<float> f32(std::string_view key) const;
    Result<bool> boolean(std::string_view key) const;
    Result<std::vector<std::string>> stringArray(std::string_view key) const;
    Result<std::vector<float>> f32Array(std::string_view key) const;
    Result<std::vector<int32_t>> i32Array(std::string_view key) const;

    // `general.architecture`, or empty when absent or not a string.
    std::string architecture() const;

    std::span<const GgufTensor> tensors() const { return mTensors; }
    const GgufTensor* tensor(std::string_view name) const;
    // The bytes of a tensor of this file (validated at parse time).
    std::span<const uint8_t> data(const GgufTensor& tensor) const;

private:
    friend class GgufParser;
    GgufFile();
    Result<const GgufValue*> require(std::string_view key, const char* expected) const;

    std::unique_ptr<MappedFile> mFile;  // null when parsed from caller-owned bytes
    std::span<const uint8_t> mBytes;
    uint32_t mVersion = 0;
    uint32_t mAlignment = 32;
    uint64_t mDataOffset = 0;
    std::vector<GgufKeyValue> mMetadata;
    std::unordered_map<std::string_view, size_t> mKeyIndex;     // key -> index in mMetadata
    std::vector<GgufTensor> mTensors;
    std::unordered_map<std::string_view, size_t> mTensorIndex;  // name (in mBytes) -> index
};

// Formats a shape as ggml does: "[640, 262144]".
std::string formatShape(const GgufTensor& tensor);

} // namespace atelier::io

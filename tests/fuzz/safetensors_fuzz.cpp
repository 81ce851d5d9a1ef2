// libFuzzer entry point for the safetensors reader: parse arbitrary bytes, then walk the tensor
// table, every tensor's bytes and the metadata, checking the reader's promises. A broken promise
// traps, so the fuzzer (or the replay driver) reports it like a crash.

#include "io/safetensors.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

using namespace atelier::io;

namespace {

volatile uint64_t gSink;  // keeps the reads from being optimised away

void check(bool promise)
{
    if (!promise)
        __builtin_trap();
}

void touchTensor(const SafetensorsFile& file, const SafetensorsTensor& t)
{
    check(!t.name.empty());
    check(t.shape.size() <= 8);
    uint64_t elements = 1;
    for (int64_t d : t.shape) {
        check(d >= 0);
        elements *= uint64_t(d);  // the parser refused any product past 2^63
    }
    check(uint64_t(t.elements()) == elements);
    check(t.begin <= t.end);
    check(elements * safetensorsDTypeBits(t.dtype) == (t.end - t.begin) * 8);
    check(t.data.size() == t.end - t.begin);
    check(t.data.empty() || (t.data.data() == file.bytes().data() + file.dataOffset() + t.begin &&
                             t.data.data() + t.data.size() <= file.bytes().data() + file.bytes().size()));
    check(file.find(t.name) == &t);
    check(safetensorsDTypeFromName(safetensorsDTypeName(t.dtype)) == t.dtype);
    auto usable = file.floatTensor(t.name);
    check(usable.ok() == computeDType(t.dtype).has_value());
    check(usable.ok() ? usable.value() == &t : !usable.error().message.empty());
    uint64_t sum = describeTensor(t).size();
    for (uint8_t b : t.data)
        sum += b;
    gSink = gSink + sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = SafetensorsFile::parse(std::span<const uint8_t>(data, size));
    if (!parsed.ok()) {
        check(!parsed.error().message.empty());
        return 0;
    }
    const SafetensorsFile& file = *parsed.value();
    check(file.dataOffset() >= 10 && file.dataOffset() <= size);
    const auto tensors = file.tensors();
    for (size_t i = 1; i < tensors.size(); ++i)
        check(tensors[i - 1].name < tensors[i].name);
    for (const SafetensorsTensor& t : tensors)
        touchTensor(file, t);

    // No two byte ranges overlap.
    std::vector<const SafetensorsTensor*> byOffset;
    for (const SafetensorsTensor& t : tensors)
        byOffset.push_back(&t);
    std::sort(byOffset.begin(), byOffset.end(), [](auto* a, auto* b) {
        return a->begin != b->begin ? a->begin < b->begin : a->end < b->end;
    });
    for (size_t i = 1; i < byOffset.size(); ++i)
        check(byOffset[i - 1]->end <= byOffset[i]->begin);

    uint64_t sum = 0;
    for (const auto& [key, value] : file.metadata()) {
        check(file.metadata(key) == std::string_view(value));
        sum += key.size() + value.size();
    }
    check(!file.find("\x01 not a tensor"));
    gSink = gSink + sum;
    return 0;
}

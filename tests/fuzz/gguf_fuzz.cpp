// libFuzzer entry point for the GGUF reader: parse arbitrary bytes, then read every value and every
// tensor's bytes back and check the reader's promises. A broken promise traps, so the fuzzer (or the
// replay driver) reports it like a crash.

#include "io/gguf.h"

#include <cstddef>
#include <cstdint>
#include <span>

using namespace atelier::io;

namespace {

volatile uint64_t gSink;  // keeps the reads from being optimised away

void check(bool promise)
{
    if (!promise)
        __builtin_trap();
}

void touchValue(const GgufFile& file, const GgufKeyValue& kv)
{
    const GgufValue& v = kv.value;
    uint64_t sum = kv.key.size() + v.raw.size() + v.text.size();
    for (uint64_t i = 0; i < (v.elementType == GgufValueType::String ? 0 : v.count); ++i) {
        sum += v.signedAt(i).value_or(0) + v.unsignedAt(i).value_or(0) + v.boolAt(i).value_or(false);
        sum += uint64_t(v.floatAt(i).value_or(0.0) != 0.0);
    }
    // Every typed getter must answer (value or message) without crashing.
    sum += file.u32(kv.key).ok() + file.u64(kv.key).ok() + file.i32(kv.key).ok() + file.f32(kv.key).ok();
    sum += file.boolean(kv.key).ok() + file.f32Array(kv.key).ok() + file.i32Array(kv.key).ok();
    if (auto s = file.string(kv.key); s.ok())
        sum += s.value().size();
    if (auto strings = file.stringArray(kv.key); strings.ok()) {
        check(strings.value().size() == v.count);
        for (const std::string& s : strings.value())
            sum += s.size();
    }
    check(file.find(kv.key) != nullptr);
    gSink = gSink + sum;
}

void touchTensor(const GgufFile& file, const GgufTensor& t)
{
    const GgmlTypeInfo* info = ggmlTypeInfo(uint32_t(t.type));
    check(info != nullptr);
    check(t.nDims >= 1 && t.nDims <= 4);
    for (int64_t n : t.ne)
        check(n >= 1);
    check(t.ne[0] % info->blockSize == 0);
    check(t.bytes == uint64_t(t.elements()) / info->blockSize * info->typeSize);
    check(t.offset % file.alignment() == 0);
    check(file.tensor(t.name) == &t);
    const std::span<const uint8_t> data = file.data(t);
    check(data.size() == t.bytes);
    check(data.data() >= file.bytes().data() && data.data() + data.size() <= file.bytes().data() + file.bytes().size());
    uint64_t sum = formatShape(t).size();
    for (uint8_t b : data)
        sum += b;
    gSink = gSink + sum;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    auto parsed = GgufFile::parse(std::span<const uint8_t>(data, size));
    if (!parsed.ok()) {
        check(!parsed.error().message.empty());
        return 0;
    }
    const GgufFile& file = *parsed.value();
    check(file.version() == 2 || file.version() == 3);
    check(file.alignment() != 0 && (file.alignment() & (file.alignment() - 1)) == 0);
    for (const GgufKeyValue& kv : file.metadata())
        touchValue(file, kv);
    for (const GgufTensor& t : file.tensors())
        touchTensor(file, t);
    gSink = gSink + file.architecture().size();
    return 0;
}

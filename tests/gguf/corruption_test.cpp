// Corrupt files made in memory from the good fixtures: each one must fail with a Format error whose
// message names the problem, never crash, hang or allocate from a bogus count.

#include "tst_gguf.h"

#include <cstring>
#include <limits>

using namespace atelier;
using namespace atelier::io;

namespace {

// Position just after the length-prefixed string `text` (a key or a tensor name): where the value
// type or the tensor's dimension count starts.
qsizetype after(const QByteArray& bytes, const QByteArray& text)
{
    QByteArray needle(8, '\0');
    const uint64_t length = uint64_t(text.size());
    std::memcpy(needle.data(), &length, 8);
    needle += text;
    const qsizetype at = bytes.indexOf(needle);
    if (at < 0 || bytes.indexOf(needle, at + 1) >= 0)
        qFatal("fixture lacks a unique '%s'", text.constData());
    return at + needle.size();
}

template <typename T>
QByteArray patched(QByteArray bytes, qsizetype at, T value)
{
    std::memcpy(bytes.data() + at, &value, sizeof value);
    return bytes;
}

QByteArray patchedText(QByteArray bytes, const QByteArray& from, const QByteArray& to)
{
    const qsizetype at = after(bytes, from) - from.size();
    bytes.replace(at, to.size(), to);
    return bytes;
}

constexpr uint64_t kHuge = std::numeric_limits<uint64_t>::max();

} // namespace

void TestGguf::rejectsCorruption_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("message");
    const QByteArray good = test::fixture("all_types.gguf");
    const QByteArray a64 = test::fixture("aligned64.gguf");
    auto row = [](const char* name, const QByteArray& bytes, const char* message) {
        QTest::newRow(name) << bytes << QString::fromUtf8(message);
    };

    // Header: magic, version, counts.
    row("bad magic", patched<uint32_t>(good, 0, 0x46554747 ^ 0x20), "not a GGUF file: it starts with bytes 67 47 55 46");
    row("version 1", patched<uint32_t>(good, 4, 1), "GGUF version 1 (the 2023 draft format) is not supported");
    row("version 99", patched<uint32_t>(good, 4, 99), "unsupported GGUF version 99");
    row("version 0", patched<uint32_t>(good, 4, 0), "unsupported GGUF version 0");
    row("big-endian", patched<uint32_t>(good, 4, 0x03000000), "big-endian GGUF files are not supported");
    row("huge tensor count", patched<uint64_t>(good, 8, kHuge), "absurd tensor count 18446744073709551615");
    row("tensor count past 2^20", patched<uint64_t>(good, 8, (1u << 20) + 1), "absurd tensor count 1048577");
    row("huge key count", patched<uint64_t>(good, 16, kHuge), "absurd metadata key-value count");
    row("counts beyond the file", patched<uint64_t>(good, 16, 1000),
        "truncated GGUF file: the header announces 1000 metadata entries and 7 tensors");

    // Metadata.
    const qsizetype name = after(good, "general.name");
    row("key length past the end", patched<uint64_t>(good, name - 20, 1ull << 40),
        "key of metadata entry #1 claims 1099511627776 bytes, past the end of the file");
    row("string length past the end", patched<uint64_t>(good, after(good, "general.architecture") + 4, kHuge),
        "string value of metadata key 'general.architecture' claims 18446744073709551615 bytes, past the end");
    row("unknown value type", patched<uint32_t>(good, after(good, "test.u8"), 13),
        "metadata key 'test.u8' has unknown value type 13");
    row("nested array", patched<uint32_t>(good, after(good, "test.array.u8") + 4, 9),
        "metadata key 'test.array.u8' is an array of arrays; nested arrays are not supported");
    row("unknown element type", patched<uint32_t>(good, after(good, "test.array.u8") + 4, 77),
        "metadata key 'test.array.u8' is an array of unknown element type 77");
    row("huge array count", patched<uint64_t>(good, after(good, "test.array.u32") + 8, kHuge / 2),
        "array count 9223372036854775807 of metadata key 'test.array.u32' (u32 elements) runs past the end");
    row("huge string array count", patched<uint64_t>(good, after(good, "test.array.string") + 8, 1ull << 32),
        "array count 4294967296 of metadata key 'test.array.string' (string elements) runs past the end");
    row("array string past the end", patched<uint64_t>(good, after(good, "test.array.string") + 16, 1ull << 33),
        "string #0 of metadata key 'test.array.string' runs past the end");
    row("duplicate key", patchedText(good, "test.i8", "test.u8"), "duplicate metadata key 'test.u8'");
    const qsizetype alignment = after(a64, "general.alignment");
    row("alignment 48", patched<uint32_t>(a64, alignment + 4, 48),
        "general.alignment must be a power of two that fits u32, got u32 48");
    row("alignment 0", patched<uint32_t>(a64, alignment + 4, 0), "power of two that fits u32, got u32 0");
    row("alignment as f32", patched<uint32_t>(a64, alignment, 6), "power of two that fits u32, got f32");

    // Tensor table.
    const qsizetype f32 = after(good, "t.f32");  // n_dims 2, ne [3, 2], type, offset 0
    const qsizetype f16 = after(good, "t.f16");  // n_dims 1, ne [5], type, offset 32
    row("empty tensor name", patched<uint64_t>(good, f32 - 13, 0), "tensor #0 has an empty name");
    row("five dimensions", patched<uint32_t>(good, f32, 5), "tensor 't.f32' has 5 dimensions (1 to 4 allowed)");
    row("zero dimensions", patched<uint32_t>(good, f32, 0), "tensor 't.f32' has 0 dimensions");
    row("zero-sized dimension", patched<uint64_t>(good, f32 + 12, 0), "tensor 't.f32' has dimension 1 of size 0");
    row("dimension past i64", patched<uint64_t>(good, f32 + 4, kHuge), "tensor 't.f32' has dimension 0 of size 18446744073709551615");
    row("element count overflow",
        patched<uint64_t>(patched<uint64_t>(good, f32 + 4, 1ull << 40), f32 + 12, 1ull << 40),
        "tensor 't.f32': element count overflows at dimension 1");
    row("unknown ggml type", patched<uint32_t>(good, f16 + 12, 200), "tensor 't.f16' has unknown ggml type 200");
    row("removed ggml type", patched<uint32_t>(good, f16 + 12, 4), "tensor 't.f16' has unknown ggml type 4");
    row("row not a whole block", patched<uint64_t>(good, after(good, "t.q8_0") + 4, 48),
        "tensor 't.q8_0': row length 48 is not a multiple of q8_0's block size 32");
    row("misaligned offset", patched<uint64_t>(good, f16 + 16, 33),
        "tensor 't.f16': data offset 33 is not a multiple of the alignment 32");
    row("offset past the end", patched<uint64_t>(good, after(good, "t.q4_k") + 24, 416 + 1024),
        "tensor 't.q4_k' (144 bytes at data offset 1440) lies outside the file (2112 bytes, data from byte 1536)");
    row("offset wraps around", patched<uint64_t>(good, after(good, "t.q4_k") + 24, kHuge - 31),
        "tensor 't.q4_k' (144 bytes at data offset 18446744073709551584) lies outside the file");
    row("same offset", patched<uint64_t>(good, f16 + 16, 0), "tensors 't.f32' and 't.f16' overlap");
    row("partial overlap", patched<uint64_t>(good, after(good, "t.4d") + 40, 128),
        "tensors 't.i32' and 't.4d' overlap (data offsets 64+96 and 128)");
    row("bigger type runs out of the file", patched<uint32_t>(good, after(good, "t.q4_k") + 20, 0),
        "tensor 't.q4_k' (1024 bytes at data offset 416) lies outside the file");
    row("duplicate tensor", patchedText(good, "t.f16", "t.f32"), "duplicate tensor name 't.f32'");
    row("data cut short", good.left(2000), "tensor 't.q4_k' (144 bytes at data offset 416) lies outside the file");
}

void TestGguf::rejectsCorruption()
{
    QFETCH(QByteArray, bytes);
    QFETCH(QString, message);
    auto r = test::parseBytes(bytes);
    QVERIFY2(!r.ok(), "a corrupt file parsed");
    QCOMPARE(r.error().code, ErrorCode::Format);
    QVERIFY2(QString::fromStdString(r.error().message).contains(message), r.error().message.c_str());
}

void TestGguf::rejectsEveryTruncation_data()
{
    QTest::addColumn<QString>("name");
    for (const char* name : {"all_types.gguf", "aligned64.gguf", "metadata_only.gguf", "empty_array.gguf"})
        QTest::newRow(name) << QString(name);
}

// Every prefix of a fixture either fails with a message about the missing bytes or, when only the
// trailing padding is cut, parses to the same tables.
void TestGguf::rejectsEveryTruncation()
{
    QFETCH(QString, name);
    const QByteArray whole = test::fixture(name.toUtf8().constData());
    ASSIGN_OR_FAIL(auto full, test::parseBytes(whole));
    uint64_t needed = full->dataOffset() - full->alignment() + 1;  // the table ends in the last block
    for (const GgufTensor& t : full->tensors())
        needed = std::max(needed, full->dataOffset() + t.offset + t.bytes);
    for (qsizetype n = 0; n < whole.size(); ++n) {
        const QByteArray prefix = whole.left(n);
        auto r = test::parseBytes(prefix);
        if (r.ok()) {
            QVERIFY2(uint64_t(n) >= needed, qPrintable(QString("prefix of %1 bytes parsed").arg(n)));
            QCOMPARE(r.value()->metadata().size(), full->metadata().size());
            QCOMPARE(r.value()->tensors().size(), full->tensors().size());
            continue;
        }
        const std::string& message = r.error().message;
        const bool named = message.find("truncated GGUF file") == 0 || message.find("past the end") != std::string::npos ||
                           message.find("lies outside the file") != std::string::npos;
        QVERIFY2(named, qPrintable(QString("prefix %1: %2").arg(n).arg(QString::fromStdString(message))));
    }
}

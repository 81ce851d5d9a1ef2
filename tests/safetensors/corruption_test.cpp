// Corrupt files from make_fixtures.py (one defect each) and every truncation of the valid ones:
// each must fail with a Format error whose message names the problem, never crash or allocate
// from a bogus length.

#include "tst_safetensors.h"

#include <QDir>

using namespace atelier;
using namespace atelier::io;

void TestSafetensors::rejectsCorruptFiles_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<QString>("message");
    auto row = [](const char* name, const char* message) {
        QTest::newRow(name) << QString("corrupt/%1.safetensors").arg(name) << QString::fromUtf8(message);
    };
    // The 8-byte length and the header's bounds.
    row("length_cut", "truncated safetensors file: 5 bytes, too short for the 8-byte header length");
    row("header_beyond_limit", "header length 100000001 is beyond the limit of 100000000 bytes");
    row("header_past_end", "truncated safetensors file: the header claims 1000 bytes but only 7 follow");
    row("not_json", "not a safetensors file: the header does not start with '{' (bytes 47 47 55 46 03 00 00 00)");
    row("empty_header", "not a safetensors file: a header of 0 bytes cannot hold a JSON object");
    // JSON syntax.
    row("trailing_text", "unexpected text after the header's JSON object at byte 54");
    row("trailing_comma", "expected a string, found '}'");
    row("unterminated_string", "unterminated string at byte 3");
    row("invalid_utf8", "invalid UTF-8 in a string at byte 2");
    row("lone_surrogate", "high surrogate without its low half");
    row("control_char", "control character 0x09 inside a string");
    row("deep_nesting", "JSON nested deeper than 64 levels");
    row("leading_zero", "tensor 'a' shape: integer with a leading zero");
    row("negative_dim", "tensor 'a' shape: expected a non-negative integer, found a negative number");
    row("fraction_offset", "tensor 'a' data_offsets: expected an integer, found a fraction or exponent");
    row("dim_beyond_u64", "tensor 'a' shape: integer does not fit 64 bits");
    // Entries.
    row("duplicate_tensor", "duplicate tensor name 'a'");
    row("duplicate_field", "tensor 'a' has a duplicate \"dtype\"");
    row("duplicate_metadata", "duplicate \"__metadata__\"");
    row("duplicate_metadata_key", "duplicate __metadata__ key 'k'");
    row("metadata_number", "__metadata__ value of 'steps' is not a string");
    row("tensor_not_object", "tensor 'a' is not a JSON object");
    row("empty_name", "a tensor has an empty name");
    row("missing_dtype", "tensor 'a' lacks \"dtype\"");
    row("missing_offsets", "tensor 'a' lacks \"data_offsets\"");
    row("three_offsets", "tensor 'a' data_offsets must hold exactly two integers");
    row("unknown_dtype", "tensor 'a' has unknown dtype 'Q4_0'");
    // Sizes.
    row("dim_beyond_i64", "tensor 'a' has dimension 0 of size 9223372036854775808 (at most 2^63-1)");
    row("elements_overflow", "tensor 'a': element count overflows at dimension 1");
    row("bytes_overflow", "tensor 'a' F64 [4611686018427387904]: byte size overflows");
    row("nine_dims", "tensor 'a' has more than 8 dimensions");
    row("f4_odd", "tensor 'a' F4 [3] does not fill a whole number of bytes");
    row("size_mismatch", "tensor 'a' is F16 [2, 3] = 12 bytes, but its data_offsets [0, 8] span 8");
    row("begin_after_end", "tensor 'a' has data_offsets [8, 4] that end before they begin");
    // Layout.
    row("data_cut", "tensor 'a' (data_offsets [0, 8]) lies outside the file: the data section has 6 bytes");
    row("offsets_past_end", "tensor 'a' (data_offsets [1099511627776, 1099511627784]) lies outside the file: "
                            "the data section has 8 bytes");
    row("overlap", "tensors 'a' and 'b' overlap (data_offsets [0, 8] and [4, 8])");
}

void TestSafetensors::rejectsCorruptFiles()
{
    QFETCH(QString, name);
    QFETCH(QString, message);
    auto r = test::parseBytes(test::fixtureBytes(name));
    QVERIFY2(!r.ok(), "a corrupt file parsed");
    QCOMPARE(r.error().code, ErrorCode::Format);
    QVERIFY2(QString::fromStdString(r.error().message).contains(message), r.error().message.c_str());
}

void TestSafetensors::rejectsEveryTruncation_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("step");
    for (const QString& name : QDir(QString::fromStdString(test::fixturePath("files"))).entryList(QDir::Files))
        QTest::newRow(qPrintable(name)) << "files/" + name << 1;
    QTest::newRow("tiny_sd2") << "tiny_sd2.safetensors" << 97;
}

// Every prefix (every `step`-th) of a valid file fails with a message about the missing bytes, or,
// when only bytes past the last tensor are cut, parses to the same table.
void TestSafetensors::rejectsEveryTruncation()
{
    QFETCH(QString, name);
    QFETCH(int, step);
    const QByteArray whole = test::fixtureBytes(name);
    ASSIGN_OR_FAIL(auto full, test::parseBytes(whole));
    uint64_t needed = full->dataOffset();
    for (const SafetensorsTensor& t : full->tensors())
        needed = std::max(needed, full->dataOffset() + t.end);
    QCOMPARE(needed, uint64_t(whole.size()));
    for (qsizetype n = 0; n < whole.size(); n += step) {
        auto r = test::parseBytes(whole.left(n));
        QVERIFY2(!r.ok(), qPrintable(QString("prefix of %1 bytes parsed").arg(n)));
        const std::string& message = r.error().message;
        const bool named = message.starts_with("truncated safetensors file") ||
                           message.find("lies outside the file") != std::string::npos;
        QVERIFY2(named, qPrintable(QString("prefix %1: %2").arg(n).arg(QString::fromStdString(message))));
    }
}

// Fixtures from make_fixtures.py (the `gguf` package's writer) read back value by value.

#include "tst_gguf.h"

#include "core/dtype.h"
#include "io/mapped_file.h"

#include <QFile>
#include <QTemporaryDir>

#include <cstring>

using namespace atelier;
using namespace atelier::io;

namespace atelier::test {

QByteArray fixture(const char* name)
{
    QFile file(QStringLiteral(ATELIER_GGUF_FIXTURES "/") + QLatin1String(name));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(file.fileName()));
    return file.readAll();
}

} // namespace atelier::test

namespace {

// make_fixtures.py's deterministic_bytes(n, seed)[i].
uint8_t fixtureByte(uint32_t i, uint32_t seed) { return uint8_t((i * 2654435761u + seed) >> 13); }

bool valueEquals(const GgufValue& value, uint64_t i, const QVariant& expected)
{
    switch (expected.typeId()) {
    case QMetaType::LongLong: return value.signedAt(i) == expected.toLongLong();
    case QMetaType::ULongLong: return value.unsignedAt(i) == expected.toULongLong();
    case QMetaType::Double: return value.floatAt(i) == expected.toDouble();
    case QMetaType::Bool: return value.boolAt(i) == expected.toBool();
    default: return false;
    }
}

} // namespace

void TestGguf::opensEveryFixture_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<uint>("version");
    QTest::addColumn<uint>("alignment");
    QTest::addColumn<int>("keys");
    QTest::addColumn<int>("tensors");
    QTest::addColumn<qulonglong>("dataOffset");
    QTest::newRow("all types") << "all_types.gguf" << 3u << 32u << 30 << 7 << 1536ull;
    QTest::newRow("alignment 64") << "aligned64.gguf" << 3u << 64u << 2 << 2 << 192ull;
    QTest::newRow("version 2") << "v2.gguf" << 2u << 64u << 2 << 2 << 192ull;
    QTest::newRow("metadata only") << "metadata_only.gguf" << 3u << 32u << 3 << 0 << 224ull;
    QTest::newRow("empty array") << "empty_array.gguf" << 3u << 32u << 2 << 0 << 128ull;
}

void TestGguf::opensEveryFixture()
{
    QFETCH(QString, name);
    QFETCH(uint, version);
    QFETCH(uint, alignment);
    QFETCH(int, keys);
    QFETCH(int, tensors);
    QFETCH(qulonglong, dataOffset);
    ASSIGN_OR_FAIL(auto file, GgufFile::open((QStringLiteral(ATELIER_GGUF_FIXTURES "/") + name).toStdString()));
    QCOMPARE(file->version(), version);
    QCOMPARE(file->alignment(), alignment);
    QCOMPARE(int(file->metadata().size()), keys);
    QCOMPARE(int(file->tensors().size()), tensors);
    QCOMPARE(file->dataOffset(), dataOffset);
    QCOMPARE(file->architecture(), std::string("testarch"));
}

void TestGguf::readsScalars_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<uint>("type");
    QTest::addColumn<QVariant>("expected");
    using T = GgufValueType;
    QTest::newRow("u8") << "test.u8" << uint(T::U8) << QVariant(200ull);
    QTest::newRow("i8") << "test.i8" << uint(T::I8) << QVariant(-100ll);
    QTest::newRow("u16") << "test.u16" << uint(T::U16) << QVariant(60000ull);
    QTest::newRow("i16") << "test.i16" << uint(T::I16) << QVariant(-30000ll);
    QTest::newRow("u32") << "test.u32" << uint(T::U32) << QVariant(4000000000ull);
    QTest::newRow("i32") << "test.i32" << uint(T::I32) << QVariant(-2000000000ll);
    QTest::newRow("f32") << "test.f32" << uint(T::F32) << QVariant(1.5);
    QTest::newRow("true") << "test.bool_true" << uint(T::Bool) << QVariant(true);
    QTest::newRow("false") << "test.bool_false" << uint(T::Bool) << QVariant(false);
    QTest::newRow("u64 above i64") << "test.u64" << uint(T::U64) << QVariant(10000000000000000000ull);
    QTest::newRow("i64") << "test.i64" << uint(T::I64) << QVariant(-9000000000000000000ll);
    QTest::newRow("f64") << "test.f64" << uint(T::F64) << QVariant(3.141592653589793);
    QTest::newRow("empty string") << "test.string_empty" << uint(T::String) << QVariant(QString(""));
    QTest::newRow("utf-8 string") << "test.string_utf8" << uint(T::String)
                                  << QVariant(QString::fromUtf8("h\u00e9llo, \u4e16\u754c \u2713"));
    QTest::newRow("name") << "general.name" << uint(T::String) << QVariant(QString("Atelier fixture"));
}

void TestGguf::readsScalars()
{
    QFETCH(QString, key);
    QFETCH(uint, type);
    QFETCH(QVariant, expected);
    const QByteArray bytes = test::fixture("all_types.gguf");
    ASSIGN_OR_FAIL(auto file, test::parseBytes(bytes));
    const GgufValue* value = file->find(key.toStdString());
    QVERIFY(value);
    QCOMPARE(uint(value->type), type);
    QVERIFY(!value->isArray());
    if (expected.typeId() == QMetaType::QString) {
        QCOMPARE(QString::fromUtf8(value->text.data(), qsizetype(value->text.size())), expected.toString());
        ASSIGN_OR_FAIL(const std::string text, file->string(key.toStdString()));
        QCOMPARE(QString::fromStdString(text), expected.toString());
    } else {
        QVERIFY2(valueEquals(*value, 0, expected), qPrintable(expected.toString()));
    }
}

void TestGguf::readsArrays_data()
{
    QTest::addColumn<QString>("key");
    QTest::addColumn<uint>("elementType");
    QTest::addColumn<QVariantList>("expected");
    using T = GgufValueType;
    QTest::newRow("u8") << "test.array.u8" << uint(T::U8) << QVariantList{1ull, 2ull, 255ull};
    QTest::newRow("i8") << "test.array.i8" << uint(T::I8) << QVariantList{-128ll, 0ll, 127ll};
    QTest::newRow("u16") << "test.array.u16" << uint(T::U16) << QVariantList{0ull, 65535ull};
    QTest::newRow("i16") << "test.array.i16" << uint(T::I16) << QVariantList{-32768ll, 32767ll};
    QTest::newRow("u32") << "test.array.u32" << uint(T::U32) << QVariantList{1ull, 2ull, 3ull, 4294967295ull};
    QTest::newRow("i32") << "test.array.i32" << uint(T::I32) << QVariantList{-5ll, 0ll, 5ll, 2147483647ll};
    QTest::newRow("f32") << "test.array.f32" << uint(T::F32) << QVariantList{0.5, -2.25, double(1e-6f)};
    QTest::newRow("bool") << "test.array.bool" << uint(T::Bool) << QVariantList{true, false, true};
    QTest::newRow("string") << "test.array.string" << uint(T::String)
                            << QVariantList{"<pad>", "", QString::fromUtf8("\u2581the"), "a\nb"};
    QTest::newRow("u64") << "test.array.u64" << uint(T::U64) << QVariantList{0ull, 18446744073709551615ull};
    QTest::newRow("i64") << "test.array.i64" << uint(T::I64)
                         << QVariantList{qlonglong(INT64_MIN), qlonglong(INT64_MAX)};
    QTest::newRow("f64") << "test.array.f64" << uint(T::F64) << QVariantList{2.5, -1e300};
}

void TestGguf::readsArrays()
{
    QFETCH(QString, key);
    QFETCH(uint, elementType);
    QFETCH(QVariantList, expected);
    const QByteArray bytes = test::fixture("all_types.gguf");
    ASSIGN_OR_FAIL(auto file, test::parseBytes(bytes));
    const GgufValue* value = file->find(key.toStdString());
    QVERIFY(value);
    QVERIFY(value->isArray());
    QCOMPARE(uint(value->elementType), elementType);
    QCOMPARE(value->count, uint64_t(expected.size()));
    if (value->elementType == GgufValueType::String) {
        ASSIGN_OR_FAIL(const auto strings, file->stringArray(key.toStdString()));
        QCOMPARE(strings.size(), size_t(expected.size()));
        for (int i = 0; i < expected.size(); ++i)
            QCOMPARE(QString::fromStdString(strings[i]), expected[i].toString());
        return;
    }
    for (int i = 0; i < expected.size(); ++i)
        QVERIFY2(valueEquals(*value, uint64_t(i), expected[i]), qPrintable(QString("element %1").arg(i)));
}

void TestGguf::typedGettersConvertOrNameTheMismatch()
{
    const QByteArray bytes = test::fixture("all_types.gguf");
    ASSIGN_OR_FAIL(auto file, test::parseBytes(bytes));
    QCOMPARE(file->u32("test.u8").value(), 200u);
    QCOMPARE(file->u32("test.small_u32").value(), 7u);
    QCOMPARE(file->u32("test.u32").value(), 4000000000u);
    QCOMPARE(file->u64("test.u64").value(), 10000000000000000000ull);
    QCOMPARE(file->i32("test.negative_i32").value(), -3);
    QCOMPARE(file->i32("test.i16").value(), -30000);
    QCOMPARE(file->f32("test.f32").value(), 1.5f);
    QCOMPARE(file->f32("test.f64").value(), 3.14159265f);
    QCOMPARE(file->boolean("test.bool_true").value(), true);
    QCOMPARE(file->i32Array("test.array.i16").value(), (std::vector<int32_t>{-32768, 32767}));
    QCOMPARE(file->f32Array("test.array.f32").value(), (std::vector<float>{0.5f, -2.25f, 1e-6f}));

    struct Case { Status status; const char* needle; };
    auto status = [](const auto& r) { return r.ok() ? Status() : Status(r.error()); };
    const Case cases[] = {
        {status(file->u32("test.negative_i32")), "'test.negative_i32': expected u32, found i32 -3"},
        {status(file->u32("test.u64")), "expected u32, found u64 10000000000000000000"},
        {status(file->i32("test.u32")), "expected i32, found u32 4000000000"},
        {status(file->string("test.u8")), "'test.u8': expected string, found u8 200"},
        {status(file->f32("test.string_utf8")), "expected f32, found string"},
        {status(file->boolean("test.u8")), "expected bool, found u8"},
        {status(file->u32("test.array.u32")), "expected u32, found array of 4 u32"},
        {status(file->stringArray("test.array.u8")), "expected array of string, found array of 3 u8"},
        {status(file->i32Array("test.array.u32")), "'test.array.u32': element 3 does not fit i32"},
        {status(file->f32Array("test.array.i32")), "expected array of f32, found array of 4 i32"},
        {status(file->u32("no.such.key")), "'no.such.key' is missing (expected u32)"},
    };
    for (const Case& c : cases) {
        QVERIFY2(!c.status.ok(), c.needle);
        QCOMPARE(c.status.error().code, ErrorCode::Format);
        QVERIFY2(c.status.error().message.find(c.needle) != std::string::npos, c.status.error().message.c_str());
    }
}

void TestGguf::readsTensors_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<uint>("type");
    QTest::addColumn<QList<qlonglong>>("shape");
    QTest::addColumn<qulonglong>("bytes");
    QTest::addColumn<qulonglong>("offset");
    using G = GgmlType;
    QTest::newRow("f32 2-D") << "t.f32" << uint(G::F32) << QList<qlonglong>{3, 2} << 24ull << 0ull;
    QTest::newRow("f16 1-D") << "t.f16" << uint(G::F16) << QList<qlonglong>{5} << 10ull << 32ull;
    QTest::newRow("i32 3-D") << "t.i32" << uint(G::I32) << QList<qlonglong>{4, 3, 2} << 96ull << 64ull;
    QTest::newRow("f32 4-D") << "t.4d" << uint(G::F32) << QList<qlonglong>{2, 3, 1, 2} << 48ull << 160ull;
    QTest::newRow("bf16") << "t.bf16" << uint(G::BF16) << QList<qlonglong>{8, 1} << 16ull << 224ull;
    QTest::newRow("q8_0") << "t.q8_0" << uint(G::Q8_0) << QList<qlonglong>{64, 2} << 136ull << 256ull;
    QTest::newRow("q4_K") << "t.q4_k" << uint(G::Q4_K) << QList<qlonglong>{256, 1} << 144ull << 416ull;
}

void TestGguf::readsTensors()
{
    QFETCH(QString, name);
    QFETCH(uint, type);
    QFETCH(QList<qlonglong>, shape);
    QFETCH(qulonglong, bytes);
    QFETCH(qulonglong, offset);
    const QByteArray file = test::fixture("all_types.gguf");
    ASSIGN_OR_FAIL(auto gguf, test::parseBytes(file));
    const GgufTensor* t = gguf->tensor(name.toStdString());
    QVERIFY(t);
    QCOMPARE(uint(t->type), type);
    QCOMPARE(t->nDims, int(shape.size()));
    for (int d = 0; d < 4; ++d)
        QCOMPARE(t->ne[d], d < shape.size() ? int64_t(shape[d]) : int64_t(1));
    QCOMPARE(t->bytes, bytes);
    QCOMPARE(t->offset, offset);
    QCOMPARE(gguf->data(*t).size(), size_t(bytes));
    QCOMPARE(gguf->data(*t).data(), gguf->bytes().data() + gguf->dataOffset() + offset);
    QVERIFY(!gguf->tensor("t.missing"));
}

void TestGguf::readsTensorData()
{
    const QByteArray bytes = test::fixture("all_types.gguf");
    ASSIGN_OR_FAIL(auto file, test::parseBytes(bytes));
    float f32[6];
    std::memcpy(f32, file->data(*file->tensor("t.f32")).data(), sizeof f32);
    for (int i = 0; i < 6; ++i)
        QCOMPARE(f32[i], i * 0.5f - 1.0f);
    uint16_t f16[5];
    std::memcpy(f16, file->data(*file->tensor("t.f16")).data(), sizeof f16);
    const float halves[5] = {1.0f, -2.0f, 0.5f, 65504.0f, 0.0f};
    for (int i = 0; i < 5; ++i)
        QCOMPARE(halfToFloat(f16[i]), halves[i]);
    int32_t i32[24];
    std::memcpy(i32, file->data(*file->tensor("t.i32")).data(), sizeof i32);
    for (int i = 0; i < 24; ++i)
        QCOMPARE(i32[i], i);
    const struct { const char* name; uint32_t seed; } raw[] = {{"t.bf16", 1}, {"t.q8_0", 2}, {"t.q4_k", 3}};
    for (const auto& r : raw) {
        const std::span<const uint8_t> data = file->data(*file->tensor(r.name));
        for (uint32_t i = 0; i < data.size(); ++i)
            QCOMPARE(data[i], fixtureByte(i, r.seed));
    }
}

void TestGguf::knowsGgmlTypes()
{
    const struct { uint32_t id; const char* name; uint32_t block, size; } expected[] = {
        {0, "f32", 1, 4}, {1, "f16", 1, 2}, {2, "q4_0", 32, 18}, {8, "q8_0", 32, 34},
        {12, "q4_K", 256, 144}, {14, "q6_K", 256, 210}, {23, "iq4_xs", 256, 136}, {30, "bf16", 1, 2},
        {39, "mxfp4", 32, 17},
    };
    for (const auto& e : expected) {
        const GgmlTypeInfo* info = ggmlTypeInfo(e.id);
        QVERIFY(info);
        QCOMPARE(std::string(info->name), std::string(e.name));
        QCOMPARE(info->blockSize, e.block);
        QCOMPARE(info->typeSize, e.size);
    }
    for (uint32_t removed : {4u, 5u, 31u, 32u, 33u, 36u, 37u, 38u, 42u, 0xffffffffu})
        QVERIFY(!ggmlTypeInfo(removed));
    QCOMPARE(int(ggmlTypes().size()), 34);
}

void TestGguf::openNamesThePath()
{
    QTemporaryDir dir;
    const std::string missing = (dir.path() + "/absent.gguf").toStdString();
    auto r = GgufFile::open(missing);
    QVERIFY(!r.ok());
    QCOMPARE(r.error().code, ErrorCode::Io);
    QVERIFY2(r.error().message.find(missing) != std::string::npos, r.error().message.c_str());

    auto folder = MappedFile::open(dir.path().toStdString());
    QVERIFY(!folder.ok());
    QVERIFY2(folder.error().message.find("folder") != std::string::npos, folder.error().message.c_str());

    const QString emptyPath = dir.path() + "/empty.gguf";
    QFile empty(emptyPath);
    QVERIFY(empty.open(QIODevice::WriteOnly));
    empty.close();
    auto e = GgufFile::open(emptyPath.toStdString());
    QVERIFY(!e.ok());
    QCOMPARE(e.error().code, ErrorCode::Format);
    QVERIFY2(e.error().message.find(emptyPath.toStdString() + ": truncated") == 0, e.error().message.c_str());
}

QTEST_GUILESS_MAIN(TestGguf)

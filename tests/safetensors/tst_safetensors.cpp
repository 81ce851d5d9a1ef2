// Valid fixtures from make_fixtures.py read back tensor by tensor.

#include "tst_safetensors.h"

#include <QFile>

#include <cmath>
#include <cstring>

using namespace atelier;
using namespace atelier::io;

namespace atelier::test {

std::string fixturePath(const QString& name)
{
    return (QStringLiteral(ATELIER_SAFETENSORS_FIXTURES "/") + name).toStdString();
}

QByteArray fixtureBytes(const QString& name)
{
    QFile file(QString::fromStdString(fixturePath(name)));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("missing fixture %s", qPrintable(file.fileName()));
    return file.readAll();
}

QByteArray rewriteHeader(const QByteArray& file, const QByteArray& from, const QByteArray& to)
{
    uint64_t length = 0;
    std::memcpy(&length, file.constData(), 8);
    QByteArray header = file.mid(8, qsizetype(length));
    if (!header.contains(from))
        qFatal("header lacks '%s'", from.constData());
    header.replace(from, to);
    header = header.trimmed();
    header.append(QByteArray((8 - header.size() % 8) % 8, ' '));
    const uint64_t newLength = uint64_t(header.size());
    return QByteArray(reinterpret_cast<const char*>(&newLength), 8) + header + file.mid(8 + qsizetype(length));
}

} // namespace atelier::test

namespace {

// make_fixtures.py's deterministic_bytes(n, seed)[i].
uint8_t fixtureByte(uint64_t i, uint64_t seed) { return uint8_t((i * 2654435761ull + seed) >> 13); }

bool holdsFixtureBytes(std::span<const uint8_t> data, uint64_t seed)
{
    for (size_t i = 0; i < data.size(); ++i)
        if (data[i] != fixtureByte(i, seed))
            return false;
    return true;
}

template <typename T>
T at(std::span<const uint8_t> data, size_t i)
{
    T v;
    std::memcpy(&v, data.data() + i * sizeof(T), sizeof(T));
    return v;
}

} // namespace

void TestSafetensors::opensValidFiles_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<int>("tensors");
    QTest::addColumn<int>("metadata");
    QTest::addColumn<qulonglong>("dataOffset");
    QTest::newRow("all dtypes") << "files/all_dtypes.safetensors" << 22 << 2 << 1464ull;
    QTest::newRow("empty") << "files/empty.safetensors" << 0 << 0 << 16ull;
    QTest::newRow("metadata only") << "files/metadata_only.safetensors" << 0 << 2 << 48ull;
    QTest::newRow("zero sized") << "files/zero_sized.safetensors" << 3 << 0 << 184ull;
    QTest::newRow("escapes") << "files/escapes.safetensors" << 2 << 1 << 231ull;
    QTest::newRow("torch writer") << "files/torch_written.safetensors" << 4 << 1 << 288ull;
    QTest::newRow("tiny sd1") << "tiny_sd1.safetensors" << 371 << 1 << 45472ull;
    QTest::newRow("tiny sd2") << "tiny_sd2.safetensors" << 374 << 1 << 45312ull;
    QTest::newRow("diffusers unet") << "tiny_sd1/unet/diffusion_pytorch_model.safetensors" << 208 << 1 << 22272ull;
}

void TestSafetensors::opensValidFiles()
{
    QFETCH(QString, name);
    QFETCH(int, tensors);
    QFETCH(int, metadata);
    QFETCH(qulonglong, dataOffset);
    ASSIGN_OR_FAIL(auto file, SafetensorsFile::open(test::fixturePath(name)));
    QCOMPARE(int(file->tensors().size()), tensors);
    QCOMPARE(int(file->metadata().size()), metadata);
    QCOMPARE(file->dataOffset(), dataOffset);
    QCOMPARE(file->path(), test::fixturePath(name));
    for (size_t i = 1; i < file->tensors().size(); ++i)
        QVERIFY(file->tensors()[i - 1].name < file->tensors()[i].name);
    for (const SafetensorsTensor& t : file->tensors()) {
        QCOMPARE(file->find(t.name), &t);
        QCOMPARE(uint64_t(t.elements()) * safetensorsDTypeBits(t.dtype), uint64_t(t.data.size()) * 8);
    }
    QVERIFY(!file->find("no such tensor"));
}

// all_dtypes.safetensors: ALL_DTYPES of make_fixtures.py, tensor i filled with seed i + 1.
void TestSafetensors::readsEveryDtype()
{
    struct Expected {
        const char* name;
        const char* dtype;
        std::vector<int64_t> shape;
        size_t bytes;
    };
    const Expected expected[] = {
        {"t.f32", "F32", {2, 3}, 24},      {"t.f16", "F16", {5}, 10},        {"t.bf16", "BF16", {2, 2}, 8},
        {"t.f64", "F64", {2}, 16},         {"t.i8", "I8", {3}, 3},           {"t.u8", "U8", {4}, 4},
        {"t.i16", "I16", {2}, 4},          {"t.u16", "U16", {2}, 4},         {"t.i32", "I32", {2, 1}, 8},
        {"t.u32", "U32", {1}, 4},          {"t.i64", "I64", {1, 4}, 32},     {"t.u64", "U64", {1}, 8},
        {"t.bool", "BOOL", {3}, 3},        {"t.f8_e4m3", "F8_E4M3", {4}, 4}, {"t.f8_e5m2", "F8_E5M2", {4}, 4},
        {"t.f8_e8m0", "F8_E8M0", {2}, 2},  {"t.c64", "C64", {1}, 8},         {"t.f4", "F4", {2, 3}, 3},
        {"t.f6_e2m3", "F6_E2M3", {4}, 3},  {"t.f6_e3m2", "F6_E3M2", {8}, 6}, {"t.scalar", "F32", {}, 4},
        {"t.5d", "F16", {1, 2, 1, 2, 2}, 16},
    };
    ASSIGN_OR_FAIL(auto file, SafetensorsFile::open(test::fixturePath("files/all_dtypes.safetensors")));
    uint64_t seed = 1, offset = 0;
    for (const Expected& e : expected) {
        const SafetensorsTensor* t = file->find(e.name);
        QVERIFY2(t, e.name);
        QCOMPARE(safetensorsDTypeName(t->dtype), e.dtype);
        QCOMPARE(t->shape, e.shape);
        QCOMPARE(t->data.size(), e.bytes);
        QCOMPARE(t->begin, offset);
        QVERIFY2(holdsFixtureBytes(t->data, seed), e.name);
        QCOMPARE(safetensorsDTypeFromName(e.dtype), t->dtype);
        offset += e.bytes;
        ++seed;
    }
    QCOMPARE(file->metadata("format"), std::optional<std::string_view>("pt"));
    QCOMPARE(file->metadata("utf8"), std::optional<std::string_view>("h\u00e9llo \u4e16\u754c \u2713"));
    QCOMPARE(file->metadata("absent"), std::nullopt);
    QCOMPARE(computeDType(SafetensorsDType::F32), DType::F32);
    QCOMPARE(computeDType(SafetensorsDType::F16), DType::F16);
    QCOMPARE(computeDType(SafetensorsDType::BF16), DType::BF16);
    QCOMPARE(computeDType(SafetensorsDType::F64), std::nullopt);
    QCOMPARE(formatShape(file->find("t.5d")->shape), std::string("[1, 2, 1, 2, 2]"));
    QCOMPARE(describeTensor(*file->find("t.scalar")), std::string("F32 []"));
}

void TestSafetensors::readsEscapesAndUnknownFields()
{
    ASSIGN_OR_FAIL(auto file, SafetensorsFile::open(test::fixturePath("files/escapes.safetensors")));
    const SafetensorsTensor* quoted = file->find("quote\"d");
    QVERIFY(quoted);
    QCOMPARE(quoted->dtype, SafetensorsDType::F16);
    QVERIFY(holdsFixtureBytes(quoted->data, 7));
    const SafetensorsTensor* unicode = file->find("caf\u00e9\U0001F600/\n");
    QVERIFY(unicode);
    QCOMPARE(unicode->begin, 4u);
    QCOMPARE(file->metadata("kA"), std::optional<std::string_view>("v\t"));

    ASSIGN_OR_FAIL(auto zero, SafetensorsFile::open(test::fixturePath("files/zero_sized.safetensors")));
    QCOMPARE(zero->find("empty")->data.size(), 0u);
    QCOMPARE(zero->find("empty2d")->shape, (std::vector<int64_t>{2, 0}));
    QCOMPARE(zero->find("empty2d")->elements(), 0);
}

// safetensors.torch.save_file's own output: values as torch wrote them.
void TestSafetensors::readsWhatTheReferenceWriterWrote()
{
    ASSIGN_OR_FAIL(auto file, SafetensorsFile::open(test::fixturePath("files/torch_written.safetensors")));
    const SafetensorsTensor* weight = file->find("weight");
    QCOMPARE(describeTensor(*weight), std::string("F32 [3, 4]"));
    for (size_t i = 0; i < 12; ++i)
        QCOMPARE(at<float>(weight->data, i), float(i));
    const SafetensorsTensor* half = file->find("half");
    QCOMPARE(describeTensor(*half), std::string("F16 [7]"));
    for (size_t i = 0; i < 7; ++i)
        QVERIFY(std::abs(halfToFloat(at<uint16_t>(half->data, i)) - (-2.0f + float(i) * 4.0f / 6.0f)) < 1e-3f);
    const SafetensorsTensor* brain = file->find("brain");
    QCOMPARE(bf16ToFloat(at<uint16_t>(brain->data, 0)), 1.5f);
    QCOMPARE(bf16ToFloat(at<uint16_t>(brain->data, 1)), -0.25f);
    const SafetensorsTensor* ids = file->find("ids");
    QCOMPARE(describeTensor(*ids), std::string("I64 [1, 77]"));
    for (size_t i = 0; i < 77; ++i)
        QCOMPARE(at<int64_t>(ids->data, i), int64_t(i));
}

void TestSafetensors::floatTensorNamesUnusableDtypes()
{
    const std::string path = test::fixturePath("files/torch_written.safetensors");
    ASSIGN_OR_FAIL(auto file, SafetensorsFile::open(path));
    ASSIGN_OR_FAIL(const SafetensorsTensor* weight, file->floatTensor("weight"));
    QCOMPARE(weight->name, std::string("weight"));
    auto ids = file->floatTensor("ids");
    QVERIFY(!ids.ok());
    QCOMPARE(ids.error().message, "tensor 'ids' in " + path +
                                      " has dtype I64, which Atelier cannot use (it computes with F32, F16 and BF16)");
    auto missing = file->floatTensor("nope");
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().message, "tensor 'nope' is missing from " + path);
}

void TestSafetensors::openNamesThePath()
{
    auto missing = SafetensorsFile::open("/nonexistent/model.safetensors");
    QVERIFY(!missing.ok());
    QCOMPARE(missing.error().code, ErrorCode::Io);
    QVERIFY(missing.error().message.find("/nonexistent/model.safetensors") != std::string::npos);

    const std::string path = test::fixturePath("corrupt/overlap.safetensors");
    auto corrupt = SafetensorsFile::open(path);
    QVERIFY(!corrupt.ok());
    QCOMPARE(corrupt.error().code, ErrorCode::Format);
    QVERIFY2(corrupt.error().message.starts_with(path + ": tensors 'a' and 'b' overlap"), corrupt.error().message.c_str());
}

QTEST_GUILESS_MAIN(TestSafetensors)

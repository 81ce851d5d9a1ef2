#include "tst_ops.h"

#include "core/cpu_repack.h"
#include "ops/embedding.h"
#include "ops/matmul.h"
#include "quant_reference.h"
#include "references.h"

#include <QFile>

#include <cmath>
#include <cstring>
#include <optional>

using namespace atelier;
using Path = ops::MatmulOptions::Path;

Q_DECLARE_METATYPE(Path)

namespace {

// The kernels dequantize exactly what the reference does, so only fp32 accumulation separates
// them: the same bound as for f32 weights.
constexpr double kTolerance = 1e-5;

constexpr DType kWeightTypes[] = {DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                  DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

// K of one block and of several (odd counts); bf16 has no blocks: a vec4 multiple and an odd K.
std::pair<int, int> kValues(DType t)
{
    const int block = int(dtypeInfo(t).blockElements);
    return block == 1 ? std::pair{64, 97} : std::pair{block, block * (block == 32 ? 7 : 3)};
}

struct QuantRun {
    double error = 0;
    uint32_t dispatches = 0;
};

void runQuantMatmul(DType type, int64_t m, int64_t n, int64_t k, const ops::MatmulOptions& options, QuantRun& run)
{
    vk::Device& dev = *test::testDevice();
    const auto av = test::randomFloats(size_t(m * k), 21);
    const auto bytes = test::randomBlocks(type, n * k, 22);
    const auto expected = test::quantMatmulReference(av, type, bytes, m, n, k);
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {m, k}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::create(dev, type, {n, k}));
    VERIFY_OK(dev.upload(b.buffer, bytes.data(), bytes.size()));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {m, n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        auto s = ops::matmul(batch, a, b, out, options);
        run.dispatches = batch.dispatchCount();
        return s;
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    run.error = test::normalisedError(got, expected);
}

std::optional<DType> dtypeNamed(const char* name)
{
    for (size_t i = 0; i < std::size(kDTypeInfo); ++i) {
        if (std::strcmp(kDTypeInfo[i].name, name) == 0)
            return DType(i);
    }
    return std::nullopt;
}

} // namespace

// quant_fixtures.bin holds random blocks of every type and gguf-py's dequantization of them
// (make_quant_fixtures.py): the C++ reference must reproduce every value bit for bit.
void TestOps::quantReferenceMatchesGguf()
{
    QFile file(QStringLiteral(ATELIER_QUANT_FIXTURES));
    QVERIFY2(file.open(QIODevice::ReadOnly), qPrintable(file.fileName()));
    const QByteArray data = file.readAll();
    size_t at = 0;
    auto take = [&](void* dst, size_t n) {
        if (at + n > size_t(data.size()))
            return false;
        std::memcpy(dst, data.constData() + at, n);
        at += n;
        return true;
    };
    char magic[4];
    uint32_t entries = 0;
    QVERIFY(take(magic, 4) && std::memcmp(magic, "AQF1", 4) == 0 && take(&entries, 4));
    QCOMPARE(entries, uint32_t(std::size(kWeightTypes)));
    for (uint32_t e = 0; e < entries; ++e) {
        char name[9] = {};
        uint32_t values = 0, bytes = 0;
        QVERIFY(take(name, 8) && take(&values, 4) && take(&bytes, 4));
        const auto type = dtypeNamed(name);
        QVERIFY2(type, name);
        QCOMPARE(uint64_t(bytes), storageBytes(*type, values));
        std::vector<uint8_t> blocks(bytes);
        std::vector<float> expected(values);
        QVERIFY(take(blocks.data(), bytes) && take(expected.data(), values * sizeof(float)));
        const std::vector<float> got = test::dequantizeRow(*type, blocks.data(), values);
        for (uint32_t i = 0; i < values; ++i) {
            uint32_t g, x;
            std::memcpy(&g, &got[i], 4);
            std::memcpy(&x, &expected[i], 4);
            QVERIFY2(g == x, qPrintable(QString("%1 value %2: %3, gguf-py %4").arg(name).arg(i).arg(got[i]).arg(expected[i])));
        }
    }
    QCOMPARE(at, size_t(data.size()));
    QVERIFY(test::noValidationMessages());
}

void TestOps::quantMatmul_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<Path>("path");
    QTest::addColumn<int>("tile");
    QTest::addColumn<bool>("shared");
    for (DType t : kWeightTypes) {
        const auto [kOne, kSeveral] = kValues(t);
        // M up to 16 takes a matrix-vector kernel, more the tiled one (Path::Auto).
        for (int m : {1, 2, 7, 16, 17, 64, 130})
            for (int n : {1, 3, 64, 100})
                for (int k : {kOne, kSeveral})
                    QTest::addRow("%s M=%d N=%d K=%d", dtypeName(t), m, n, k)
                        << t << m << n << k << Path::Auto << 0 << false;
        // Both matrix-vector kernels on every device, whichever Auto picks; for the rows kernel
        // also K of two and of an odd count of blocks, whose rows start at every block alignment.
        for (int m : {1, 5})
            QTest::addRow("%s M=%d N=33 K=%d vec", dtypeName(t), m, kSeveral)
                << t << m << 33 << kSeveral << Path::MatrixVector << 0 << false;
        // (bf16 rows must be 16-byte aligned there: K a multiple of 8.)
        const bool plain = dtypeInfo(t).blockElements == 1;
        for (int k : plain ? std::vector<int>{8, 16, 40, 64} : std::vector<int>{kOne, 2 * kOne, 5 * kOne, kSeveral})
            for (int m : {1, 3, 8})
                QTest::addRow("%s M=%d N=37 K=%d vec-rows", dtypeName(t), m, k)
                    << t << m << 37 << k << Path::MatrixVectorRows << 0 << false;
        // 4099 rows: one row of a takes 8 rows of b per invocation there (a tail of 3).
        if (dtypeInfo(t).blockElements == 32)
            QTest::addRow("%s M=1 N=4099 K=%d vec-rows", dtypeName(t), kOne)
                << t << 1 << 4099 << kOne << Path::MatrixVectorRows << 0 << false;
        // The reduction and tile shapes do not depend on the type: a few types cover them (each
        // variant is another pipeline to compile, half a second on lavapipe).
        if (t != DType::Q4_0 && t != DType::Q4_K && t != DType::Q6_K)
            continue;
        QTest::addRow("%s M=7 N=100 K=%d vec shared-reduction", dtypeName(t), kSeveral)
            << t << 7 << 100 << kSeveral << Path::MatrixVector << 0 << true;
        for (int tile : {32, 64})
            QTest::addRow("%s M=33 N=100 K=%d tiled %d", dtypeName(t), kSeveral, tile)
                << t << 33 << 100 << kSeveral << Path::Tiled << tile << false;
    }
}

void TestOps::quantMatmul()
{
    QFETCH(DType, type);
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(Path, path);
    QFETCH(int, tile);
    QFETCH(bool, shared);
    QuantRun run;
    runQuantMatmul(type, m, n, k, {path, uint32_t(tile), shared, 0}, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    QVERIFY(test::noValidationMessages());
}

// Binding limits of a few KiB split the weights into row windows that start mid-alignment.
void TestOps::quantMatmulSplitBindings_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("m");
    QTest::addColumn<Path>("path");
    for (DType t : kWeightTypes) {
        // (The rows kernel needs bf16 rows of whole 16-byte texels: K = 96 below, not 97.)
        QTest::addRow("%s vec M=3", dtypeName(t)) << t << 3 << Path::MatrixVector;
        QTest::addRow("%s vec-rows M=3", dtypeName(t)) << t << 3 << Path::MatrixVectorRows;
        QTest::addRow("%s tiled M=20", dtypeName(t)) << t << 20 << Path::Tiled;
    }
}

void TestOps::quantMatmulSplitBindings()
{
    QFETCH(DType, type);
    QFETCH(int, m);
    QFETCH(Path, path);
    const bool plainRows = path == Path::MatrixVectorRows && dtypeInfo(type).blockElements == 1;
    const int n = 100, k = plainRows ? 96 : kValues(type).second;
    const uint64_t limit = test::testDevice()->allocator().alignment() + 3 * uint64_t(std::max(n, k)) * 4;
    QuantRun run;
    runQuantMatmul(type, m, n, k, {path, 0, false, limit}, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    QVERIFY(run.dispatches > 2);
    QVERIFY(test::noValidationMessages());
}

// N = 32768, K = 4096 q8_0 weights are 136 MiB, over lavapipe's 128 MiB maxStorageBufferRange: a
// decode step must bind them in windows of whole rows where b is a storage buffer, and takes them
// in one binding where it is a texel buffer (CPU devices' rows kernel, up to maxTexelBufferElements).
void TestOps::quantMatmulWeightsOverBindingLimit()
{
    const int64_t n = 32768, k = 4096;
    QuantRun run;
    runQuantMatmul(DType::Q8_0, 1, n, k, {}, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    // CPU devices' rows kernel reads b through a texel buffer, whose limit is its own (lavapipe: 2 GiB).
    const auto& info = test::testDevice()->info();
    const uint64_t limit = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? info.maxTexelBufferElements * 16
                                                                   : info.maxStorageBufferRange;
    QCOMPARE(run.dispatches > 1, storageBytes(DType::Q8_0, uint64_t(n * k)) > limit);
    QVERIFY(test::noValidationMessages());
}

// out = act(a · gate^T) * (a · up^T), in one pass for one row of a on CPU devices (two matmuls and
// glu otherwise): every weight type, one row of a and several, both activations; 2051 rows of out
// take the CPU pass's 4 rows per invocation (a tail of 3).
void TestOps::quantMatmulGlu_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("m");
    QTest::addColumn<bool>("geluTanh");
    QTest::addColumn<int>("n");
    bool gelu = false;
    for (DType t : kWeightTypes) {
        for (int m : {1, 5})
            QTest::addRow("%s M=%d %s", dtypeName(t), m, gelu ? "gelu-tanh" : "silu") << t << m << gelu << 37;
        gelu = !gelu;
    }
    QTest::addRow("q4_0 M=21 silu") << DType::Q4_0 << 21 << false << 37;
    for (DType t : {DType::Q5_0, DType::F16})
        QTest::addRow("%s M=1 N=2051 gelu-tanh", dtypeName(t)) << t << 1 << true << 2051;
}

void TestOps::quantMatmulGlu()
{
    QFETCH(DType, type);
    QFETCH(int, m);
    QFETCH(bool, geluTanh);
    QFETCH(int, n);
    vk::Device& dev = *test::testDevice();
    const int64_t k = kValues(type).second + (dtypeInfo(type).blockElements == 1 ? 7 : 0); // bf16: 104
    const auto av = test::randomFloats(size_t(m * k), 23);
    const auto gateBytes = test::randomBlocks(type, n * k, 24);
    const auto upBytes = test::randomBlocks(type, n * k, 25);
    const auto g = test::quantMatmulReference(av, type, gateBytes, m, n, k);
    const auto u = test::quantMatmulReference(av, type, upBytes, m, n, k);
    std::vector<float> expected(g.size());
    for (size_t i = 0; i < g.size(); ++i) {
        const double x = g[i];
        const double act = geluTanh ? 0.5 * x * (1.0 + std::tanh(0.7978845608028654 * (x + 0.044715 * x * x * x)))
                                    : x / (1.0 + std::exp(-x));
        expected[i] = float(act * double(u[i]));
    }
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {m, k}, av));
    ASSIGN_OR_FAIL(auto gate, ops::Tensor::create(dev, type, {n, k}));
    ASSIGN_OR_FAIL(auto up, ops::Tensor::create(dev, type, {n, k}));
    VERIFY_OK(dev.upload(gate.buffer, gateBytes.data(), gateBytes.size()));
    VERIFY_OK(dev.upload(up.buffer, upBytes.data(), upBytes.size()));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {m, n}));
    ASSIGN_OR_FAIL(auto scratch, ops::Tensor::create(dev, DType::F32, {m, n}));
    const auto act = geluTanh ? ops::GluActivation::GeluTanh : ops::GluActivation::SiLU;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::matmulGlu(b, a, gate, up, out, scratch, act); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    // Two fp32 dot products and an activation: twice the matmul bound.
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= 2 * kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

// Q4_K, Q5_0, Q6_K and Q8_0 repacked for CPU devices (core/cpu_repack.h) hold exactly the values of the blocks
// they come from: an embedding lookup of the repacked table returns them bit for bit, and the rows
// kernel (the only matmul for these types, on any device) matches the original's reference.
void TestOps::cpuRepackedKQuants_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    for (DType t : {DType::Q4_K, DType::Q5_0, DType::Q6_K, DType::Q8_0})
        for (int m : {1, 5})
            QTest::addRow("%s M=%d", dtypeName(t), m) << t << m << 37;
    // 4099 rows: one row of a takes 8 rows of b per invocation there (Q6_K as the LM head).
    QTest::addRow("q6_k M=1 N=4099") << DType::Q6_K << 1 << 4099;
}

void TestOps::cpuRepackedKQuants()
{
    QFETCH(DType, type);
    QFETCH(int, m);
    QFETCH(int, n);
    vk::Device& dev = *test::testDevice();
    const int64_t k = 3 * 256;
    const auto av = test::randomFloats(size_t(m * k), 26);
    const auto bytes = test::randomBlocks(type, n * k, 27);
    const auto expected = test::quantMatmulReference(av, type, bytes, m, n, k);
    const DType cpuType = *cpuRepackedType(type);
    const std::vector<uint8_t> repacked = repackForCpu(type, bytes);
    QCOMPARE(uint64_t(repacked.size()), storageBytes(cpuType, uint64_t(n * k)));
    // On the host: every row decodes to the same floats from both layouts.
    for (int64_t row = 0; row < n; ++row)
        QCOMPARE(test::dequantizeRow(cpuType, repacked.data() + row * storageBytes(cpuType, k), k),
                 test::dequantizeRow(type, bytes.data() + row * storageBytes(type, k), k));

    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {m, k}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::create(dev, cpuType, {n, k}));
    VERIFY_OK(dev.upload(b.buffer, repacked.data(), repacked.size()));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {m, n}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::matmul(batch, a, b, out); }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));

    const std::vector<int32_t> ids = {0, 36, 17};
    std::vector<float> rows;
    for (int32_t id : ids)
        for (float v : test::dequantizeRow(type, bytes.data() + uint64_t(id) * storageBytes(type, k), k))
            rows.push_back(v);
    ASSIGN_OR_FAIL(auto tokens, ops::TokenIds::upload(dev, ids));
    ASSIGN_OR_FAIL(auto looked, ops::Tensor::create(dev, DType::F32, {int64_t(ids.size()), k}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) { return ops::embedding(batch, b, tokens, looked); }));
    ASSIGN_OR_FAIL(auto lookedUp, looked.toFloats(dev));
    QCOMPARE(lookedUp, rows);
    // Other kernels refuse the CPU layout rather than misread it.
    ops::MatmulOptions tiled;
    tiled.path = ops::MatmulOptions::Path::Tiled;
    const Status refused = dev.execute([&](vk::CommandBatch& batch) { return ops::matmul(batch, a, b, out, tiled); });
    QVERIFY(!refused.ok());
    QVERIFY(test::noValidationMessages());
}

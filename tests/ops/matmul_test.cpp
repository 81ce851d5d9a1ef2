#include "tst_ops.h"

#include "ops/matmul.h"
#include "references.h"

#include <functional>

using namespace atelier;
using Path = ops::MatmulOptions::Path;

Q_DECLARE_METATYPE(Path)

namespace {

// fp32 accumulation over K <= 4096 products of values in [-1, 1]: rounding errors grow like
// sqrt(K) * 2^-24 relative to the output's scale, a few 1e-7 here; f16 weights are compared with a
// reference on the same rounded weights, so the bound does not loosen for them.
constexpr double kTolerance = 1e-5;

const char* pathName(Path p)
{
    return p == Path::Auto ? "auto" : p == Path::MatrixVector ? "vec" : p == Path::MatrixVectorRows ? "vec-rows" : "tiled";
}

struct MatmulRun {
    double error = 0;
    uint32_t dispatches = 0;
};

// Multiplies random a [leading..., K] by b [N, K] on the device and compares with the reference.
void runMatmul(std::vector<int64_t> aShape, int64_t n, bool half, const ops::MatmulOptions& options, MatmulRun& run)
{
    vk::Device& dev = *test::testDevice();
    const int64_t k = aShape.back();
    int64_t m = 1;
    for (int64_t d : aShape)
        m *= d;
    m /= k;
    const auto av = test::randomFloats(size_t(m * k), 11);
    auto bv = test::randomFloats(size_t(n * k), 12);
    if (half)
        bv = test::roundToHalf(std::move(bv));
    const auto expected = test::matmulReference(av, bv, m, n, k);

    std::vector<int64_t> outShape = aShape;
    outShape.back() = n;
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, aShape, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::fromFloats(dev, half ? DType::F16 : DType::F32, {n, k}, bv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, outShape));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        auto s = ops::matmul(batch, a, b, out, options);
        run.dispatches = batch.dispatchCount();
        return s;
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    run.error = test::normalisedError(got, expected);
}

} // namespace

void TestOps::matmul_data()
{
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<Path>("path");
    QTest::addColumn<int>("tile");
    QTest::addColumn<bool>("shared");
    QTest::addColumn<bool>("half");
    struct Shape { int m, n, k; Path path; bool shared; };
    const Shape shapes[] = {
        {1, 1, 1, Path::Auto, false},       {1, 5, 63, Path::Auto, false},     {1, 300, 1000, Path::Auto, false},
        {1, 64, 65, Path::Auto, true},      {3, 65, 64, Path::Auto, false},    {3, 1000, 300, Path::Auto, true},
        {4, 63, 5, Path::Auto, false},      {8, 65, 64, Path::Auto, false},    {16, 300, 100, Path::Auto, true},
        {17, 63, 65, Path::Auto, false},    {17, 1, 1000, Path::Auto, false},  {33, 65, 63, Path::Auto, false},
        {64, 64, 64, Path::Auto, false},    {129, 300, 1000, Path::Auto, false}, {129, 65, 5, Path::Auto, false},
        {1, 65, 63, Path::Tiled, false},    {3, 5, 1, Path::Tiled, false},     {9, 300, 65, Path::MatrixVector, false},
        {9, 300, 65, Path::MatrixVector, true},
        // Both matrix-vector kernels on every device (Auto takes the rows kernel on CPU devices
        // where K allows it, the other one on GPUs): odd N, and K a multiple of 8 (its f16 rows
        // must be 16-byte aligned).
        {1, 64, 64, Path::MatrixVector, false}, {7, 33, 40, Path::MatrixVector, false},
        {1, 1, 8, Path::MatrixVectorRows, false}, {1, 33, 40, Path::MatrixVectorRows, false},
        {5, 65, 64, Path::MatrixVectorRows, false}, {8, 100, 1000, Path::MatrixVectorRows, false},
        {16, 31, 24, Path::MatrixVectorRows, false},
    };
    // The tiled kernel's three tile shapes, each on shapes that leave partial tiles.
    const Shape tiled[] = {{5, 63, 65, Path::Tiled, false}, {129, 300, 1000, Path::Tiled, false}};
    for (bool half : {false, true}) {
        const char* type = half ? "f16" : "f32";
        for (const Shape& s : shapes)
            QTest::addRow("%s M=%d N=%d K=%d %s%s", type, s.m, s.n, s.k, pathName(s.path),
                          s.shared ? " shared-reduction" : "")
                << s.m << s.n << s.k << s.path << 0 << s.shared << half;
        for (const Shape& s : tiled)
            for (int tile : {32, 64, 128})
                QTest::addRow("%s M=%d N=%d K=%d tiled %d", type, s.m, s.n, s.k, tile)
                    << s.m << s.n << s.k << s.path << tile << false << half;
    }
}

void TestOps::matmul()
{
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(Path, path);
    QFETCH(int, tile);
    QFETCH(bool, shared);
    QFETCH(bool, half);
    MatmulRun run;
    runMatmul({m, k}, n, half, {path, uint32_t(tile), shared, 0}, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    QVERIFY(test::noValidationMessages());
}

void TestOps::matmulSplitBindings_data()
{
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<Path>("path");
    QTest::addColumn<bool>("half");
    QTest::addColumn<int>("limit");
    // Binding limits of a few KiB split a, b and out into blocks that start at unaligned elements.
    QTest::newRow("tiled f32 M=17 N=65 K=63, 4 KiB") << 1 << 17 << 65 << 63 << Path::Tiled << false << 4096;
    QTest::newRow("tiled f16 M=70 N=130 K=33, 2 KiB") << 1 << 70 << 130 << 33 << Path::Tiled << true << 2048;
    QTest::newRow("vec f32 M=3 N=300 K=100, 2 KiB") << 1 << 3 << 300 << 100 << Path::Auto << false << 2048;
    QTest::newRow("vec f16 M=9 N=77 K=129, 3 KiB") << 1 << 9 << 77 << 129 << Path::MatrixVector << true << 3072;
    QTest::newRow("vec-rows f32 M=3 N=300 K=100, 2 KiB") << 1 << 3 << 300 << 100 << Path::MatrixVectorRows << false << 2048;
    QTest::newRow("vec-rows f16 M=9 N=77 K=136, 3 KiB") << 1 << 9 << 77 << 136 << Path::MatrixVectorRows << true << 3072;
    QTest::newRow("batched [2, 3, 65] f32, no limit") << 2 << 3 << 31 << 65 << Path::Auto << false << 0;
    QTest::newRow("batched [2, 40, 65] f16, no limit") << 2 << 40 << 31 << 65 << Path::Auto << true << 0;
}

void TestOps::matmulSplitBindings()
{
    QFETCH(int, batch);
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(Path, path);
    QFETCH(bool, half);
    QFETCH(int, limit);
    MatmulRun run;
    const std::vector<int64_t> aShape = batch > 1 ? std::vector<int64_t>{batch, m, k} : std::vector<int64_t>{m, k};
    runMatmul(aShape, n, half, {path, 0, false, uint64_t(limit)}, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    if (limit)
        QVERIFY(run.dispatches > 2);
    QVERIFY(test::noValidationMessages());
}

// N = 8448, K = 4096 f32 weights are 138 MiB, over lavapipe's 128 MiB maxStorageBufferRange: the
// kernel must bind them in row blocks (a decode step of a large vocabulary projection) where b is
// a storage buffer, and takes one binding where it is a texel buffer (CPU devices' rows kernel).
void TestOps::matmulWeightsOverBindingLimit()
{
    MatmulRun run;
    runMatmul({1, 4096}, 8448, false, {}, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    // CPU devices' rows kernel reads b through a texel buffer, whose limit is its own (lavapipe: 2 GiB).
    const auto& info = test::testDevice()->info();
    const uint64_t limit = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU ? info.maxTexelBufferElements * 16
                                                                   : info.maxStorageBufferRange;
    QCOMPARE(run.dispatches > 1, 8448ull * 4096 * 4 > limit);
    QVERIFY(test::noValidationMessages());
}

void TestOps::matmulRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto a, ops::Tensor::create(dev, DType::F32, {2, 5}));
    ASSIGN_OR_FAIL(auto a16, ops::Tensor::create(dev, DType::F16, {2, 5}));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::create(dev, DType::F32, {3, 5}));
    ASSIGN_OR_FAIL(auto bWrongK, ops::Tensor::create(dev, DType::F32, {3, 4}));
    ASSIGN_OR_FAIL(auto b3d, ops::Tensor::create(dev, DType::F32, {1, 3, 5}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {2, 3}));
    ASSIGN_OR_FAIL(auto outWrong, ops::Tensor::create(dev, DType::F32, {3, 2}));
    ASSIGN_OR_FAIL(auto out16, ops::Tensor::create(dev, DType::F16, {2, 3}));
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"K differs", [&](vk::CommandBatch& c) { return ops::matmul(c, a, bWrongK, out); }},
        {"b not 2-D", [&](vk::CommandBatch& c) { return ops::matmul(c, a, b3d, out); }},
        {"out shape", [&](vk::CommandBatch& c) { return ops::matmul(c, a, b, outWrong); }},
        {"a f16", [&](vk::CommandBatch& c) { return ops::matmul(c, a16, b, out); }},
        {"out f16", [&](vk::CommandBatch& c) { return ops::matmul(c, a, b, out16); }},
        {"tile rows", [&](vk::CommandBatch& c) { return ops::matmul(c, a, b, out, {Path::Tiled, 48}); }},
    };
    // K = 5: the rows kernel reads a in 4-float texels.
    const Status rows = dev.execute([&](vk::CommandBatch& c) { return ops::matmul(c, a, b, out, {Path::MatrixVectorRows}); });
    QVERIFY(!rows.ok());
    QCOMPARE(int(rows.error().code), int(ErrorCode::Unsupported));
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
        QVERIFY2(s.error().message.find("matmul") != std::string::npos, s.error().message.c_str());
    }
    QVERIFY(test::noValidationMessages());
}

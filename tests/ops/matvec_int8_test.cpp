// ops::matmul's int8 dot-product path (ops/matvec_int8.h, issue 16), forced on lavapipe, whose
// VK_KHR_shader_integer_dot_product runs it (emulated, so Auto never picks it there).
#include "tst_ops.h"

#include "ops/elementwise.h"
#include "ops/matmul.h"
#include "ops/matvec_int8.h"
#include "quant_reference.h"

#include <cmath>
#include <optional>

using namespace atelier;
using Int8 = ops::MatmulOptions::Int8;

namespace {

constexpr DType kInt8Types[] = {DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                                DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K};

// Two bounds. Against the float product: llama.cpp's test-backend-ops allows a normalised mean
// squared error of 5e-4 for mul_mat, whose Vulkan and CUDA backends quantize a to Q8_1 the same
// way; 8-bit activations (relative step 1/254 of each block's largest value) give about 1e-5 here.
// Against the product of a quantized as the kernel does: only fp32 accumulation differs, so the
// bound of every other matmul test.
constexpr double kFloatNmse = 5e-4;
constexpr double kQuantizedTolerance = 1e-5;

double nmse(const std::vector<float>& got, const std::vector<float>& expected)
{
    double err = 0, ref = 0;
    for (size_t i = 0; i < got.size(); ++i) {
        err += (double(got[i]) - expected[i]) * (double(got[i]) - expected[i]);
        ref += double(expected[i]) * expected[i];
    }
    return got.size() == expected.size() && std::isfinite(err) ? err / std::max(ref, 1e-30) : INFINITY;
}

// a as the kernel sees it: each block of 32 values rounded to d * q, d = max|x| / 127 (fp32 as
// quantize_q8_1.comp computes it).
std::vector<float> quantizedActivations(const std::vector<float>& a)
{
    std::vector<float> out(a.size());
    for (size_t b = 0; b < a.size(); b += 32) {
        float amax = 0;
        for (size_t j = 0; j < 32; ++j)
            amax = std::max(amax, std::fabs(a[b + j]));
        const float d = amax / 127.0f;
        const float inv = d > 0 ? 1.0f / d : 0.0f;
        for (size_t j = 0; j < 32; ++j)
            out[b + j] = d * float(std::clamp(int(std::round(a[b + j] * inv)), -127, 127));
    }
    return out;
}

struct Int8Run {
    double floatNmse = 0;      // against a . b^T
    double quantizedError = 0; // against quantize(a) . b^T
    uint32_t dispatches = 0;
};

void runInt8(DType type, int64_t m, int64_t n, int64_t k, const ops::MatmulOptions& options, Int8Run& run)
{
    vk::Device& dev = *test::testDevice();
    const auto av = test::randomFloats(size_t(m * k), 41);
    const auto bytes = test::randomBlocks(type, n * k, 42);
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
    run.floatNmse = nmse(got, test::quantMatmulReference(av, type, bytes, m, n, k));
    run.quantizedError = test::normalisedError(got, test::quantMatmulReference(quantizedActivations(av), type, bytes, m, n, k));
}

ops::MatmulOptions forcedInt8(uint64_t maxBindingBytes = 0, bool shared = false)
{
    ops::MatmulOptions o;
    o.int8 = Int8::On;
    o.maxBindingBytes = maxBindingBytes;
    o.sharedReduction = shared;
    return o;
}

} // namespace

void TestOps::int8Matvec_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("m");
    QTest::addColumn<int>("n");
    QTest::addColumn<int>("k");
    QTest::addColumn<bool>("shared");
    for (DType t : kInt8Types) {
        const int block = int(dtypeInfo(t).blockElements);
        // One block, several (an odd count), N under, at and past the workgroup's two rows, M of
        // one pass (1, 3, 8) and of two (11: 8 + 3).
        for (int k : {block, block * (block == 32 ? 7 : 3)})
            for (int n : {1, 3, 37})
                for (int m : {1, 3})
                    QTest::addRow("%s M=%d N=%d K=%d", dtypeName(t), m, n, k) << t << m << n << k << false;
        QTest::addRow("%s M=8 N=64 K=%d", dtypeName(t), 4 * block) << t << 8 << 64 << 4 * block << false;
        QTest::addRow("%s M=11 N=5 K=%d", dtypeName(t), 2 * block) << t << 11 << 5 << 2 * block << false;
        QTest::addRow("%s M=2 N=33 K=%d shared-reduction", dtypeName(t), 2 * block) << t << 2 << 33 << 2 * block << true;
    }
}

void TestOps::int8Matvec()
{
    QFETCH(DType, type);
    QFETCH(int, m);
    QFETCH(int, n);
    QFETCH(int, k);
    QFETCH(bool, shared);
    if (!ops::int8MatvecRuns(test::testDevice()->info()))
        QSKIP("this device has no shaderIntegerDotProduct");
    Int8Run run;
    runInt8(type, m, n, k, forcedInt8(0, shared), run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.quantizedError <= kQuantizedTolerance, qPrintable(QString("error %1").arg(run.quantizedError)));
    // (A mean over a handful of dot products is one cancellation away from any bound: like
    // llama.cpp's, the float bound holds for outputs of some size.)
    if (m * n >= 32)
        QVERIFY2(run.floatNmse <= kFloatNmse, qPrintable(QString("nmse %1").arg(run.floatNmse)));
    // Each pass of up to 8 rows of a: its quantization, then the product.
    QCOMPARE(run.dispatches, uint32_t(2 * ((m + 7) / 8)));
    QVERIFY(test::noValidationMessages());
}

// A binding limit of a few KiB binds the weights in windows of rows that start mid-alignment.
void TestOps::int8MatvecSplitBindings_data()
{
    QTest::addColumn<DType>("type");
    for (DType t : kInt8Types)
        QTest::addRow("%s", dtypeName(t)) << t;
}

void TestOps::int8MatvecSplitBindings()
{
    QFETCH(DType, type);
    if (!ops::int8MatvecRuns(test::testDevice()->info()))
        QSKIP("this device has no shaderIntegerDotProduct");
    const int n = 101, k = dtypeInfo(type).blockElements == 32 ? 7 * 32 : 3 * 256;
    const uint64_t limit = test::testDevice()->allocator().alignment() + 3 * uint64_t(std::max(n, k)) * 4;
    Int8Run run;
    runInt8(type, 3, n, k, forcedInt8(limit), run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.quantizedError <= kQuantizedTolerance, qPrintable(QString("error %1").arg(run.quantizedError)));
    QVERIFY2(run.floatNmse <= kFloatNmse, qPrintable(QString("nmse %1").arg(run.floatNmse)));
    QVERIFY(run.dispatches > 3); // one quantization, several windows of b
    QVERIFY(test::noValidationMessages());
}

// q, k and v of one input quantize it once per batch; a write to the input in between makes the
// next product quantize it again, and every product is right either way.
void TestOps::int8MatvecQuantizesEachInputOnce()
{
    vk::Device& dev = *test::testDevice();
    if (!ops::int8MatvecRuns(dev.info()))
        QSKIP("this device has no shaderIntegerDotProduct");
    const int64_t k = 256, n = 40;
    const auto av = test::randomFloats(size_t(k), 43);
    std::vector<float> doubled(av.size());
    for (size_t i = 0; i < av.size(); ++i)
        doubled[i] = 2.0f * av[i];
    const auto bytes = test::randomBlocks(DType::Q4_K, n * k, 44);
    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {1, k}, av));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::create(dev, DType::Q4_K, {n, k}));
    VERIFY_OK(dev.upload(b.buffer, bytes.data(), bytes.size()));
    ASSIGN_OR_FAIL(auto out1, ops::Tensor::create(dev, DType::F32, {1, n}));
    ASSIGN_OR_FAIL(auto out2, ops::Tensor::create(dev, DType::F32, {1, n}));
    ASSIGN_OR_FAIL(auto out3, ops::Tensor::create(dev, DType::F32, {1, n}));
    uint32_t shared = 0, rewritten = 0;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) -> Status {
        ATELIER_TRY(ops::matmul(batch, a, b, out1, forcedInt8()));
        ATELIER_TRY(ops::matmul(batch, a, b, out2, forcedInt8()));
        shared = batch.dispatchCount();
        ATELIER_TRY(ops::add(batch, a, a, a)); // a = 2a
        ATELIER_TRY(ops::matmul(batch, a, b, out3, forcedInt8()));
        rewritten = batch.dispatchCount() - shared;
        return {};
    }));
    QCOMPARE(shared, 3u);    // one quantization, two products
    QCOMPARE(rewritten, 3u); // the add, a new quantization, the product
    const auto once = test::quantMatmulReference(quantizedActivations(av), DType::Q4_K, bytes, 1, n, k);
    const auto twice = test::quantMatmulReference(quantizedActivations(doubled), DType::Q4_K, bytes, 1, n, k);
    ASSIGN_OR_FAIL(auto got1, out1.toFloats(dev));
    ASSIGN_OR_FAIL(auto got2, out2.toFloats(dev));
    ASSIGN_OR_FAIL(auto got3, out3.toFloats(dev));
    QVERIFY(test::normalisedError(got1, once) <= kQuantizedTolerance);
    QCOMPARE(got2, got1);
    QVERIFY(test::normalisedError(got3, twice) <= kQuantizedTolerance);
    QVERIFY(test::noValidationMessages());
}

// Auto never takes the path on a CPU device (the emulated dot products are slower there than its
// rows kernel), nor for types it has no form of; Off keeps the float kernels everywhere.
void TestOps::int8MatvecSelection()
{
    vk::Device& dev = *test::testDevice();
    const auto& info = dev.info();
    QVERIFY(!ops::int8MatvecCovers(DType::F16, 256));
    QVERIFY(!ops::int8MatvecCovers(DType::BF16, 256));
    QVERIFY(!ops::int8MatvecCovers(DType::Q4_CPU, 256));
    QVERIFY(!ops::int8MatvecCovers(DType::Q4_K, 288)); // not whole blocks
    QVERIFY(ops::int8MatvecCovers(DType::Q6_K, 512));
    vk::DeviceInfo gpu = info;
    gpu.type = VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU;
    gpu.int8DotProduct = true;
    gpu.int8DotSignedAccelerated = true;
    QVERIFY(ops::int8MatvecPreferred(gpu));
    gpu.int8DotSignedAccelerated = false;
    QVERIFY(!ops::int8MatvecPreferred(gpu)); // emulated dot products
    gpu.int8DotMixedAccelerated = true;
    QVERIFY(ops::int8MatvecPreferred(gpu));
    vk::DeviceInfo cpu = gpu;
    cpu.type = VK_PHYSICAL_DEVICE_TYPE_CPU;
    QVERIFY(!ops::int8MatvecPreferred(cpu));
    if (info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && qEnvironmentVariableIsEmpty("ATELIER_INT8_MATVEC")) {
        // One row of a through Auto and Off: the float path's single dispatch, no quantization.
        for (Int8 mode : {Int8::Auto, Int8::Off}) {
            ops::MatmulOptions o;
            o.int8 = mode;
            Int8Run run;
            runInt8(DType::Q4_0, 1, 8, 64, o, run);
            QCOMPARE(run.dispatches, 1u);
            QVERIFY(run.floatNmse < 1e-10);
        }
    }
    QVERIFY(test::noValidationMessages());
}

// A batch whose inputs outgrow the workspace (64 KiB at first) moves to a larger one while the
// earlier dispatches still read the old one, which lives until the batch is done: every product
// right and the validation layer silent.
void TestOps::int8MatvecWorkspaceGrows()
{
    vk::Device& dev = *test::testDevice();
    if (!ops::int8MatvecRuns(dev.info()))
        QSKIP("this device has no shaderIntegerDotProduct");
    struct Product {
        int64_t m, k;
        std::vector<float> a;
        std::vector<uint8_t> b;
        std::optional<ops::Tensor> ta, tb, out;
    };
    const int64_t n = 9;
    std::vector<Product> products;
    for (int64_t k : {int64_t(256), int64_t(8192), int64_t(512)}) // 320 B, then 80 KiB of workspace
        products.push_back({8, k, test::randomFloats(size_t(8 * k), uint32_t(45 + k)),
                            test::randomBlocks(DType::Q4_0, n * k, uint32_t(46 + k)), {}, {}, {}});
    for (Product& p : products) {
        ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {p.m, p.k}, p.a));
        ASSIGN_OR_FAIL(auto b, ops::Tensor::create(dev, DType::Q4_0, {n, p.k}));
        VERIFY_OK(dev.upload(b.buffer, p.b.data(), p.b.size()));
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {p.m, n}));
        p.ta = std::move(a);
        p.tb = std::move(b);
        p.out = std::move(out);
    }
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) -> Status {
        for (Product& p : products)
            ATELIER_TRY(ops::matmul(batch, *p.ta, *p.tb, *p.out, forcedInt8()));
        return {};
    }));
    for (Product& p : products) {
        ASSIGN_OR_FAIL(auto got, p.out->toFloats(dev));
        const double err = test::normalisedError(got, test::quantMatmulReference(quantizedActivations(p.a), DType::Q4_0, p.b, p.m, n, p.k));
        QVERIFY2(err <= kQuantizedTolerance, qPrintable(QString("K=%1: error %2").arg(p.k).arg(err)));
    }
    QVERIFY(test::noValidationMessages());
}

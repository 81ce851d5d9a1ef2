#include "tst_ops.h"

#include "core/cpu_repack.h"
#include "ops/matmul.h"
#include "ops/residual_norm.h"
#include "quant_reference.h"
#include "references.h"

using namespace atelier;

// ops::matmulResidualNorm: out = a · b^T for one row of a, then the residual seam (x += [rmsnorm(out)
// * post], xn = rmsnorm(x) * next) in the same pass on CPU devices, done by the last subgroup to
// finish. Against the plain reference (the product in double, then the norms), and against
// ops::matmul then ops::residualNorm on the same device (the product bit for bit; the norms' sums
// within 1e-6, as the seam sums a row over one subgroup and residual_norm.comp over a workgroup);
// twice in a row, so the finish counter is back at 0 after each pass. N = 640 is Gemma 3
// 270M's width; 100 and 4099 leave the last invocations' rows of b past N; the repacked types are
// Gemma's (Q4_K and Q6_K on CPU devices). GPUs and weights the rows kernel does not take for one
// row (q6_k) decline: the caller records the composition.
void TestOps::matmulResidualNorm_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("postNorm");
    QTest::addColumn<bool>("repack");
    QTest::addRow("q4_k repacked N=640 post-norm") << DType::Q4_K << 640 << true << true;
    QTest::addRow("q6_k repacked N=640 post-norm") << DType::Q6_K << 640 << true << true;
    QTest::addRow("q5_0 N=100") << DType::Q5_0 << 100 << false << false;
    QTest::addRow("q8_0 N=4099 post-norm") << DType::Q8_0 << 4099 << true << false;
    QTest::addRow("f16 N=640") << DType::F16 << 640 << false << false;
    QTest::addRow("q4_k N=640 post-norm") << DType::Q4_K << 640 << true << false;
    QTest::addRow("q6_k N=640 declines") << DType::Q6_K << 640 << true << false;
}

void TestOps::matmulResidualNorm()
{
    QFETCH(DType, type);
    QFETCH(int, n);
    QFETCH(bool, postNorm);
    QFETCH(bool, repack);
    vk::Device& dev = *test::testDevice();
    const int64_t k = dtypeInfo(type).blockElements == 256 ? 512 : 224;
    const float eps = 1e-6f;
    const auto av = test::randomFloats(size_t(k), 51);
    const auto xv = test::randomFloats(size_t(n), 52, -3.0f, 3.0f);
    const auto postv = test::randomFloats(size_t(n), 53, 0.5f, 1.5f);
    const auto nextv = test::randomFloats(size_t(n), 54, 0.5f, 1.5f);
    std::vector<uint8_t> bytes;
    std::vector<float> halves, product;
    if (type == DType::F16) {
        halves = test::roundToHalf(test::randomFloats(size_t(n) * size_t(k), 55));
        product.assign(size_t(n), 0.0f);
        for (int j = 0; j < n; ++j) {
            double s = 0;
            for (int64_t i = 0; i < k; ++i)
                s += double(av[size_t(i)]) * halves[size_t(j * k + i)];
            product[size_t(j)] = float(s);
        }
    } else {
        bytes = test::randomBlocks(type, n * k, 55);
        product = test::quantMatmulReference(av, type, bytes, 1, n, k);
    }
    const DType stored = repack ? *cpuRepackedType(type) : type;
    if (repack)
        bytes = repackForCpu(type, bytes);
    const auto added = postNorm ? test::rmsnormReference(product, postv, eps) : product;
    std::vector<float> expectedX(static_cast<size_t>(n));
    for (size_t i = 0; i < expectedX.size(); ++i)
        expectedX[i] = xv[i] + added[i];
    const auto expectedXn = test::rmsnormReference(expectedX, nextv, eps);

    ASSIGN_OR_FAIL(auto a, ops::Tensor::fromFloats(dev, DType::F32, {1, k}, av));
    ops::Tensor b;
    if (type == DType::F16) {
        ASSIGN_OR_FAIL(b, ops::Tensor::fromFloats(dev, DType::F16, {n, k}, halves));
    } else {
        ASSIGN_OR_FAIL(b, ops::Tensor::create(dev, stored, {n, k}));
        VERIFY_OK(dev.upload(b.buffer, bytes.data(), bytes.size()));
    }
    ASSIGN_OR_FAIL(auto post, ops::Tensor::fromFloats(dev, DType::F32, {n}, postv));
    ASSIGN_OR_FAIL(auto next, ops::Tensor::fromFloats(dev, DType::F32, {n}, nextv));
    ASSIGN_OR_FAIL(auto finished, ops::Tensor::fromFloats(dev, DType::F32, {4}, std::vector<float>(4, 0.0f)));
    struct Run {
        std::vector<float> out, x, xn;
        bool seamed = false;
        uint32_t dispatches = 0;
    };
    const auto run = [&](bool seam, Run& r) {
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {1, n}));
        ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {1, n}, xv));
        ASSIGN_OR_FAIL(auto xn, ops::Tensor::create(dev, DType::F32, {1, n}));
        const ops::ResidualNormSeam s{&x, postNorm ? &post : nullptr, &next, &xn, eps, finished.buffer.range(0, 4)};
        VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) -> Status {
            if (seam) {
                ATELIER_ASSIGN(r.seamed, ops::matmulResidualNorm(batch, a, b, out, s));
            }
            if (!r.seamed) {
                ATELIER_TRY(ops::matmul(batch, a, b, out));
                ATELIER_TRY(ops::residualNorm(batch, x, out, s.postWeight, next, xn, {eps}));
            }
            r.dispatches = batch.dispatchCount();
            return {};
        }));
        ASSIGN_OR_FAIL(r.out, out.toFloats(dev));
        ASSIGN_OR_FAIL(r.x, x.toFloats(dev));
        ASSIGN_OR_FAIL(r.xn, xn.toFloats(dev));
    };
    Run composed, seamed, again;
    run(false, composed);
    run(true, seamed);
    run(true, again);
    if (QTest::currentTestFailed())
        return;
    const bool takes = dev.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU && stored != DType::Q6_K;
    QCOMPARE(seamed.seamed, takes);
    QCOMPARE(seamed.dispatches, takes ? 1u : composed.dispatches);
    const double errX = test::normalisedError(seamed.x, expectedX);
    const double errXn = test::normalisedError(seamed.xn, expectedXn);
    qInfo("x error %.3g, xn error %.3g (the composition's %.3g, %.3g) in %u dispatch(es)", errX, errXn,
          test::normalisedError(composed.x, expectedX), test::normalisedError(composed.xn, expectedXn),
          seamed.dispatches);
    QVERIFY2(errX <= 1e-5 && errXn <= 1e-5, qPrintable(QString("x error %1, xn error %2").arg(errX).arg(errXn)));
    QCOMPARE(seamed.out, composed.out);
    QVERIFY(test::normalisedError(seamed.x, composed.x) <= 1e-6);
    QVERIFY(test::normalisedError(seamed.xn, composed.xn) <= 1e-6);
    QCOMPARE(again.xn, seamed.xn); // the counter was back at 0
    ASSIGN_OR_FAIL(auto counter, finished.toFloats(dev));
    QCOMPARE(counter, std::vector<float>(4, 0.0f));
    QVERIFY(test::noValidationMessages());
}

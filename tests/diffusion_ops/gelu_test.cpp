#include "tst_diffusion_ops.h"

#include "ops/gelu.h"
#include "references.h"

#include <cmath>

using namespace atelier;

namespace {

// The erfc approximation is within a relative 1.2e-7; f16 outputs round to 2^-11.
constexpr double kToleranceF32 = 1e-6;
constexpr double kToleranceF16 = 1e-3;

} // namespace

void TestDiffusionOps::gelu_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("tanhForm");
    QTest::addColumn<bool>("gated");
    QTest::addColumn<bool>("actF16");
    for (bool tanhForm : {false, true}) {
        const char* form = tanhForm ? "tanh" : "erf";
        QTest::addRow("gelu %s 1 x 1", form) << 1 << 1 << tanhForm << false << false;
        QTest::addRow("gelu %s 3 x 1001", form) << 3 << 1001 << tanhForm << false << false;
        QTest::addRow("gelu %s f16 5 x 640", form) << 5 << 640 << tanhForm << false << true;
        QTest::addRow("geglu %s 5 x 333", form) << 5 << 333 << tanhForm << true << false;
        QTest::addRow("geglu %s f16 7 x 1280", form) << 7 << 1280 << tanhForm << true << true;
    }
}

void TestDiffusionOps::gelu()
{
    QFETCH(int, rows);
    QFETCH(int, n);
    QFETCH(bool, tanhForm);
    QFETCH(bool, gated);
    QFETCH(bool, actF16);
    vk::Device& dev = *test::testDevice();
    const DType act = actF16 ? DType::F16 : DType::F32;
    const int inRow = gated ? 2 * n : n;
    const auto xv = test::stored(act, test::randomFloats(size_t(rows) * inRow, 31, -6.0f, 6.0f));
    std::vector<float> expected(size_t(rows) * n);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < n; ++c) {
            const size_t i = size_t(r) * inRow + c;
            expected[size_t(r) * n + c] = gated ? float(xv[i] * test::geluReference(xv[i + size_t(n)], tanhForm))
                                                : float(test::geluReference(xv[i], tanhForm));
        }
    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, act, {rows, inRow}, xv));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, {rows, n}));
    const auto form = tanhForm ? ops::GeluForm::Tanh : ops::GeluForm::Erf;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) {
        return gated ? ops::geglu(b, x, out, form) : ops::gelu(b, x, out, form);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    qInfo("error %.3g", err);
    QVERIFY2(err <= (actF16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::silu()
{
    vk::Device& dev = *test::testDevice();
    for (DType act : {DType::F32, DType::F16}) {
        const auto xv = test::stored(act, test::randomFloats(2 * 1281, 32, -8.0f, 8.0f));
        std::vector<float> expected(xv.size());
        for (size_t i = 0; i < xv.size(); ++i)
            expected[i] = float(xv[i] / (1.0 + std::exp(-double(xv[i]))));
        ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, act, {2, 1281}, xv));
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, {2, 1281}));
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::silu(b, x, out); }));
        ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
        const double err = test::normalisedError(got, expected);
        qInfo("%s error %.3g", dtypeName(act), err);
        QVERIFY2(err <= (act == DType::F16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    }
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::quickGelu()
{
    vk::Device& dev = *test::testDevice();
    for (DType act : {DType::F32, DType::F16}) {
        // Wide enough that e^(-1.702 x) overflows at the low end (x < -52 in fp32).
        const auto xv = test::stored(act, test::randomFloats(3 * 1037, 33, -60.0f, 12.0f));
        std::vector<float> expected(xv.size());
        for (size_t i = 0; i < xv.size(); ++i)
            expected[i] = float(test::quickGeluReference(xv[i]));
        ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, act, {3, 1037}, xv));
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, act, {3, 1037}));
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::gelu(b, x, out, ops::GeluForm::Quick); }));
        ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
        const double err = test::normalisedError(got, expected);
        qInfo("%s error %.3g", dtypeName(act), err);
        QVERIFY2(err <= (act == DType::F16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
        for (float v : got)
            QVERIFY(std::isfinite(v));
    }
    ASSIGN_OR_FAIL(auto gatedIn, ops::Tensor::create(dev, DType::F32, {2, 8}));
    ASSIGN_OR_FAIL(auto gatedOut, ops::Tensor::create(dev, DType::F32, {2, 4}));
    const Status gated =
        dev.execute([&](vk::CommandBatch& b) { return ops::geglu(b, gatedIn, gatedOut, ops::GeluForm::Quick); });
    QVERIFY(!gated.ok());
    QCOMPARE(gated.error().code, ErrorCode::Unsupported);
    QVERIFY(test::noValidationMessages());
}

#include "tst_llm_ops.h"

#include "ops/glu.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// One exp (a few ulp) and a handful of fp32 operations per element.
constexpr double kTolerance = 1e-6;

} // namespace

void TestLlmOps::glu_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("n");
    QTest::addColumn<bool>("gelu");
    QTest::addColumn<bool>("fused");
    QTest::addColumn<float>("spread");
    for (bool gelu : {false, true}) {
        const char* act = gelu ? "geglu" : "swiglu";
        QTest::addRow("%s 1 x 1", act) << 1 << 1 << gelu << false << 4.0f;
        QTest::addRow("%s 3 x 1001", act) << 3 << 1001 << gelu << false << 4.0f;
        QTest::addRow("%s 7 x 4864 spread 30", act) << 7 << 4864 << gelu << false << 30.0f;
        QTest::addRow("%s fused 5 x 333", act) << 5 << 333 << gelu << true << 4.0f;
        QTest::addRow("%s fused 1 x 2048", act) << 1 << 2048 << gelu << true << 8.0f;
    }
}

void TestLlmOps::glu()
{
    QFETCH(int, rows);
    QFETCH(int, n);
    QFETCH(bool, gelu);
    QFETCH(bool, fused);
    QFETCH(float, spread);
    vk::Device& dev = *test::testDevice();
    const auto gv = test::randomFloats(size_t(rows * n), 80, -spread, spread);
    const auto uv = test::randomFloats(size_t(rows * n), 81, -2.0f, 2.0f);
    const auto expected = test::gluReference(gv, uv, gelu);
    const auto act = gelu ? ops::GluActivation::GeluTanh : ops::GluActivation::SiLU;
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {rows, n}));
    if (fused) {
        std::vector<float> both;
        for (int r = 0; r < rows; ++r) {
            both.insert(both.end(), gv.begin() + r * n, gv.begin() + (r + 1) * n);
            both.insert(both.end(), uv.begin() + r * n, uv.begin() + (r + 1) * n);
        }
        ASSIGN_OR_FAIL(auto gateUp, ops::Tensor::fromFloats(dev, DType::F32, {rows, 2 * n}, both));
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::glu(b, gateUp, out, act); }));
    } else {
        ASSIGN_OR_FAIL(auto gate, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, gv));
        ASSIGN_OR_FAIL(auto up, ops::Tensor::fromFloats(dev, DType::F32, {rows, n}, uv));
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::glu(b, gate, up, out, act); }));
    }
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const double err = test::normalisedError(got, expected);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::gluRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto a, ops::Tensor::create(dev, DType::F32, {2, 6}));
    ASSIGN_OR_FAIL(auto b, ops::Tensor::create(dev, DType::F32, {2, 5}));
    ASSIGN_OR_FAIL(auto half, ops::Tensor::create(dev, DType::F32, {2, 3}));
    ASSIGN_OR_FAIL(auto odd, ops::Tensor::create(dev, DType::F32, {2, 5}));
    ASSIGN_OR_FAIL(auto a16, ops::Tensor::create(dev, DType::F16, {2, 6}));
    const auto silu = ops::GluActivation::SiLU;
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"gate and up differ", [&](vk::CommandBatch& c) { return ops::glu(c, a, b, a, silu); }},
        {"f16", [&](vk::CommandBatch& c) { return ops::glu(c, a16, a16, a16, silu); }},
        {"fused output width", [&](vk::CommandBatch& c) { return ops::glu(c, a, a, silu); }},
        {"fused odd width", [&](vk::CommandBatch& c) { return ops::glu(c, odd, half, silu); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

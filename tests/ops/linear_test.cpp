// ops::linear, a Linear layer with its epilogue (bias, GELU, residual add, a fused projection split
// into parts), against a double-precision CPU reference: fused into the rows kernel where the device
// takes it (CPU devices) and as separate passes everywhere, which must agree with each other.

#include "tst_ops.h"

#include "ops/linear.h"
#include "references.h"

#include <cmath>
#include <optional>

using namespace atelier;

Q_DECLARE_METATYPE(std::optional<atelier::ops::GeluForm>)

namespace {

// As matmul: fp32 accumulation over K <= 1000 products against double.
constexpr double kTolerance = 1e-5;

double geluOf(double v, ops::GeluForm form)
{
    switch (form) {
    case ops::GeluForm::Erf: return 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
    case ops::GeluForm::Tanh: return 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / M_PI) * (v + 0.044715 * v * v * v)));
    case ops::GeluForm::Quick: return v / (1.0 + std::exp(-1.702 * v));
    }
    return v;
}

struct LinearCase {
    int64_t m, n, k;
    bool half, bias, residual;
    std::optional<ops::GeluForm> activation;
    int64_t parts;
};

// What out holds after the layer: the residual (or garbage the layer overwrites) updated by it.
// Parts sit partStride apart; elements between them keep their initial values.
std::vector<float> reference(const LinearCase& c, const std::vector<float>& x, const std::vector<float>& w,
                             const std::vector<float>& bias, const std::vector<float>& initial, int64_t partStride)
{
    const std::vector<float> product = test::matmulReference(x, w, c.m, c.n, c.k);
    std::vector<float> out = initial;
    const int64_t columns = c.n / c.parts;
    for (int64_t m = 0; m < c.m; ++m)
        for (int64_t n = 0; n < c.n; ++n) {
            double v = product[size_t(m * c.n + n)];
            if (c.bias)
                v += bias[size_t(n)];
            if (c.activation)
                v = geluOf(v, *c.activation);
            const size_t i = size_t((n / columns) * partStride + m * columns + n % columns);
            out[i] = float(c.residual ? double(initial[i]) + v : v);
        }
    return out;
}

} // namespace

void TestOps::linear_data()
{
    QTest::addColumn<LinearCase>("shape");
    using G = ops::GeluForm;
    const LinearCase cases[] = {
        {1, 5, 64, false, true, false, {}, 1},        {3, 65, 64, true, true, false, G::Quick, 1},
        {77, 96, 32, true, true, false, {}, 3},       {154, 64, 128, true, true, true, {}, 1},
        {154, 128, 32, true, true, false, G::Quick, 1}, {17, 63, 96, false, true, false, G::Erf, 1},
        {9, 48, 40, false, false, true, {}, 1},       {33, 31, 24, true, true, false, G::Tanh, 1},
        {13, 300, 64, true, false, false, {}, 3},     {8, 64, 1000, false, true, true, {}, 1},
    };
    for (const LinearCase& c : cases) {
        const std::string name = std::to_string(c.m) + "x" + std::to_string(c.n) + "x" + std::to_string(c.k) +
                                 (c.half ? " f16" : " f32") + (c.bias ? " bias" : "") + (c.residual ? " residual" : "") +
                                 (c.activation ? std::string(*c.activation == G::Erf ? " gelu" : *c.activation == G::Tanh ? " gelu-tanh" : " quick-gelu") : std::string()) +
                                 (c.parts > 1 ? " parts " + std::to_string(c.parts) : "");
        QTest::newRow(name.c_str()) << c;
    }
}

void TestOps::linear()
{
    QFETCH(LinearCase, shape);
    const LinearCase& c = shape;
    vk::Device& dev = *test::testDevice();
    const auto x = test::randomFloats(size_t(c.m * c.k), 21);
    auto w = test::randomFloats(size_t(c.n * c.k), 22, -0.2f, 0.2f);
    if (c.half)
        w = test::roundToHalf(std::move(w));
    const auto bias = test::randomFloats(size_t(c.n), 23);
    // Parts sit apart with a gap (as the text encoder pads them to aligned offsets).
    const int64_t columns = c.n / c.parts;
    const int64_t partStride = c.parts > 1 ? c.m * columns + 7 : c.m * c.n;
    const int64_t outElements = (c.parts - 1) * partStride + c.m * columns;
    const auto initial = test::randomFloats(size_t(outElements), 24);
    const auto expected = reference(c, x, w, bias, initial, partStride);

    ASSIGN_OR_FAIL(auto xt, ops::Tensor::fromFloats(dev, DType::F32, {c.m, c.k}, x));
    ASSIGN_OR_FAIL(auto wt, ops::Tensor::fromFloats(dev, c.half ? DType::F16 : DType::F32, {c.n, c.k}, w));
    ASSIGN_OR_FAIL(auto bt, ops::Tensor::fromFloats(dev, DType::F32, {c.n}, bias));
    ASSIGN_OR_FAIL(auto scratch, ops::Tensor::create(dev, DType::F32, {c.m * c.n}));
    std::vector<std::vector<float>> results;
    for (bool separate : {false, true}) {
        const std::vector<int64_t> outShape =
            c.parts > 1 ? std::vector<int64_t>{outElements} : std::vector<int64_t>{c.m, c.n};
        ASSIGN_OR_FAIL(auto out, ops::Tensor::fromFloats(dev, DType::F32, outShape, initial));
        ops::LinearOptions options;
        options.bias = c.bias ? &bt : nullptr;
        options.activation = c.activation;
        options.residual = c.residual;
        options.parts = uint64_t(c.parts);
        options.partStride = uint64_t(partStride);
        options.scratch = &scratch;
        options.separatePasses = separate;
        uint32_t dispatches = 0;
        VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
            auto s = ops::linear(batch, xt, wt, out, options);
            dispatches = batch.dispatchCount();
            return s;
        }));
        ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
        const double error = test::normalisedError(got, expected);
        qInfo("%s: error %.3g, %u dispatches", separate ? "separate passes" : "fused where possible", error, dispatches);
        QVERIFY2(error <= kTolerance, qPrintable(QString("error %1").arg(error)));
        results.push_back(std::move(got));
    }
    // Both ways compute the same values up to the order of a few fp32 operations.
    QVERIFY(test::normalisedError(results[0], results[1]) <= 1e-6);
    QVERIFY(test::noValidationMessages());
}

void TestOps::linearRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {4, 8}));
    ASSIGN_OR_FAIL(auto w, ops::Tensor::create(dev, DType::F32, {9, 8}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {4, 9}));
    ASSIGN_OR_FAIL(auto small, ops::Tensor::create(dev, DType::F32, {4, 3}));
    ASSIGN_OR_FAIL(auto wrongBias, ops::Tensor::create(dev, DType::F32, {8}));
    const auto fails = [&](const ops::Tensor& wt, ops::Tensor& o, const ops::LinearOptions& options) {
        auto s = dev.execute([&](vk::CommandBatch& b) { return ops::linear(b, x, wt, o, options); });
        return !s.ok();
    };
    ops::LinearOptions twoParts;
    twoParts.parts = 2; // 9 outputs do not split in two
    QVERIFY(fails(w, out, twoParts));
    ops::LinearOptions residualParts;
    residualParts.parts = 3;
    residualParts.residual = true;
    QVERIFY(fails(w, out, residualParts));
    QVERIFY(fails(w, small, {})); // out is not [4, 9]
    ops::LinearOptions badBias;
    badBias.bias = &wrongBias;
    QVERIFY(fails(w, out, badBias));
    ops::LinearOptions noScratch;
    noScratch.residual = true;
    noScratch.separatePasses = true; // the separate passes need a scratch for the product
    QVERIFY(fails(w, out, noScratch));
    QVERIFY(test::noValidationMessages());
}

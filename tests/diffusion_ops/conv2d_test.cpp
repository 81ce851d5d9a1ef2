#include "tst_diffusion_ops.h"

#include "ops/conv2d.h"
#include "references.h"

#include <functional>

using namespace atelier;

namespace {

// fp32 sums of up to a few thousand products; f16 outputs add their own rounding (2^-11).
constexpr double kToleranceF32 = 2e-6;
constexpr double kToleranceF16 = 1e-3;

struct ConvRun {
    test::ConvCase c;
    bool actF16 = false, weightF16 = false, bias = false, residual = false;
    uint32_t tileRows = 0, microTile = 0;
    uint64_t maxBindingBytes = 0;
    ops::Conv2dKernel kernel = ops::Conv2dKernel::Auto;
};

// Runs the case on the device and returns the normalised error against the reference, or a
// negative value with the failure in `error`.
double runConv(const ConvRun& r, std::string& error)
{
    vk::Device& dev = *test::testDevice();
    const test::ConvCase& c = r.c;
    const DType act = r.actF16 ? DType::F16 : DType::F32, wt = r.weightF16 ? DType::F16 : DType::F32;
    const int oh = test::convOutputSize(c.height, c), ow = test::convOutputSize(c.width, c);
    const size_t inN = size_t(c.batch) * c.height * c.width * c.inC, outN = size_t(c.batch) * oh * ow * c.outC;
    const auto in = test::stored(act, test::randomFloats(inN, 11));
    // Weights scaled like a trained layer's so the sums stay O(1).
    const float ws = 1.0f / std::sqrt(float(c.inC * c.kernel * c.kernel));
    const auto w = test::stored(wt, test::randomFloats(size_t(c.outC) * c.inC * c.kernel * c.kernel, 12, -ws, ws));
    const auto bias = r.bias ? test::stored(wt, test::randomFloats(size_t(c.outC), 13)) : std::vector<float>{};
    const auto residual = r.residual ? test::stored(act, test::randomFloats(outN, 14)) : std::vector<float>{};
    const auto expected = test::conv2dReference(in, w, bias, residual, c);

    std::vector<float> packed(w.size());
    ops::repackConvWeight(w.data(), packed.data(), sizeof(float), c.outC, c.inC, c.kernel, c.kernel);
    auto fail = [&](const Error& e) {
        error = e.message;
        return -1.0;
    };
    auto tin = ops::Tensor::fromFloats(dev, act, {c.batch, c.height, c.width, c.inC}, in);
    auto tw = ops::Tensor::fromFloats(dev, wt, {c.outC, c.kernel, c.kernel, c.inC}, packed);
    auto tout = ops::Tensor::create(dev, act, {c.batch, oh, ow, c.outC});
    if (!tin || !tw || !tout)
        return fail(!tin ? tin.error() : !tw ? tw.error() : tout.error());
    ops::Tensor tb, tr;
    ops::Conv2dOptions o;
    o.stride = uint32_t(c.stride);
    o.pad = uint32_t(c.pad);
    o.upsample = c.upsample;
    o.tileRows = r.tileRows;
    o.microTile = r.microTile;
    o.maxBindingBytes = r.maxBindingBytes;
    o.kernel = r.kernel;
    if (r.bias) {
        auto t = ops::Tensor::fromFloats(dev, wt, {c.outC}, bias);
        if (!t)
            return fail(t.error());
        tb = std::move(t).value();
        o.bias = &tb;
    }
    if (r.residual) {
        auto t = ops::Tensor::fromFloats(dev, act, {c.batch, oh, ow, c.outC}, residual);
        if (!t)
            return fail(t.error());
        tr = std::move(t).value();
        o.residual = &tr;
    }
    const Status s = dev.execute([&](vk::CommandBatch& b) { return ops::conv2d(b, *tin, *tw, *tout, o); });
    if (!s)
        return fail(s.error());
    auto got = tout->toFloats(dev);
    if (!got)
        return fail(got.error());
    return test::normalisedError(*got, expected);
}

} // namespace

void TestDiffusionOps::conv2d_data()
{
    QTest::addColumn<int>("batch");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::addColumn<int>("inC");
    QTest::addColumn<int>("outC");
    QTest::addColumn<int>("kernel");
    QTest::addColumn<int>("stride");
    QTest::addColumn<bool>("upsample");
    QTest::addColumn<bool>("actF16");
    QTest::addColumn<bool>("weightF16");
    QTest::addColumn<bool>("bias");
    QTest::addColumn<bool>("residual");
    QTest::addColumn<int>("tileRows");
    // columns: batch, height, width, inC, outC, kernel, stride, upsample, actF16, weightF16, bias, residual, tileRows
    // (0: chosen for the device, 128: of 8 x 8 per invocation, 1616: 128 of 16 x 16; most cases take
    // small tiles, whose pipelines lavapipe compiles fastest; -1: the rows kernel, -2: the rows
    // kernel with pixels fastest)
    QTest::addRow("3x3 f32, 128 tiles of 16 x 16") << 1 << 8 << 8 << 16 << 32 << 3 << 1 << false << false << false << false << false << 1616;
    QTest::addRow("3x3 odd, f16 weights, bias") << 2 << 7 << 5 << 19 << 21 << 3 << 1 << false << false << true << true << false << 64;
    QTest::addRow("3x3 f16, bias, residual, 64 tiles") << 2 << 9 << 6 << 32 << 40 << 3 << 1 << false << true << true << true << true << 64;
    QTest::addRow("3x3 stride 2 f16") << 2 << 9 << 11 << 24 << 40 << 3 << 2 << false << true << true << true << false << 64;
    QTest::addRow("3x3 stride 2 even, 128 tiles of 8 x 8") << 1 << 16 << 16 << 32 << 136 << 3 << 2 << false << false << true << true << false << 128;
    QTest::addRow("1x1 residual") << 2 << 6 << 6 << 40 << 24 << 1 << 1 << false << false << true << false << true << 64;
    QTest::addRow("1x1 f16, 64 tiles") << 1 << 5 << 13 << 48 << 72 << 1 << 1 << false << true << true << true << false << 64;
    QTest::addRow("3x3 upsample") << 1 << 5 << 4 << 16 << 16 << 3 << 1 << true << false << true << true << false << 0;
    QTest::addRow("3x3 upsample f16, residual") << 2 << 3 << 6 << 20 << 24 << 3 << 1 << true << true << true << true << true << 64;
    QTest::addRow("conv_in 4 channels") << 2 << 16 << 16 << 4 << 32 << 3 << 1 << false << false << true << true << false << 64;
    QTest::addRow("conv_out 4 channels") << 2 << 12 << 12 << 32 << 4 << 3 << 1 << false << false << true << true << false << 0;
    QTest::addRow("vae conv_out 3 channels f16") << 1 << 10 << 14 << 24 << 3 << 3 << 1 << false << true << true << true << false << 0;
    QTest::addRow("1 x 1 images") << 3 << 1 << 1 << 8 << 8 << 3 << 1 << false << false << false << true << true << 0;
    QTest::addRow("f16 activations, f32 weights") << 1 << 6 << 7 << 12 << 20 << 3 << 1 << false << true << false << true << false << 64;
    QTest::addRow("64 channels 16x16 f16") << 1 << 16 << 16 << 64 << 64 << 3 << 1 << false << true << true << true << true << 64;
    QTest::addRow("rows 3x3, bias, residual") << 2 << 9 << 7 << 16 << 20 << 3 << 1 << false << false << true << true << true << -1;
    QTest::addRow("rows 3x3 f16, stride 2, pixels fastest") << 2 << 9 << 11 << 24 << 40 << 3 << 2 << false << true << true << true << false << -2;
    QTest::addRow("rows upsample f16, residual") << 2 << 3 << 6 << 16 << 24 << 3 << 1 << true << true << true << true << true << -1;
    QTest::addRow("rows 1x1, pixels fastest") << 2 << 6 << 5 << 40 << 27 << 1 << 1 << false << false << true << false << true << -2;
    QTest::addRow("rows 3 channels out") << 1 << 5 << 3 << 8 << 3 << 3 << 1 << false << true << true << true << false << -1;
}

void TestDiffusionOps::conv2d()
{
    QFETCH(int, batch);
    QFETCH(int, height);
    QFETCH(int, width);
    QFETCH(int, inC);
    QFETCH(int, outC);
    QFETCH(int, kernel);
    QFETCH(int, stride);
    QFETCH(bool, upsample);
    QFETCH(bool, actF16);
    QFETCH(bool, weightF16);
    QFETCH(bool, bias);
    QFETCH(bool, residual);
    QFETCH(int, tileRows);
    ConvRun r;
    r.c = {batch, height, width, inC, outC, kernel, stride, kernel == 3 ? 1 : 0, upsample};
    r.actF16 = actF16;
    r.weightF16 = weightF16;
    r.bias = bias;
    r.residual = residual;
    r.tileRows = tileRows == 1616 ? 128 : tileRows < 0 ? 0 : uint32_t(tileRows);
    r.microTile = tileRows == 1616 ? 16 : tileRows == 128 ? 8 : 0;
    r.kernel = tileRows == -1 ? ops::Conv2dKernel::Rows
             : tileRows == -2 ? ops::Conv2dKernel::RowsPixelsFastest
             : tileRows == 0  ? ops::Conv2dKernel::Auto
                              : ops::Conv2dKernel::Tiled;
    std::string error;
    const double err = runConv(r, error);
    QVERIFY2(err >= 0, error.c_str());
    qInfo("error %.3g", err);
    QVERIFY2(err <= (actF16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::conv2dRowBands_data()
{
    QTest::addColumn<int>("stride");
    QTest::addColumn<bool>("upsample");
    QTest::addColumn<bool>("actF16");
    QTest::addColumn<int>("maxBindingBytes");
    QTest::addRow("stride 1") << 1 << false << false << 2048;
    QTest::addRow("stride 2") << 2 << false << false << 2048;
    QTest::addRow("upsample f16") << 1 << true << true << 1536;
    QTest::addRow("whole images") << 1 << false << false << 8192;
}

// Images larger than a binding go in bands of output rows with the input rows under them.
void TestDiffusionOps::conv2dRowBands()
{
    QFETCH(int, stride);
    QFETCH(bool, upsample);
    QFETCH(bool, actF16);
    QFETCH(int, maxBindingBytes);
    ConvRun r;
    r.c = {3, 12, 10, 8, 8, 3, stride, 1, upsample};
    r.actF16 = actF16;
    r.weightF16 = true;
    r.bias = true;
    r.residual = true;
    r.maxBindingBytes = uint64_t(maxBindingBytes);
    std::string error;
    const double err = runConv(r, error);
    QVERIFY2(err >= 0, error.c_str());
    QVERIFY2(err <= (actF16 ? kToleranceF16 : kToleranceF32), qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::conv2dRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto in, ops::Tensor::create(dev, DType::F32, {1, 8, 8, 16}));
    ASSIGN_OR_FAIL(auto w, ops::Tensor::create(dev, DType::F16, {32, 3, 3, 16}));
    ASSIGN_OR_FAIL(auto w15, ops::Tensor::create(dev, DType::F16, {32, 3, 3, 15}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {1, 8, 8, 32}));
    ASSIGN_OR_FAIL(auto out16, ops::Tensor::create(dev, DType::F16, {1, 8, 8, 32}));
    ASSIGN_OR_FAIL(auto small, ops::Tensor::create(dev, DType::F32, {1, 4, 4, 32}));
    ASSIGN_OR_FAIL(auto bias, ops::Tensor::create(dev, DType::F32, {32}));
    ops::Conv2dOptions pad1;
    pad1.pad = 1;
    ops::Conv2dOptions wrongBias = pad1;
    wrongBias.bias = &bias; // f32 bias with f16 weights
    ops::Conv2dOptions zeroStride = pad1;
    zeroStride.stride = 0;
    ASSIGN_OR_FAIL(auto w32, ops::Tensor::create(dev, DType::F32, {32, 3, 3, 16}));
    ops::Conv2dOptions rowsF32 = pad1;
    rowsF32.kernel = ops::Conv2dKernel::Rows;
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"channels differ", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w15, out, pad1); }},
        {"mixed activation dtypes", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w, out16, pad1); }},
        {"output size", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w, small, pad1); }},
        {"unpadded output size", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w, out); }},
        {"bias dtype", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w, out, wrongBias); }},
        {"stride 0", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w, out, zeroStride); }},
        {"rows kernel with f32 weights", [&](vk::CommandBatch& b) { return ops::conv2d(b, in, w32, out, rowsF32); }},
    };
    for (const auto& [name, record] : cases) {
        const Status s = dev.execute(record);
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
    }
    QVERIFY(test::noValidationMessages());
}

void TestDiffusionOps::repackConvWeight()
{
    // [2, 3, 1, 2] OIHW: element (o, i, y, x) = 1000 o + 100 i + 10 y + x.
    std::vector<uint16_t> oihw, ohwi(12);
    for (int o = 0; o < 2; ++o)
        for (int i = 0; i < 3; ++i)
            for (int x = 0; x < 2; ++x)
                oihw.push_back(uint16_t(1000 * o + 100 * i + x));
    ops::repackConvWeight(oihw.data(), ohwi.data(), 2, 2, 3, 1, 2);
    const std::vector<uint16_t> expected = {0, 100, 200, 1, 101, 201, 1000, 1100, 1200, 1001, 1101, 1201};
    QCOMPARE(ohwi, expected);
}

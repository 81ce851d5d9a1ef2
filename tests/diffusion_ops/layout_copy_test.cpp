#include "tst_diffusion_ops.h"

#include "ops/layout_copy.h"

using namespace atelier;

namespace {

DType typeOf(bool f16) { return f16 ? DType::F16 : DType::F32; }

// Copies are exact, except the rounding of an f32 source into f16.
void compareExact(const std::vector<float>& got, const std::vector<float>& expected, DType out)
{
    QCOMPARE(got.size(), expected.size());
    const std::vector<float> want = test::stored(out, expected);
    for (size_t i = 0; i < got.size(); ++i)
        QVERIFY2(got[i] == want[i], qPrintable(QString("element %1: %2, expected %3").arg(i).arg(got[i]).arg(want[i])));
}

} // namespace

void TestDiffusionOps::layoutCopies_data()
{
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("cols");
    QTest::addColumn<bool>("inF16");
    QTest::addColumn<bool>("outF16");
    QTest::addColumn<int>("maxBindingBytes");
    QTest::addRow("f32") << 37 << 53 << false << false << 0;
    QTest::addRow("f16 to f32") << 64 << 20 << true << false << 0;
    QTest::addRow("f32 to f16") << 9 << 130 << false << true << 0;
    QTest::addRow("f16, bands") << 50 << 34 << true << true << 1024;
    QTest::addRow("f32, bands") << 41 << 30 << false << false << 2048;
}

void TestDiffusionOps::layoutCopies()
{
    QFETCH(int, rows);
    QFETCH(int, cols);
    QFETCH(bool, inF16);
    QFETCH(bool, outF16);
    QFETCH(int, maxBindingBytes);
    vk::Device& dev = *test::testDevice();
    const auto values = test::stored(typeOf(inF16), test::randomFloats(size_t(rows) * cols, 71, -3.0f, 3.0f));
    ASSIGN_OR_FAIL(auto in, ops::Tensor::fromFloats(dev, typeOf(inF16), {rows, cols}, values));
    const ops::LayoutCopyOptions options{uint64_t(maxBindingBytes)};

    // convert, in bands when the binding limit is lowered
    ASSIGN_OR_FAIL(auto converted, ops::Tensor::create(dev, typeOf(outF16), {rows, cols}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::convert(b, in, converted, options); }));
    ASSIGN_OR_FAIL(auto got, converted.toFloats(dev));
    compareExact(got, values, typeOf(outF16));

    // transpose (one binding)
    std::vector<float> transposed(values.size());
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < cols; ++c)
            transposed[size_t(c) * rows + r] = values[size_t(r) * cols + c];
    ASSIGN_OR_FAIL(auto t, ops::Tensor::create(dev, typeOf(outF16), {cols, rows}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::transpose2d(b, in, t); }));
    ASSIGN_OR_FAIL(got, t.toFloats(dev));
    compareExact(got, transposed, typeOf(outF16));

    // a block of columns out and back in (a head of token-major rows), in bands when lowered
    const int first = cols / 3, count = cols / 2;
    std::vector<float> block(size_t(rows) * count);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < count; ++c)
            block[size_t(r) * count + c] = values[size_t(r) * cols + first + c];
    ASSIGN_OR_FAIL(auto columns, ops::Tensor::create(dev, typeOf(outF16), {rows, count}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::copyColumns(b, in, first, count, columns, 0, options); }));
    ASSIGN_OR_FAIL(got, columns.toFloats(dev));
    compareExact(got, block, typeOf(outF16));
    std::vector<float> back(size_t(rows) * cols, 5.0f);
    for (int r = 0; r < rows; ++r)
        for (int c = 0; c < count; ++c)
            back[size_t(r) * cols + first + c] = block[size_t(r) * count + c];
    ASSIGN_OR_FAIL(auto full, ops::Tensor::fromFloats(dev, typeOf(inF16), {rows, cols}, std::vector<float>(back.size(), 5.0f)));
    ASSIGN_OR_FAIL(auto blockIn, ops::Tensor::fromFloats(dev, typeOf(inF16), {rows, count}, test::stored(typeOf(outF16), block)));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::copyIntoColumns(b, blockIn, full, uint64_t(first), options); }));
    ASSIGN_OR_FAIL(got, full.toFloats(dev));
    compareExact(got, test::stored(typeOf(outF16), back), typeOf(inF16));

    // pad: rows x cols seen as an image [1, rows, cols / 2, 2]
    const int w = cols / 2;
    ASSIGN_OR_FAIL(auto image, in.view({1, rows, w, 2}));
    std::vector<float> padded(size_t(rows + 1) * (w + 1) * 2, 0.0f);
    for (int y = 0; y < rows; ++y)
        for (int x = 0; x < w * 2; ++x)
            padded[size_t(y) * (w + 1) * 2 + x] = values[size_t(y) * w * 2 + x];
    ASSIGN_OR_FAIL(auto p, ops::Tensor::fromFloats(dev, typeOf(outF16), {1, rows + 1, w + 1, 2},
                                                    std::vector<float>(padded.size(), 7.0f)));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::padBottomRight(b, image, p, options); }));
    ASSIGN_OR_FAIL(got, p.toFloats(dev));
    compareExact(got, padded, typeOf(outF16));
    QVERIFY(test::noValidationMessages());
}

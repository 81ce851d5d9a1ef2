#include "tst_llm_ops.h"

#include "ops/attention.h"
#include "ops/attention_inputs.h"
#include "ops/decode_attention.h"
#include "references.h"

#include <algorithm>
#include <cmath>

using namespace atelier;

namespace {

// Each of `rows` rows of x RMS-normalised (in double) and scaled by w.
std::vector<float> normRows(const std::vector<float>& x, const std::vector<float>& w, int rows, int dim, double eps)
{
    std::vector<float> out(x.size());
    for (int r = 0; r < rows; ++r) {
        double ss = 0;
        for (int i = 0; i < dim; ++i)
            ss += double(x[size_t(r * dim + i)]) * x[size_t(r * dim + i)];
        const double scale = 1.0 / std::sqrt(ss / dim + eps);
        for (int i = 0; i < dim; ++i)
            out[size_t(r * dim + i)] = float(x[size_t(r * dim + i)] * scale * w[size_t(i)]);
    }
    return out;
}

struct DecodeCase {
    bool neox = false;
    int heads = 1, kvHeads = 1, headDim = 64, nRot = 0;
    uint32_t position = 0, window = 0;
    int norms = 0; // bit 0: q norm, bit 1: k norm
    bool factors = false;
    float softCap = 0.0f;
};

struct DecodeRun {
    std::vector<float> out, kCache, vCache;
    uint32_t dispatches = 0;
    bool applied = false;
};

struct DecodeInputs {
    std::vector<float> q, k, v, cache, qNorm, kNorm, factors;
    int capacity = 0;
};

DecodeInputs decodeInputs(const DecodeCase& c)
{
    DecodeInputs in;
    in.capacity = int(c.position) + 7;
    in.q = test::randomFloats(size_t(c.heads * c.headDim), 90, -2.0f, 2.0f);
    in.k = test::randomFloats(size_t(c.kvHeads * c.headDim), 91, -2.0f, 2.0f);
    in.v = test::randomFloats(size_t(c.kvHeads * c.headDim), 92, -2.0f, 2.0f);
    in.cache = test::roundToHalf(test::randomFloats(size_t(c.kvHeads * in.capacity * c.headDim), 93));
    in.qNorm = test::randomFloats(size_t(c.headDim), 94, 0.5f, 1.5f);
    in.kNorm = test::randomFloats(size_t(c.headDim), 95, 0.5f, 1.5f);
    in.factors = test::randomFloats(size_t(c.headDim / 2), 96, 1.0f, 8.0f);
    return in;
}

constexpr float kScale = 0.0625f;
constexpr double kFreqBase = 1e4;
constexpr float kEps = 1e-6f;

// fused: ops::decodeAttention; otherwise ropeAndStoreKv then attention, which it replaces.
void runDecode(const DecodeCase& c, const DecodeInputs& in, bool fused, DecodeRun& run)
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto q, ops::Tensor::fromFloats(dev, DType::F32, {1, c.heads, c.headDim}, in.q));
    ASSIGN_OR_FAIL(auto k, ops::Tensor::fromFloats(dev, DType::F32, {1, c.kvHeads, c.headDim}, in.k));
    ASSIGN_OR_FAIL(auto v, ops::Tensor::fromFloats(dev, DType::F32, {1, c.kvHeads, c.headDim}, in.v));
    ASSIGN_OR_FAIL(auto kCache, ops::Tensor::fromFloats(dev, DType::F16, {c.kvHeads, in.capacity, c.headDim}, in.cache));
    ASSIGN_OR_FAIL(auto vCache, ops::Tensor::fromFloats(dev, DType::F16, {c.kvHeads, in.capacity, c.headDim}, in.cache));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {1, c.heads, c.headDim}));
    ASSIGN_OR_FAIL(auto qNorm, ops::Tensor::fromFloats(dev, DType::F32, {c.headDim}, in.qNorm));
    ASSIGN_OR_FAIL(auto kNorm, ops::Tensor::fromFloats(dev, DType::F32, {c.headDim}, in.kNorm));
    ASSIGN_OR_FAIL(auto ff, ops::Tensor::fromFloats(dev, DType::F32, {c.headDim / 2}, in.factors));
    ASSIGN_OR_FAIL(auto ws, ops::Tensor::create(dev, DType::F32,
                                                {ops::attentionWorkspaceElements(16, c.heads, c.headDim)}));
    ops::AttentionInputsOptions inputs;
    inputs.rope = ops::RopeOptions{c.neox ? ops::RopeLayout::Neox : ops::RopeLayout::Normal, c.position,
                                   uint32_t(c.nRot ? c.nRot : c.headDim), float(kFreqBase), 1.0f,
                                   c.factors ? &ff : nullptr};
    inputs.rope.normEps = kEps;
    inputs.queryNorm = c.norms & 1 ? &qNorm : nullptr;
    inputs.keyNorm = c.norms & 2 ? &kNorm : nullptr;
    ops::AttentionOptions attend;
    attend.startPosition = c.position;
    attend.window = c.window;
    attend.scale = kScale;
    attend.softCap = c.softCap;
    attend.workspace = &ws;
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
        if (fused) {
            ATELIER_ASSIGN(run.applied, ops::decodeAttention(b, q, k, v, kCache, vCache, out, inputs, attend));
        } else {
            ATELIER_TRY(ops::ropeAndStoreKv(b, q, k, v, kCache, vCache, inputs));
            ATELIER_TRY(ops::attention(b, q, kCache, vCache, out, attend));
        }
        run.dispatches = b.dispatchCount();
        return {};
    }));
    ASSIGN_OR_FAIL(run.out, out.toFloats(dev));
    ASSIGN_OR_FAIL(run.kCache, kCache.toFloats(dev));
    ASSIGN_OR_FAIL(run.vCache, vCache.toFloats(dev));
}

// The plain reference: q and k normalised and roped in double, k and v cached as f16, attention in double.
std::vector<float> decodeReference(const DecodeCase& c, const DecodeInputs& in)
{
    test::RopeCase rope;
    rope.headDim = c.headDim;
    rope.nRot = c.headDim;
    rope.neox = c.neox;
    rope.startPosition = c.position;
    rope.freqBase = kFreqBase;
    if (c.factors)
        rope.freqFactors = in.factors;
    rope.heads = c.heads;
    const auto q = ropeReference(c.norms & 1 ? normRows(in.q, in.qNorm, c.heads, c.headDim, kEps) : in.q, rope);
    rope.heads = c.kvHeads;
    const auto k = test::roundToHalf(ropeReference(c.norms & 2 ? normRows(in.k, in.kNorm, c.kvHeads, c.headDim, kEps) : in.k, rope));
    const auto v = test::roundToHalf(in.v);
    auto kCache = in.cache, vCache = in.cache;
    for (int h = 0; h < c.kvHeads; ++h)
        for (int i = 0; i < c.headDim; ++i) {
            const size_t at = (size_t(h) * in.capacity + c.position) * c.headDim + i;
            kCache[at] = k[size_t(h * c.headDim + i)];
            vCache[at] = v[size_t(h * c.headDim + i)];
        }
    test::AttentionCase a;
    a.heads = c.heads;
    a.kvHeads = c.kvHeads;
    a.headDim = c.headDim;
    a.capacity = in.capacity;
    a.startPosition = c.position;
    a.kvLength = c.position + 1;
    a.window = c.window;
    a.scale = kScale;
    a.softCap = c.softCap;
    return test::attentionReference(q, kCache, vCache, a);
}

} // namespace

// ops::decodeAttention (one dispatch) against the plain reference and against ropeAndStoreKv then
// attention on the same device (three dispatches on CPU devices): the outputs agree with the
// composition to 1e-5 (its scores sum a row's products in another order) and with the reference
// to 1e-4 (measured below 1e-6; the angles are f32, and a key may round to the other f16 neighbour); the caches agree with
// the composition's (rows other than the new one untouched), k to one f16 unit (the norm's sum
// in another order), v bit for bit. Other devices take the composition: it must say so.
void TestLlmOps::decodeAttention_data()
{
    QTest::addColumn<bool>("neox");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("kvHeads");
    QTest::addColumn<int>("headDim");
    QTest::addColumn<uint>("position");
    QTest::addColumn<uint>("window");
    QTest::addColumn<int>("norms");
    QTest::addColumn<bool>("factors");
    QTest::addColumn<double>("softCap");
    QTest::addRow("gemma3 global at 37") << true << 4 << 1 << 256 << 37u << 0u << 3 << false << 0.0;
    QTest::addRow("gemma3 local window 16 at 40") << true << 4 << 1 << 256 << 40u << 16u << 3 << false << 0.0;
    QTest::addRow("llama3 factors gqa at 20") << false << 8 << 2 << 64 << 20u << 0u << 0 << true << 0.0;
    QTest::addRow("qwen2 neox 64 first token") << true << 4 << 2 << 64 << 0u << 0u << 0 << false << 0.0;
    QTest::addRow("qwen3 neox 64 norms at 5") << true << 4 << 2 << 64 << 5u << 0u << 3 << false << 0.0;
    QTest::addRow("neox 128 q norm soft cap at 9") << true << 2 << 2 << 128 << 9u << 0u << 1 << false << 5.0;
    QTest::addRow("normal 128 window 1 at 12") << false << 6 << 3 << 128 << 12u << 1u << 2 << false << 0.0;
}

void TestLlmOps::decodeAttention()
{
    DecodeCase c;
    QFETCH(bool, neox);
    QFETCH(int, heads);
    QFETCH(int, kvHeads);
    QFETCH(int, headDim);
    QFETCH(uint, position);
    QFETCH(uint, window);
    QFETCH(int, norms);
    QFETCH(bool, factors);
    QFETCH(double, softCap);
    c = DecodeCase{neox, heads, kvHeads, headDim, 0, position, window, norms, factors, float(softCap)};
    const DecodeInputs in = decodeInputs(c);
    DecodeRun composed, fused;
    runDecode(c, in, false, composed);
    if (QTest::currentTestFailed())
        return;
    runDecode(c, in, true, fused);
    if (QTest::currentTestFailed())
        return;
    // CPU devices take it where each lane holds whole 8-value chunks of a head row (8 lanes on
    // lavapipe: head dims of 64 and more; 16 lanes, LP_NATIVE_VECTOR_WIDTH=512: 128 and more), and
    // NEOX's pairs stay in a lane or cross half the lanes.
    const auto& info = test::testDevice()->info();
    const int owned = info.subgroupSize ? headDim / 8 / int(info.subgroupSize) : 0;
    const bool takes = info.type == VK_PHYSICAL_DEVICE_TYPE_CPU && owned > 0 &&
                       headDim % (8 * int(info.subgroupSize)) == 0 && (!neox || owned % 2 == 0 || owned == 1);
    if (!takes) {
        QVERIFY(!fused.applied);
        QCOMPARE(fused.dispatches, 0u);
        return;
    }
    QVERIFY(fused.applied);
    QCOMPARE(fused.dispatches, 1u);
    const auto reference = decodeReference(c, in);
    const double dComposed = test::worstDifference(fused.out, composed.out);
    const double dReference = test::worstDifference(fused.out, reference);
    const double dk = test::halfUnits(fused.kCache, composed.kCache);
    qInfo("out %.3g from the composition (%u dispatches), %.3g from the reference (the composition's %.3g); k cache "
          "%.3g f16 units",
          dComposed, composed.dispatches, dReference, test::worstDifference(composed.out, reference), dk);
    QVERIFY2(dComposed <= 1e-5, qPrintable(QString("out differs from the composition's by %1").arg(dComposed)));
    QVERIFY2(dReference <= 1e-4, qPrintable(QString("out differs from the reference by %1").arg(dReference)));
    QVERIFY2(dk <= 1.0, qPrintable(QString("k cache differs by %1 f16 units").arg(dk)));
    QCOMPARE(fused.vCache, composed.vCache);
    QVERIFY(composed.vCache != in.cache); // the new rows landed
    QVERIFY(test::noValidationMessages());
}

// Where the fused kernel does not apply it records nothing and says so, and the caller's
// composition runs: head dims of fewer chunks than lanes, partial rotary, several tokens.
void TestLlmOps::decodeAttentionDeclines()
{
    const auto declines = [](DecodeCase c, int tokens) {
        vk::Device& dev = *test::testDevice();
        const DecodeInputs in = decodeInputs(c);
        ASSIGN_OR_FAIL(auto q, ops::Tensor::create(dev, DType::F32, {tokens, c.heads, c.headDim}));
        ASSIGN_OR_FAIL(auto k, ops::Tensor::create(dev, DType::F32, {tokens, c.kvHeads, c.headDim}));
        ASSIGN_OR_FAIL(auto v, ops::Tensor::create(dev, DType::F32, {tokens, c.kvHeads, c.headDim}));
        ASSIGN_OR_FAIL(auto kCache, ops::Tensor::create(dev, DType::F16, {c.kvHeads, in.capacity, c.headDim}));
        ASSIGN_OR_FAIL(auto vCache, ops::Tensor::create(dev, DType::F16, {c.kvHeads, in.capacity, c.headDim}));
        ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {tokens, c.heads, c.headDim}));
        ASSIGN_OR_FAIL(auto ws, ops::Tensor::create(dev, DType::F32, {1 << 16}));
        ops::AttentionInputsOptions inputs;
        inputs.rope = ops::RopeOptions{ops::RopeLayout::Normal, c.position, uint32_t(c.nRot), float(kFreqBase)};
        ops::AttentionOptions attend;
        attend.startPosition = c.position;
        attend.workspace = &ws;
        bool applied = true;
        uint32_t dispatches = 1;
        VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
            ATELIER_ASSIGN(applied, ops::decodeAttention(b, q, k, v, kCache, vCache, out, inputs, attend));
            dispatches = b.dispatchCount();
            return {};
        }));
        QVERIFY(!applied);
        QCOMPARE(dispatches, 0u);
    };
    declines(DecodeCase{false, 4, 2, 32, 32, 3}, 1); // 4 chunks for 8 lanes (lavapipe)
    declines(DecodeCase{false, 4, 2, 64, 32, 3}, 1); // partial rotary
    declines(DecodeCase{false, 4, 2, 64, 64, 3}, 2); // two tokens
    QVERIFY(test::noValidationMessages());
}

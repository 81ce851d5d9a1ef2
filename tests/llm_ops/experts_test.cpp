#include "tst_llm_ops.h"

#include "core/cpu_repack.h"
#include "ops/experts.h"
#include "quant_reference.h"
#include "references.h"
#include "vk/device.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <numeric>

using namespace atelier;

namespace {

// Sums of a few hundred products in f32 against double.
constexpr double kTolerance = 2e-6;

// Routing as llama.cpp's build_moe_ffn does it, in double: softmax, the `used` largest (lower index
// first among equal ones), optionally divided by their sum (clamped), times scale.
void routeReference(const std::vector<float>& logits, int tokens, int experts, const ops::RouteOptions& o,
                    std::vector<int>& chosen, std::vector<double>& weights)
{
    for (int t = 0; t < tokens; ++t) {
        const float* row = logits.data() + size_t(t) * size_t(experts);
        const double top = *std::max_element(row, row + experts);
        double sum = 0;
        for (int e = 0; e < experts; ++e)
            sum += std::exp(double(row[e]) - top);
        std::vector<int> order(static_cast<size_t>(experts));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return row[a] > row[b]; });
        double total = 0;
        std::vector<double> w;
        for (uint32_t s = 0; s < o.used; ++s) {
            w.push_back(std::exp(double(row[order[s]]) - top) / sum);
            total += w.back();
        }
        for (uint32_t s = 0; s < o.used; ++s) {
            chosen.push_back(order[s]);
            weights.push_back(w[s] / (o.normalize ? std::max(total, 6.103515625e-5) : 1.0) * o.scale);
        }
    }
}

// The values of expert e's row n, from the bytes of a stack [experts, n, k] in `type`.
std::vector<float> expertRow(DType type, const std::vector<uint8_t>& bytes, int64_t n, int64_t k, int e, int64_t row)
{
    const uint64_t rowBytes = storageBytes(type, uint64_t(k));
    return test::dequantizeRow(type, bytes.data() + (uint64_t(e) * uint64_t(n) + uint64_t(row)) * rowBytes, k);
}

// Weights of `type` made on the host in `source` (a block type CPU devices repack, or the type itself).
struct Stack {
    std::vector<uint8_t> bytes; // in `type`
    DType type;
};
Stack randomStack(DType type, int64_t elements, uint32_t seed)
{
    if (type == DType::Q4_CPU || type == DType::Q8_CPU) {
        const DType source = type == DType::Q4_CPU ? DType::Q4_K : DType::Q6_K;
        return {repackForCpu(source, test::randomBlocks(source, elements, seed)), type};
    }
    return {test::randomBlocks(type, elements, seed), type};
}

Result<ops::Tensor> upload(vk::Device& dev, const Stack& s, std::vector<int64_t> shape)
{
    ATELIER_ASSIGN(ops::Tensor t, ops::Tensor::create(dev, s.type, std::move(shape)));
    ATELIER_TRY(dev.upload(t.buffer, s.bytes.data(), s.bytes.size()));
    return t;
}

double silu(double x) { return x / (1.0 + std::exp(-x)); }

} // namespace

void TestLlmOps::routeExperts_data()
{
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("experts");
    QTest::addColumn<int>("used");
    QTest::addColumn<bool>("normalize");
    QTest::addColumn<float>("scale");
    QTest::addRow("Mixtral 8 choose 2, normalized") << 5 << 8 << 2 << true << 1.0f;
    QTest::addRow("olmoe 64 choose 8") << 3 << 64 << 8 << false << 1.0f;
    QTest::addRow("qwen3moe 128 choose 8, normalized, 300 tokens") << 300 << 128 << 8 << true << 1.0f;
    QTest::addRow("scaled 2.5") << 2 << 16 << 4 << true << 2.5f;
    QTest::addRow("all experts") << 1 << 6 << 6 << false << 1.0f;
}

void TestLlmOps::routeExperts()
{
    QFETCH(int, tokens);
    QFETCH(int, experts);
    QFETCH(int, used);
    QFETCH(bool, normalize);
    QFETCH(float, scale);
    vk::Device& dev = *test::testDevice();
    const auto logits = test::randomFloats(size_t(tokens * experts), 90, -6.0f, 6.0f);
    const ops::RouteOptions options{uint32_t(used), normalize, scale};
    std::vector<int> chosen;
    std::vector<double> weights;
    routeReference(logits, tokens, experts, options, chosen, weights);

    ASSIGN_OR_FAIL(auto l, ops::Tensor::fromFloats(dev, DType::F32, {tokens, experts}, logits));
    ASSIGN_OR_FAIL(auto routes, ops::Tensor::create(dev, DType::F32, {tokens, used, 2}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) { return ops::routeExperts(b, l, routes, options); }));
    ASSIGN_OR_FAIL(auto got, routes.toFloats(dev));
    for (size_t i = 0; i < chosen.size(); ++i) {
        QCOMPARE(int(got[2 * i]), chosen[i]);
        QVERIFY2(std::abs(got[2 * i + 1] - weights[i]) <= 1e-6 * std::max(1.0, std::abs(weights[i])),
                 qPrintable(QString("pair %1: weight %2, expected %3").arg(i).arg(got[2 * i + 1]).arg(weights[i])));
    }
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::experts_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("tokens");
    QTest::addColumn<int>("path"); // ops::ExpertsOptions::Path
    QTest::addColumn<bool>("windows");
    const int rows = int(ops::ExpertsOptions::Path::Rows), vec = int(ops::ExpertsOptions::Path::MatrixVector);
    for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q8_0, DType::Q5_1, DType::Q4_K, DType::Q6_K}) {
        QTest::addRow("%s decode, rows kernel", dtypeName(t)) << t << 1 << rows << false;
        QTest::addRow("%s 7 tokens, matrix-vector kernel", dtypeName(t)) << t << 7 << vec << false;
    }
    QTest::addRow("q4_cpu 3 tokens") << DType::Q4_CPU << 3 << rows << false;
    QTest::addRow("q8_cpu 3 tokens") << DType::Q8_CPU << 3 << rows << false;
    QTest::addRow("q4_0 windows of experts, rows kernel") << DType::Q4_0 << 6 << rows << true;
    QTest::addRow("f16 windows of experts, matrix-vector kernel") << DType::F16 << 6 << vec << true;
}

// The whole feed-forward of a mixture of experts against the CPU: routes made on the host (chosen
// experts repeat across tokens, some experts idle), gate/up with SiLU, down per pair, the sum.
void TestLlmOps::experts()
{
    QFETCH(DType, type);
    QFETCH(int, tokens);
    QFETCH(int, path);
    QFETCH(bool, windows);
    vk::Device& dev = *test::testDevice();
    const int experts = 6, used = 2;
    const int64_t dim = 256, ff = 512; // K-quant rows need multiples of 256
    const auto xv = test::randomFloats(size_t(tokens * dim), 91);
    const Stack gate = randomStack(type, experts * ff * dim, 92);
    const Stack up = randomStack(type, experts * ff * dim, 93);
    const Stack down = randomStack(type, experts * dim * ff, 94);
    std::vector<float> routeValues;
    std::vector<int> chosen;
    for (int t = 0; t < tokens; ++t)
        for (int s = 0; s < used; ++s) {
            chosen.push_back((t * 5 + s * 3 + (t % 2)) % (experts - 1)); // expert 5 is never chosen
            routeValues.insert(routeValues.end(), {float(chosen.back()), 0.25f + 0.5f * float(s) - 0.1f * float(t % 3)});
        }

    // Reference in double from the dequantized values.
    std::vector<double> expected(size_t(tokens * dim), 0.0);
    for (int t = 0; t < tokens; ++t)
        for (int s = 0; s < used; ++s) {
            const int e = chosen[size_t(t * used + s)];
            std::vector<double> h(static_cast<size_t>(ff));
            for (int64_t f = 0; f < ff; ++f) {
                const auto g = expertRow(type, gate.bytes, ff, dim, e, f), u = expertRow(type, up.bytes, ff, dim, e, f);
                double dg = 0, du = 0;
                for (int64_t k = 0; k < dim; ++k) {
                    dg += double(g[size_t(k)]) * xv[size_t(t * dim + k)];
                    du += double(u[size_t(k)]) * xv[size_t(t * dim + k)];
                }
                h[size_t(f)] = float(silu(dg) * du); // the device keeps h in f32
            }
            for (int64_t c = 0; c < dim; ++c) {
                const auto d = expertRow(type, down.bytes, dim, ff, e, c);
                double y = 0;
                for (int64_t f = 0; f < ff; ++f)
                    y += double(d[size_t(f)]) * h[size_t(f)];
                expected[size_t(t * dim + c)] += routeValues[size_t(t * used + s) * 2 + 1] * y;
            }
        }

    ASSIGN_OR_FAIL(auto x, ops::Tensor::fromFloats(dev, DType::F32, {tokens, dim}, xv));
    ASSIGN_OR_FAIL(auto g, upload(dev, gate, {experts, ff, dim}));
    ASSIGN_OR_FAIL(auto u, upload(dev, up, {experts, ff, dim}));
    ASSIGN_OR_FAIL(auto d, upload(dev, down, {experts, dim, ff}));
    ASSIGN_OR_FAIL(auto routes, ops::Tensor::fromFloats(dev, DType::F32, {tokens, used, 2}, routeValues));
    ASSIGN_OR_FAIL(auto hidden, ops::Tensor::create(dev, DType::F32, {tokens * used, ff}));
    ASSIGN_OR_FAIL(auto upScratch, ops::Tensor::create(dev, DType::F32, {tokens * used, ff}));
    ASSIGN_OR_FAIL(auto y, ops::Tensor::create(dev, DType::F32, {tokens * used, dim}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {tokens, dim}));
    ops::ExpertsOptions options;
    options.path = ops::ExpertsOptions::Path(path);
    // Two experts per binding (plus the alignment): three windows for the six experts.
    if (windows)
        options.maxBindingBytes = 2 * storageBytes(type, uint64_t(ff * dim)) + dev.allocator().alignment();
    VERIFY_OK(dev.execute([&](vk::CommandBatch& b) -> Status {
        ATELIER_TRY(ops::matmulExpertsGlu(b, x, g, u, routes, hidden, upScratch, ops::GluActivation::SiLU, options));
        ATELIER_TRY(ops::matmulExperts(b, hidden, d, routes, y, options));
        return ops::combineExperts(b, y, routes, out);
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    const std::vector<float> want(expected.begin(), expected.end());
    const double err = test::normalisedError(got, want);
    QVERIFY2(err <= kTolerance, qPrintable(QString("error %1").arg(err)));
    QVERIFY(test::noValidationMessages());
}

void TestLlmOps::expertsRejectBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto x, ops::Tensor::create(dev, DType::F32, {2, 8}));
    ASSIGN_OR_FAIL(auto stack, ops::Tensor::create(dev, DType::F32, {4, 16, 8}));
    ASSIGN_OR_FAIL(auto flat, ops::Tensor::create(dev, DType::F32, {16, 8}));
    ASSIGN_OR_FAIL(auto routes, ops::Tensor::create(dev, DType::F32, {2, 2, 2}));
    ASSIGN_OR_FAIL(auto routes3, ops::Tensor::create(dev, DType::F32, {2, 2, 3}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {4, 16}));
    ASSIGN_OR_FAIL(auto outWrong, ops::Tensor::create(dev, DType::F32, {2, 16}));
    ASSIGN_OR_FAIL(auto logits, ops::Tensor::create(dev, DType::F32, {2, 4}));
    ASSIGN_OR_FAIL(auto q4cpu, ops::Tensor::create(dev, DType::Q4_CPU, {4, 32, 32}));
    ASSIGN_OR_FAIL(auto x32, ops::Tensor::create(dev, DType::F32, {2, 32}));
    ASSIGN_OR_FAIL(auto out32, ops::Tensor::create(dev, DType::F32, {4, 32}));
    ops::ExpertsOptions vec;
    vec.path = ops::ExpertsOptions::Path::MatrixVector;
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"2-D experts", [&](vk::CommandBatch& c) { return ops::matmulExperts(c, x, flat, routes, out); }},
        {"routes not pairs", [&](vk::CommandBatch& c) { return ops::matmulExperts(c, x, stack, routes3, out); }},
        {"out per token", [&](vk::CommandBatch& c) { return ops::matmulExperts(c, x, stack, routes, outWrong); }},
        {"used above experts", [&](vk::CommandBatch& c) { return ops::routeExperts(c, logits, routes, {8, false, 1.0f}); }},
        {"combine shape", [&](vk::CommandBatch& c) { return ops::combineExperts(c, out, routes, out); }},
        {"cpu layout on the matrix-vector kernel",
         [&](vk::CommandBatch& c) { return ops::matmulExperts(c, x32, q4cpu, routes, out32, vec); }},
    };
    for (const auto& [name, call] : cases) {
        const Status s = dev.execute(call);
        QVERIFY2(!s.ok(), name);
        QVERIFY2(!s.error().message.empty(), name);
    }
    QVERIFY(test::noValidationMessages());
}

#include "tst_ops.h"

#include "ops/embedding.h"
#include "quant_reference.h"

#include <cmath>
#include <functional>

using namespace atelier;

namespace {

constexpr double kTolerance = 1e-6; // dequantize and scale: a rounding or two per value

struct LookupRun {
    double error = 0;
    uint32_t dispatches = 0;
};

// Looks `ids` up in a random [vocab, dim] table of `type` and compares with the dequantized rows.
void runEmbedding(DType type, int64_t vocab, int64_t dim, const std::vector<int32_t>& ids, uint64_t limit,
                  LookupRun& run)
{
    vk::Device& dev = *test::testDevice();
    const auto bytes = test::randomBlocks(type, vocab * dim, 31);
    const float scale = std::sqrt(float(dim));
    const uint64_t rowBytes = storageBytes(type, uint64_t(dim));
    std::vector<float> expected;
    for (int32_t id : ids) {
        for (float v : test::dequantizeRow(type, bytes.data() + uint64_t(id) * rowBytes, dim))
            expected.push_back(v * scale);
    }
    ASSIGN_OR_FAIL(auto table, ops::Tensor::create(dev, type, {vocab, dim}));
    VERIFY_OK(dev.upload(table.buffer, bytes.data(), bytes.size()));
    ASSIGN_OR_FAIL(auto tokens, ops::TokenIds::upload(dev, ids));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {int64_t(ids.size()), dim}));
    VERIFY_OK(dev.execute([&](vk::CommandBatch& batch) {
        auto s = ops::embedding(batch, table, tokens, out, scale, limit);
        run.dispatches = batch.dispatchCount();
        return s;
    }));
    ASSIGN_OR_FAIL(auto got, out.toFloats(dev));
    run.error = test::normalisedError(got, expected);
}

} // namespace

void TestOps::embedding_data()
{
    QTest::addColumn<DType>("type");
    QTest::addColumn<int>("dim");
    QTest::addColumn<bool>("split");
    for (DType t : {DType::F32, DType::F16, DType::BF16, DType::Q4_0, DType::Q4_1, DType::Q5_0, DType::Q5_1,
                    DType::Q8_0, DType::Q4_K, DType::Q5_K, DType::Q6_K}) {
        const int block = int(dtypeInfo(t).blockElements);
        const int dim = block == 1 ? 333 : block * 3;
        for (bool split : {false, true})
            QTest::addRow("%s dim=%d%s", dtypeName(t), dim, split ? " windows" : "") << t << dim << split;
    }
}

void TestOps::embedding()
{
    QFETCH(DType, type);
    QFETCH(int, dim);
    QFETCH(bool, split);
    const int64_t vocab = 50;
    const std::vector<int32_t> ids = {0, 49, 7, 7, 23, 1, 48, 30, 12, 49};
    // Windows of about 8 rows: several dispatches, some windows holding no requested row.
    const uint64_t limit = split ? test::testDevice()->allocator().alignment() + 8 * storageBytes(type, uint64_t(dim)) : 0;
    LookupRun run;
    runEmbedding(type, vocab, dim, ids, limit, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    QCOMPARE(run.dispatches > 1, split);
    QVERIFY(test::noValidationMessages());
}

// Gemma 3 270M's table: 262144 x 640 q8_0 is 170 MiB, over lavapipe's 128 MiB binding limit; rows
// at its end come from a second window.
void TestOps::embeddingTableOverBindingLimit()
{
    const int64_t vocab = 262144, dim = 640;
    LookupRun run;
    runEmbedding(DType::Q8_0, vocab, dim, {262143, 0, 131071, 200000, 262143, 2}, 0, run);
    if (QTest::currentTestFailed())
        return;
    QVERIFY2(run.error <= kTolerance, qPrintable(QString("error %1").arg(run.error)));
    if (storageBytes(DType::Q8_0, uint64_t(vocab * dim)) > test::testDevice()->info().maxStorageBufferRange)
        QVERIFY(run.dispatches > 1);
    QVERIFY(test::noValidationMessages());
}

void TestOps::embeddingRejectsBadArguments()
{
    vk::Device& dev = *test::testDevice();
    ASSIGN_OR_FAIL(auto table, ops::Tensor::create(dev, DType::Q4_0, {10, 64}));
    ASSIGN_OR_FAIL(auto flat, ops::Tensor::create(dev, DType::F32, {640}));
    ASSIGN_OR_FAIL(auto out, ops::Tensor::create(dev, DType::F32, {2, 64}));
    ASSIGN_OR_FAIL(auto outWrong, ops::Tensor::create(dev, DType::F32, {2, 32}));
    ASSIGN_OR_FAIL(auto out16, ops::Tensor::create(dev, DType::F16, {2, 64}));
    ASSIGN_OR_FAIL(auto good, ops::TokenIds::upload(dev, std::vector<int32_t>{1, 9}));
    ASSIGN_OR_FAIL(auto negative, ops::TokenIds::upload(dev, std::vector<int32_t>{3, -1}));
    ASSIGN_OR_FAIL(auto past, ops::TokenIds::upload(dev, std::vector<int32_t>{10, 0}));
    ASSIGN_OR_FAIL(auto three, ops::TokenIds::upload(dev, std::vector<int32_t>{1, 2, 3}));
    QVERIFY(!ops::TokenIds::upload(dev, {}).ok());
    const std::pair<const char*, std::function<Status(vk::CommandBatch&)>> cases[] = {
        {"id -1", [&](vk::CommandBatch& c) { return ops::embedding(c, table, negative, out); }},
        {"id = vocab", [&](vk::CommandBatch& c) { return ops::embedding(c, table, past, out); }},
        {"table 1-D", [&](vk::CommandBatch& c) { return ops::embedding(c, flat, good, out); }},
        {"out dim", [&](vk::CommandBatch& c) { return ops::embedding(c, table, good, outWrong); }},
        {"out rows", [&](vk::CommandBatch& c) { return ops::embedding(c, table, three, out); }},
        {"out f16", [&](vk::CommandBatch& c) { return ops::embedding(c, table, good, out16); }},
    };
    for (const auto& [name, call] : cases) {
        uint32_t dispatches = 0;
        const Status s = dev.execute([&](vk::CommandBatch& c) {
            auto r = call(c);
            dispatches = c.dispatchCount();
            return r;
        });
        QVERIFY2(!s.ok(), name);
        QCOMPARE(int(s.error().code), int(ErrorCode::InvalidArgument));
        QVERIFY2(s.error().message.find("embedding") != std::string::npos, s.error().message.c_str());
        QCOMPARE(dispatches, 0u);
    }
    const Status s = dev.execute([&](vk::CommandBatch& c) { return ops::embedding(c, table, past, out); });
    QVERIFY2(s.error().message.find("token id 10") != std::string::npos, s.error().message.c_str());
    QVERIFY(test::noValidationMessages());
}

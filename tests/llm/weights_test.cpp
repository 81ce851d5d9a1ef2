#include "tst_llm.h"

#include "core/cpu_repack.h"
#include "io/gguf.h"
#include "llm/weights.h"
#include "test_device.h"

#include <cstring>

using namespace atelier;
using namespace atelier::llm;

void TestLlm::gemmaWeightsLoadOntoTheDevice()
{
    const std::string path = test::installedModel("gemma-3-270m-q4_k_m.gguf");
    if (path.empty()) {
        if (test::modelsRequired())
            QFAIL("the default model is not installed (installer/models.sh)");
        QSKIP("the default model is not installed (installer/models.sh)");
    }
    vk::Device* device = test::testDevice();
    QVERIFY(device);
    auto file = io::GgufFile::open(path);
    QVERIFY(file.ok());
    auto config = ModelConfig::fromGguf(*file.value());
    QVERIFY(config.ok());
    int calls = 0;
    auto weights = loadWeights(*device, *file.value(), config.value(), [&](double) { return ++calls > 0; });
    QVERIFY2(weights.ok(), weights.ok() ? "" : weights.error().message.c_str());
    const ModelWeights& w = weights.value();
    QCOMPARE(w.layers.size(), size_t(18));
    QVERIFY(!w.output); // Gemma ties the output projection to the embedding table
    QCOMPARE(w.lmHead().shape, (std::vector<int64_t>{262144, 640}));
    // CPU devices hold Q4_K, Q5_0, Q6_K and Q8_0 repacked (core/cpu_repack.h), a sixth to 82% larger.
    const bool cpu = device->info().type == VK_PHYSICAL_DEVICE_TYPE_CPU;
    QCOMPARE(int(w.tokenEmbedding.dtype), int(cpu ? DType::Q8_CPU : DType::Q8_0));
    QCOMPARE(int(w.layers[0].down.dtype), int(cpu ? DType::Q8_CPU : DType::Q6_K));
    QCOMPARE(w.layers[0].wq.shape, (std::vector<int64_t>{1024, 640}));
    QCOMPARE(int(w.layers[0].wq.dtype), int(cpu ? DType::Q8_CPU : DType::Q5_0));
    QVERIFY(w.layers[17].qNorm && w.layers[17].ffnPostNorm);
    QVERIFY(calls >= 18);
    // All 236 tensors, byte for byte: the weights are the file's data section less its padding
    // (the repacked types 192 / 144, 320 / 210, 40 / 34 and 40 / 22 of it on CPU devices).
    uint64_t fileBytes = 0;
    for (const auto& t : file.value()->tensors())
        fileBytes += !cpu                         ? t.bytes
                     : t.type == io::GgmlType::Q4_K ? t.bytes / 144 * 192
                     : t.type == io::GgmlType::Q6_K ? t.bytes / 210 * 320
                     : t.type == io::GgmlType::Q8_0 ? t.bytes / 34 * 40
                     : t.type == io::GgmlType::Q5_0 ? t.bytes / 22 * 40
                                                    : t.bytes;
    QCOMPARE(w.bytes(), fileBytes);
    std::vector<uint8_t> back(w.layers[3].kNorm->bytes());
    QVERIFY(device->download(w.layers[3].kNorm->buffer, back.data(), back.size()).ok());
    const auto expected = file.value()->data(*file.value()->tensor("blk.3.attn_k_norm.weight"));
    QVERIFY(std::memcmp(back.data(), expected.data(), back.size()) == 0);
    // CPU devices hold q's, k's and (where it has their type: repacked, q5_0 and q8_0 are both
    // Q8_CPU, so in all 18 layers) v's rows in one tensor, and wq, wk, wv as its rows: k's bytes
    // read back through its view are the file's (repacked on CPU devices).
    int fusedV = 0;
    for (const LayerWeights& l : w.layers) {
        QCOMPARE(bool(l.wqkv), cpu);
        fusedV += l.wqkvHoldsV();
        if (l.wqkv)
            QCOMPARE(l.wqkv->dim(0), l.wq.dim(0) + l.wk.dim(0) + (l.wqkvHoldsV() ? l.wv.dim(0) : 0));
    }
    QCOMPARE(fusedV, cpu ? 18 : 0);
    std::vector<uint8_t> key(w.layers[5].wk.bytes());
    QVERIFY(device->download(w.layers[5].wk.buffer, key.data(), key.size()).ok());
    const auto keyData = file.value()->data(*file.value()->tensor("blk.5.attn_k.weight"));
    const std::vector<uint8_t> fileKey = cpu ? repackForCpu(DType::Q5_0, keyData)
                                             : std::vector<uint8_t>(keyData.begin(), keyData.end());
    QCOMPARE(uint64_t(key.size()), uint64_t(fileKey.size()));
    QVERIFY(std::memcmp(key.data(), fileKey.data(), key.size()) == 0);

    // Cancelling stops the load with a Cancelled error.
    auto cancelled = loadWeights(*device, *file.value(), config.value(), [](double f) { return f < 0.5; });
    QVERIFY(!cancelled.ok());
    QCOMPARE(cancelled.error().code, ErrorCode::Cancelled);
    QVERIFY(test::noValidationMessages());
}

#include "tst_llm.h"

#include "io/gguf.h"
#include "llm/model_config.h"
#include "test_device.h"

#include <cmath>

using namespace atelier;
using namespace atelier::llm;

void TestLlm::gemmaConfigFromGguf()
{
    const std::string path = test::installedModel("gemma-3-270m-q4_k_m.gguf");
    if (path.empty()) {
        if (test::modelsRequired())
            QFAIL("the default model is not installed (installer/models.sh)");
        QSKIP("the default model is not installed (installer/models.sh)");
    }
    auto file = io::GgufFile::open(path);
    QVERIFY(file.ok());
    auto config = ModelConfig::fromGguf(*file.value());
    QVERIFY2(config.ok(), config.ok() ? "" : config.error().message.c_str());
    const ModelConfig& c = config.value();
    QCOMPARE(int(c.architecture), int(Architecture::Gemma3));
    QCOMPARE(c.dim, 640);
    QCOMPARE(c.layers, 18);
    QCOMPARE(c.feedForward, 2048);
    QCOMPARE(c.heads, 4);
    QCOMPARE(c.kvHeads, 1);
    QCOMPARE(c.headDim, 256);
    QCOMPARE(c.contextLength, 32768);
    QCOMPARE(c.slidingWindow, 512);
    QCOMPARE(c.ropeBase, 1e6f);
    QCOMPARE(c.ropeBaseLocal, 1e4f);
    QCOMPARE(int(c.rope), int(ops::RopeLayout::Neox));
    QCOMPARE(int(c.activation), int(ops::GluActivation::GeluTanh));
    QVERIFY(c.qkNorm && c.sandwichNorms && !c.qkvBias);
    QCOMPARE(c.embeddingScale, std::sqrt(640.0f));
    QCOMPARE(c.attentionScale, 1.0f / 16.0f);
    // Layers 5, 11 and 17 see the whole context; the others a 512-token window.
    for (int l = 0; l < 18; ++l)
        QCOMPARE(bool(c.slidingLayer[size_t(l)]), l % 6 != 5);
}

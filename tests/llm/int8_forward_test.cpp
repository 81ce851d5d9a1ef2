// A whole forward pass through ops::matmul's int8 dot-product path (issue 16): ATELIER_INT8_MATVEC=on
// takes it for every matmul over a covered weight type (and keeps the GGUF layouts that CPU
// devices would repack), on tiny models whose weights mix q4_0, q4_1, q5_0, q5_1, q8_0, q4_k, q5_k
// and q6_k, against the float path on the same device.

#include "tst_llm.h"

#include "llm/language_model.h"
#include "ops/matvec_int8.h"
#include "test_device.h"
#include "test_result.h"

#include <algorithm>
#include <cmath>

using namespace atelier;
using namespace atelier::llm;

namespace {

// Largest difference of any logit between the int8 and float paths. llama.cpp's CPU backend
// quantizes activations to 8 bits for its quantized dot products too, and architecture_test.cpp
// allows its logits 0.5 from the float64 reference on these models for that reason; measured here
// on lavapipe: 0.26 (llama), 0.27 (qwen2), 0.28-0.35 (qwen3), 0.08 (gemma3) after the prompt and
// 0.06-0.22 after 24 greedy tokens, with the largest logits 9-20. (Through the int8 path the
// tiny models' golden prompts land 0.16-0.34 from the float64 reference, as llama.cpp's own logits
// do, 0.16-0.41, where the float path is within 0.008.)
constexpr double kInt8LogitTolerance = 0.5;

struct Decoded {
    std::vector<float> promptLogits; // after the prompt
    std::vector<int32_t> greedy;     // the greedy tokens after it
    std::vector<float> lastLogits;   // after them
    uint64_t dispatches = 0;         // in the whole run
};

Result<Decoded> decode(const QString& arch, const std::string& prompt, int tokens, bool int8)
{
    if (int8)
        qputenv("ATELIER_INT8_MATVEC", "on");
    else
        qputenv("ATELIER_INT8_MATVEC", "off");
    struct Unset {
        ~Unset() { qunsetenv("ATELIER_INT8_MATVEC"); }
    } unset;
    vk::Device& device = *test::testDevice();
    LoadOptions options;
    options.contextLength = 256;
    options.maxBatch = 16;
    ATELIER_ASSIGN(auto model, LanguageModel::load(device, QFINDTESTDATA("fixtures/tiny_" + arch + ".gguf").toStdString(), options));
    device.resetWorkCounts();
    Decoded d;
    ATELIER_TRY(model->forward(model->tokenizer().encode(prompt, true, true)));
    ATELIER_ASSIGN(d.promptLogits, model->logits());
    std::vector<float> logits = d.promptLogits;
    for (int i = 0; i < tokens; ++i) {
        d.greedy.push_back(int32_t(std::max_element(logits.begin(), logits.end()) - logits.begin()));
        ATELIER_TRY(model->forward(std::vector<int32_t>{d.greedy.back()}));
        ATELIER_ASSIGN(logits, model->logits());
    }
    d.lastLogits = logits;
    d.dispatches = device.workCounts().dispatches;
    return d;
}

double largestDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double m = a.size() == b.size() ? 0.0 : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
    return m;
}

} // namespace

void TestLlm::int8MatvecKeepsTheAnswers_data()
{
    QTest::addColumn<QString>("arch");
    for (const char* arch : {"llama", "qwen2", "qwen3", "gemma3"})
        QTest::newRow(arch) << QString(arch);
}

void TestLlm::int8MatvecKeepsTheAnswers()
{
    QFETCH(QString, arch);
    if (!ops::int8MatvecRuns(test::testDevice()->info()))
        QSKIP("this device has no shaderIntegerDotProduct");
    // 20-odd prompt tokens: passes of 8 rows of a, past what Auto would give the path.
    const std::string prompt = "The quick brown fox jumps over the lazy dog, and then it runs far away into the woods.";
    constexpr int kTokens = 24;
    auto floats = decode(arch, prompt, kTokens, false);
    QVERIFY2(floats.ok(), floats.ok() ? "" : floats.error().message.c_str());
    auto ints = decode(arch, prompt, kTokens, true);
    QVERIFY2(ints.ok(), ints.ok() ? "" : ints.error().message.c_str());
    const double prompt8 = largestDifference(ints->promptLogits, floats->promptLogits);
    const double last8 = largestDifference(ints->lastLogits, floats->lastLogits);
    double range = 0;
    for (float v : floats->promptLogits)
        range = std::max(range, std::fabs(double(v)));
    qInfo("int8 path against float: largest logit difference %.4f after the prompt, %.4f after %d greedy tokens "
          "(largest logit %.2f); %llu against %llu dispatches",
          prompt8, last8, kTokens, range, (unsigned long long)ints->dispatches, (unsigned long long)floats->dispatches);
    // The path ran: each matmul over a covered type adds its quantization pass.
    QVERIFY(ints->dispatches > floats->dispatches);
    QCOMPARE(ints->greedy, floats->greedy);
    QVERIFY2(prompt8 <= kInt8LogitTolerance, qPrintable(QString("prompt logits differ by %1").arg(prompt8)));
    QVERIFY2(last8 <= kInt8LogitTolerance, qPrintable(QString("logits after decoding differ by %1").arg(last8)));
    QVERIFY(test::noValidationMessages());
}

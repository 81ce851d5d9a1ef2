// LoRA adapters on the language model (compute/llm/lora_adapter.h): tiny random adapters
// (fixtures/tiny_*_lora*.gguf, make_tiny_lora.py) on the tiny models against the float64 reference
// and llama.cpp with the same adapters (golden/tiny_lora_logits.json); scales changed between
// conversations without reloading; damaged and mismatched adapters refused with clear errors.

#include "io/gguf.h"
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/lora_adapter.h"
#include "test_device.h"
#include "test_result.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>

using namespace atelier;
using namespace atelier::llm;

namespace {

// The same tolerances as the tiny models' goldens (architecture_test.cpp): the engine's f16 KV
// cache against float64, and llama.cpp's 8-bit activations for quantized matrices.
constexpr double kF64Tolerance = 0.02;
constexpr double kLlamaCppTolerance = 0.5;

std::vector<int32_t> intsOf(const QJsonValue& v)
{
    std::vector<int32_t> out;
    for (const QJsonValue& x : v.toArray())
        out.push_back(x.toInt());
    return out;
}

double largestDifference(const std::vector<float>& logits, const QJsonValue& expected)
{
    const QJsonArray values = expected.toArray();
    if (size_t(values.size()) != logits.size())
        return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < logits.size(); ++i)
        worst = std::max(worst, std::abs(double(logits[i]) - values[int(i)].toDouble()));
    return worst;
}

double largestDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    double worst = a.size() == b.size() ? 0 : INFINITY;
    for (size_t i = 0; i < std::min(a.size(), b.size()); ++i)
        worst = std::max(worst, std::abs(double(a[i]) - double(b[i])));
    return worst;
}

std::string fixture(const QString& name) { return QFINDTESTDATA("fixtures/" + name).toStdString(); }

QByteArray fixtureBytes(const QString& name)
{
    QFile file(QString::fromStdString(fixture(name)));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A GGUF string as it is stored: its 64-bit length, then its bytes.
QByteArray stored(const QByteArray& text)
{
    QByteArray bytes(8, '\0');
    const uint64_t length = uint64_t(text.size());
    std::memcpy(bytes.data(), &length, 8);
    return bytes + text;
}

QByteArray renamed(QByteArray bytes, const QByteArray& from, const QByteArray& to)
{
    Q_ASSERT(from.size() == to.size());
    const qsizetype at = bytes.indexOf(stored(from));
    if (at < 0)
        qFatal("fixture lacks '%s'", from.constData());
    return bytes.replace(at + 8, to.size(), to);
}

// One loaded copy of each tiny model per batch size (freed in cleanupTestCase, before the test
// device closes). 8-token batches make the prompts take several passes; 64-token ones make the
// low-rank products take the tiled matmul kernel.
std::map<QString, std::unique_ptr<LanguageModel>>& loadedModels()
{
    static std::map<QString, std::unique_ptr<LanguageModel>> models;
    return models;
}

// gpuPaths: on test::gpuPathsDevice (on lavapipe, every choice made as for a discrete GPU).
LanguageModel* tinyModel(const QString& file, int maxBatch = 8, bool gpuPaths = false)
{
    auto& model = loadedModels()[file + "/" + QString::number(maxBatch) + (gpuPaths ? "/gpu" : "")];
    vk::Device* device = gpuPaths ? test::gpuPathsDevice() : test::testDevice();
    if (!model && device) {
        LoadOptions options;
        options.contextLength = 256;
        options.maxBatch = maxBatch;
        auto loaded = LanguageModel::load(*device, fixture(file), options);
        if (!loaded)
            qWarning("%s", loaded.error().message.c_str());
        else
            model = std::move(loaded).value();
    }
    return model.get();
}

Result<std::shared_ptr<const LoraAdapter>> adapterFor(LanguageModel& model, const QString& file,
                                                      vk::Device& device = *test::testDevice())
{
    return LoraAdapter::load(device, fixture(file), model.config(), model.weights());
}

std::vector<float> logitsAfter(LanguageModel& model, const std::vector<int32_t>& ids)
{
    model.truncate(0);
    if (const Status s = model.forward(ids); !s)
        qWarning("%s", s.error().message.c_str());
    auto logits = model.logits();
    return logits ? logits.value() : std::vector<float>();
}

int32_t argmax(const std::vector<float>& v) { return int32_t(std::max_element(v.begin(), v.end()) - v.begin()); }

} // namespace

class TestLora : public QObject {
    Q_OBJECT
private slots:
    void adaptedLogitsMatchReferences_data();
    void adaptedLogitsMatchReferences();
    void scalesChangeWithoutReloading();
    void conversationFollowsItsAdapters();
    void unknownTensorsAreReported();
    void badAdaptersAreErrors_data();
    void badAdaptersAreErrors();
    void cleanupTestCase() { loadedModels().clear(); }
};

void TestLora::adaptedLogitsMatchReferences_data()
{
    QTest::addColumn<QJsonObject>("golden");
    QTest::addColumn<bool>("gpuPaths");
    QFile file(QFINDTESTDATA("golden/tiny_lora_logits.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonArray cases = QJsonDocument::fromJson(file.readAll()).object().value("cases").toArray();
    for (const bool gpuPaths : {false, true})
        for (const QJsonValue& c : cases)
            QTest::newRow(qPrintable(c.toObject().value("name").toString() + (gpuPaths ? ", GPU paths" : "")))
                << c.toObject() << gpuPaths;
}

void TestLora::adaptedLogitsMatchReferences()
{
    QFETCH(QJsonObject, golden);
    QFETCH(bool, gpuPaths);
    const int maxBatch = golden.value("ids").toArray().size() > 16 ? 64 : 8;
    LanguageModel* model = tinyModel(golden.value("model").toString().section('/', -1), maxBatch, gpuPaths);
    QVERIFY(model);
    vk::Device& device = *(gpuPaths ? test::gpuPathsDevice() : test::testDevice());
    std::vector<ActiveLora> adapters;
    for (const QJsonValue& a : golden.value("adapters").toArray()) {
        ASSIGN_OR_FAIL(auto adapter, adapterFor(*model, a.toObject().value("file").toString().section('/', -1), device));
        QCOMPARE(adapter->skipped(), std::vector<std::string>());
        adapters.push_back({adapter, float(a.toObject().value("scale").toDouble())});
    }
    ASSIGN_OR_FAIL(const bool changed, model->setAdapters(adapters));
    QVERIFY(changed);
    const std::vector<int32_t> ids = intsOf(golden.value("ids"));
    QCOMPARE(model->tokenizer().encode(golden.value("text").toString().toStdString(), true, true), ids);
    std::vector<float> logits = logitsAfter(*model, ids);
    const double f64 = largestDifference(logits, golden.value("logits"));
    const double llamaCpp = largestDifference(logits, golden.value("llamacpp_logits"));
    qInfo("largest logit difference: %.5f from the float64 reference, %.4f from llama.cpp (the adapters move "
          "logits by up to %.1f)", f64, llamaCpp, golden.value("adapter_effect_max").toDouble());
    QVERIFY2(f64 <= kF64Tolerance, qPrintable(QString("logits differ from the float64 reference by %1").arg(f64)));
    QVERIFY2(llamaCpp <= kLlamaCppTolerance, qPrintable(QString("logits differ from llama.cpp by %1").arg(llamaCpp)));

    // Decoding one token at a time takes the matrix-vector kernels: the same greedy tokens.
    std::vector<int32_t> greedy;
    for (size_t i = 0; i < intsOf(golden.value("greedy")).size(); ++i) {
        greedy.push_back(argmax(logits));
        VERIFY_OK(model->forward(std::vector<int32_t>{greedy.back()}));
        ASSIGN_OR_FAIL(logits, model->logits());
    }
    QCOMPARE(greedy, intsOf(golden.value("greedy")));
    QCOMPARE(greedy, intsOf(golden.value("llamacpp_greedy")));
    const double after = largestDifference(logits, golden.value("greedy_logits"));
    QVERIFY2(after <= kF64Tolerance, qPrintable(QString("logits after decoding differ by %1").arg(after)));
    VERIFY_OK(model->setAdapters({}));
    QVERIFY(test::noValidationMessages(&device));
}

void TestLora::scalesChangeWithoutReloading()
{
    QFile file(QFINDTESTDATA("golden/tiny_lora_logits.json"));
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QJsonObject golden = QJsonDocument::fromJson(file.readAll()).object().value("cases").toArray()[0].toObject();
    QCOMPARE(golden.value("name").toString(), QString("llama"));
    LanguageModel* model = tinyModel("tiny_llama.gguf");
    QVERIFY(model);
    ASSIGN_OR_FAIL(auto adapter, adapterFor(*model, "tiny_llama_lora.gguf"));
    QCOMPARE(adapter->pairCount(), 2 * 7 + 2); // every projection of both layers, token_embd, output
    QCOMPARE(adapter->alpha(), 8.0f);
    QCOMPARE(adapter->maxRank(), int64_t(4));
    const std::vector<int32_t> ids = intsOf(golden.value("ids"));
    VERIFY_OK(model->setAdapters({}));
    const std::vector<float> base = logitsAfter(*model, ids);

    ASSIGN_OR_FAIL(bool changed, model->setAdapters({{adapter, 1.0f}}));
    QVERIFY(changed);
    QCOMPARE(model->position(), 0); // the KV cache the base weights computed is gone
    const std::vector<float> adapted = logitsAfter(*model, ids);
    QVERIFY(largestDifference(adapted, golden.value("logits")) <= kF64Tolerance);
    QVERIFY(largestDifference(adapted, base) > 1.0);
    ASSIGN_OR_FAIL(changed, model->setAdapters({{adapter, 1.0f}}));
    QVERIFY(!changed); // the same set keeps the cache

    // Scale 0 is the model without the adapter, exactly.
    ASSIGN_OR_FAIL(changed, model->setAdapters({{adapter, 0.0f}}));
    QVERIFY(changed);
    QCOMPARE(logitsAfter(*model, ids), base);
    // Half the scale is half the low-rank term: between the two, and not either.
    VERIFY_OK(model->setAdapters({{adapter, 0.5f}}));
    const std::vector<float> half = logitsAfter(*model, ids);
    QVERIFY(largestDifference(half, base) > 0.1 && largestDifference(half, adapted) > 0.1);
    VERIFY_OK(model->setAdapters({{adapter, 1.0f}}));
    QVERIFY(largestDifference(logitsAfter(*model, ids), adapted) <= 1e-4);
    VERIFY_OK(model->setAdapters({}));
    QCOMPARE(logitsAfter(*model, ids), base);
    QVERIFY(test::noValidationMessages());
}

void TestLora::conversationFollowsItsAdapters()
{
    LanguageModel* model = tinyModel("tiny_llama.gguf");
    QVERIFY(model);
    ASSIGN_OR_FAIL(auto adapter, adapterFor(*model, "tiny_llama_lora.gguf"));
    VERIFY_OK(model->setAdapters({}));
    model->truncate(0);
    ChatSession session(*model);
    GenerationSettings settings;
    settings.sampling.temperature = 0;
    settings.maxTokens = 6;
    auto ask = [&](const std::vector<ActiveLora>& adapters) -> std::string {
        if (const Status s = session.setAdapters(adapters); !s)
            return "error: " + s.error().message;
        session.setMessages({{"user", "What is 12+34?", {}}});
        auto answer = session.answer(settings, {});
        return answer ? answer.value() : "error: " + answer.error().message;
    };
    const std::string plain = ask({});
    const std::string adapted = ask({{adapter, 1.0f}});
    QVERIFY(plain.rfind("error", 0) != 0 && adapted.rfind("error", 0) != 0);
    QVERIFY2(plain != adapted, plain.c_str());
    // Back and forth: the KV cache each set left behind is never reused by the other.
    QCOMPARE(ask({}), plain);
    QCOMPARE(ask({{adapter, 1.0f}}), adapted);
    QCOMPARE(ask({{adapter, 0.0f}}), plain);
    VERIFY_OK(session.setAdapters({}));
    QVERIFY(test::noValidationMessages());
}

void TestLora::unknownTensorsAreReported()
{
    LanguageModel* model = tinyModel("tiny_llama.gguf");
    QVERIFY(model);
    // blk.0.attn_q's pair renamed to a weight the model lacks, and layer 1's ffn_up to a layer it lacks.
    QByteArray bytes = fixtureBytes("tiny_llama_lora.gguf");
    for (const char* suffix : {".lora_a", ".lora_b"}) {
        bytes = renamed(bytes, QByteArray("blk.0.attn_q.weight") + suffix, QByteArray("blk.0.attn_x.weight") + suffix);
        bytes = renamed(bytes, QByteArray("blk.1.ffn_up.weight") + suffix, QByteArray("blk.7.ffn_up.weight") + suffix);
    }
    ASSIGN_OR_FAIL(auto file, io::GgufFile::parse({reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())}));
    ASSIGN_OR_FAIL(auto adapter, LoraAdapter::fromGguf(*test::testDevice(), *file, "renamed", model->config(), model->weights()));
    QCOMPARE(adapter->pairCount(), 2 * 7 + 2 - 2);
    const std::vector<std::string> expected = {"blk.0.attn_x.weight: the model has no such weight",
                                               "blk.7.ffn_up.weight: the model has 2 layers"};
    QCOMPARE(adapter->skipped(), expected);
    QVERIFY(!adapter->pair(LoraTarget::Query, 0) && adapter->pair(LoraTarget::Query, 1));
    QVERIFY(test::noValidationMessages());
}

void TestLora::badAdaptersAreErrors_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("message");
    const QByteArray llamaLora = fixtureBytes("tiny_llama_lora.gguf");
    const QByteArray qwenLora = fixtureBytes("tiny_qwen2_lora.gguf");
    QTest::newRow("wrong architecture") << "tiny_qwen2.gguf" << llamaLora << int(ErrorCode::InvalidArgument)
                                        << "the adapter is for 'llama' models, but the model is 'qwen2'";
    // tiny_qwen2's adapter claiming to be llama's: its feed-forward is 256 wide, the model's 512.
    QTest::newRow("wrong shapes") << "tiny_llama.gguf" << renamed(qwenLora, "qwen2", "llama") << int(ErrorCode::InvalidArgument)
                                  << "LoRA tensors for 'blk.0.ffn_down.weight' [128, 512] are [8, 256] and [128, 8], "
                                     "expected [8, 512] and [128, 8] (an adapter for another model?)";
    QTest::newRow("a model, not an adapter") << "tiny_llama.gguf" << fixtureBytes("tiny_llama.gguf")
                                             << int(ErrorCode::Format) << "not a LoRA adapter: general.type is missing";
    QTest::newRow("truncated") << "tiny_llama.gguf" << llamaLora.left(llamaLora.size() / 2) << int(ErrorCode::Format)
                               << "lies outside the file";
    QTest::newRow("half a pair") << "tiny_llama.gguf"
                                 << renamed(llamaLora, "blk.1.ffn_up.weight.lora_b", "blk.1.ffn_up.weight.lora_c")
                                 << int(ErrorCode::Format) << "LoRA tensor pair for 'blk.1.ffn_up.weight' lacks its lora_b";
}

void TestLora::badAdaptersAreErrors()
{
    QFETCH(QString, model);
    QFETCH(QByteArray, bytes);
    QFETCH(int, code);
    QFETCH(QString, message);
    LanguageModel* m = tinyModel(model);
    QVERIFY(m);
    QVERIFY(!bytes.isEmpty());
    auto file = io::GgufFile::parse({reinterpret_cast<const uint8_t*>(bytes.constData()), size_t(bytes.size())});
    Error error;
    if (!file) {
        error = file.error();
    } else {
        auto adapter = LoraAdapter::fromGguf(*test::testDevice(), *file.value(), "bad", m->config(), m->weights());
        QVERIFY(!adapter);
        error = adapter.error();
    }
    qInfo("%s", error.message.c_str());
    QCOMPARE(int(error.code), code);
    QVERIFY2(QString::fromStdString(error.message).contains(message), error.message.c_str());
    QVERIFY(test::noValidationMessages());
}

QTEST_GUILESS_MAIN(TestLora)
#include "lora_test.moc"

// Embedding models (bert, nomic-bert) on tiny random-weight GGUFs (make_tiny_embedding.py) against a
// float64 forward pass and llama.cpp's embeddings of the same ids (golden/tiny_embeddings.json).

#include "tst_llm.h"

#include "llm/embedding_model.h"
#include "test_device.h"
#include "test_result.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>
#include <random>

using namespace atelier;
using namespace atelier::llm;

namespace {

// f32 kernels against float64 over two post-norm layers: measured up to 1.1e-6; llama.cpp's CPU
// backend quantizes activations to 8 bits for its Q8_0 matrices and tabulates GELU in f16, which
// moves it up to 0.015 from the float64 pass (cosine 0.99998).
constexpr double kReferenceTolerance = 1e-4;
constexpr double kLlamaCppCosine = 0.9999;

std::vector<float> floatsOf(const QJsonValue& v)
{
    std::vector<float> out;
    for (const QJsonValue& x : v.toArray())
        out.push_back(float(x.toDouble()));
    return out;
}

double cosine(const std::vector<float>& a, const std::vector<float>& b)
{
    double ab = 0, aa = 0, bb = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        ab += double(a[i]) * b[i];
        aa += double(a[i]) * a[i];
        bb += double(b[i]) * b[i];
    }
    return ab / std::sqrt(aa * bb);
}

QJsonObject embeddingGolden()
{
    QFile file(QFINDTESTDATA("golden/tiny_embeddings.json"));
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object() : QJsonObject();
}

} // namespace

void TestLlm::embeddingsMatchReferences_data()
{
    QTest::addColumn<QString>("model");
    QTest::addColumn<QJsonObject>("golden");
    QTest::addColumn<bool>("gpuPaths"); // test::gpuPathsDevice: on lavapipe, as a discrete GPU would
    for (const bool gpuPaths : {false, true})
        for (const QJsonValue& m : embeddingGolden().value("models").toArray()) {
            const QJsonObject model = m.toObject();
            int i = 0;
            for (const QJsonValue& c : model.value("cases").toArray())
                QTest::addRow("%s %d%s", qPrintable(model.value("arch").toString()), i++, gpuPaths ? ", GPU paths" : "")
                    << model.value("model").toString() << c.toObject() << gpuPaths;
        }
}

void TestLlm::embeddingsMatchReferences()
{
    QFETCH(QString, model);
    QFETCH(QJsonObject, golden);
    QFETCH(bool, gpuPaths);
    auto load = [&](vk::Device& device) { return EmbeddingModel::load(device, QFINDTESTDATA(model).toStdString()); };
    EmbeddingModel* m = gpuPaths ? test::loadedOnce<EmbeddingModel, test::gpuPathsDevice>(model.toStdString(), load)
                                 : test::loadedOnce<EmbeddingModel>(model.toStdString(), load);
    QVERIFY(m);
    vk::Device& device = *(gpuPaths ? test::gpuPathsDevice() : test::testDevice());
    // WordPiece as llama.cpp tokenizes (lower case, accents stripped, punctuation split).
    const std::vector<int32_t> ids = intsOf(golden.value("ids"));
    QCOMPARE(m->tokenizer().encode(golden.value("text").toString().toStdString(), true, false), ids);

    ASSIGN_OR_FAIL(const std::vector<float> raw, m->embedTokens(ids, false));
    const std::vector<float> reference = floatsOf(golden.value("embedding"));
    QCOMPARE(raw.size(), reference.size());
    double worst = 0;
    for (size_t i = 0; i < raw.size(); ++i)
        worst = std::max(worst, std::abs(double(raw[i]) - reference[i]));
    const double llamaCpp = cosine(raw, floatsOf(golden.value("llamacpp_embedding")));
    qInfo("largest difference from float64 %.2e, cosine to llama.cpp %.7f", worst, llamaCpp);
    QVERIFY2(worst <= kReferenceTolerance, qPrintable(QString("differs from the float64 pass by %1").arg(worst)));
    QVERIFY2(llamaCpp >= kLlamaCppCosine, qPrintable(QString("cosine to llama.cpp %1").arg(llamaCpp)));

    // What retrieval uses: the same direction at unit length, from the text itself.
    ASSIGN_OR_FAIL(const std::vector<float> unit, m->embed(golden.value("text").toString().toStdString()));
    double length = 0;
    for (float v : unit)
        length += double(v) * v;
    QVERIFY(std::abs(std::sqrt(length) - 1.0) < 1e-5);
    QVERIFY(cosine(unit, raw) > 0.999999);
    QVERIFY(test::noValidationMessages(&device));
}

void TestLlm::embeddingModelRefusesOthers()
{
    vk::Device* device = test::testDevice();
    QVERIFY(device);
    auto chat = EmbeddingModel::load(*device, QFINDTESTDATA("fixtures/tiny_qwen2.gguf").toStdString());
    QVERIFY(!chat);
    QVERIFY2(chat.error().message.find("qwen2") != std::string::npos, chat.error().message.c_str());
    auto missing = EmbeddingModel::load(*device, "/nonexistent/model.gguf");
    QVERIFY(!missing);
    ASSIGN_OR_FAIL(auto bert, EmbeddingModel::load(*device, QFINDTESTDATA("fixtures/tiny_bert.gguf").toStdString()));
    QVERIFY(!bert->embedTokens(std::vector<int32_t>{}, true));
    QVERIFY(!bert->embedTokens(std::vector<int32_t>{101, 99999, 102}, true));
    // A text longer than the context is cut there, not refused.
    std::string longText;
    for (int i = 0; i < 300; ++i)
        longText += "the quick fox ";
    ASSIGN_OR_FAIL(const std::vector<float> v, bert->embed(longText));
    QCOMPARE(int(v.size()), bert->dimension());
    QVERIFY(test::noValidationMessages());
}

namespace {

// `count` texts of 1 to `maxWords` words of the tiny vocabulary's (about a token a word), the
// first one empty ([CLS] [SEP] alone) and the last longer than any context (cut there).
std::vector<std::string> variedTexts(int count, int maxWords, uint32_t seed)
{
    static const char* words[] = {"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "cat", "sat",
                                  "on", "mat", "paris", "is", "capital", "of", "france", "embedding", "vector",
                                  "search", "document", "query", "hello", "world", "xyzzy", "42"};
    std::mt19937 rng(seed);
    std::vector<std::string> texts{std::string()};
    for (int i = 1; i < count; ++i) {
        const int n = i == count - 1 ? 3000 : 1 + int(rng() % uint32_t(maxWords));
        std::string text;
        for (int w = 0; w < n; ++w)
            text += std::string(w ? " " : "") + words[rng() % std::size(words)];
        texts.push_back(text + ".");
    }
    return texts;
}

// Embeds `texts` one call each and all in one call; returns the largest difference and logs both rates.
Result<double> compareBatched(EmbeddingModel& model, const std::vector<std::string>& texts, const char* label)
{
    QElapsedTimer timer;
    timer.start();
    std::vector<std::vector<float>> single;
    for (const std::string& t : texts) {
        ATELIER_ASSIGN(std::vector<float> v, model.embed(t));
        single.push_back(std::move(v));
    }
    const double singleSeconds = timer.nsecsElapsed() * 1e-9;
    timer.restart();
    ATELIER_ASSIGN(const std::vector<std::vector<float>> batched, model.embed(texts));
    const double batchedSeconds = timer.nsecsElapsed() * 1e-9;
    if (batched.size() != single.size())
        return makeError(ErrorCode::InvalidArgument, "batched embeddings: " + std::to_string(batched.size()) + " vectors");
    double worst = 0;
    for (size_t t = 0; t < texts.size(); ++t) {
        if (batched[t].size() != single[t].size())
            return makeError(ErrorCode::InvalidArgument, "batched embedding " + std::to_string(t) + " has another size");
        for (size_t i = 0; i < single[t].size(); ++i)
            worst = std::max(worst, std::abs(double(batched[t][i]) - single[t][i]));
    }
    qInfo("%s: %zu texts, one at a time %.1f chunks/s, batched %.1f chunks/s (%.2fx); largest difference %.2e", label,
          texts.size(), texts.size() / singleSeconds, texts.size() / batchedSeconds, singleSeconds / batchedSeconds, worst);
    return worst;
}

} // namespace

void TestLlm::batchedEmbeddingsEqualOneAtATime_data()
{
    QTest::addColumn<QString>("model");
    QTest::newRow("bert") << QStringLiteral("fixtures/tiny_bert.gguf");
    QTest::newRow("nomic-bert") << QStringLiteral("fixtures/tiny_nomic_bert.gguf");
}

void TestLlm::batchedEmbeddingsEqualOneAtATime()
{
    QFETCH(QString, model);
    vk::Device* device = test::testDevice();
    QVERIFY(device);
    ASSIGN_OR_FAIL(auto m, EmbeddingModel::load(*device, QFINDTESTDATA(model).toStdString()));
    // Texts of every length side by side: each must see only its own tokens and positions.
    const std::vector<std::string> texts = variedTexts(40, 60, 7);
    ASSIGN_OR_FAIL(const double worst, compareBatched(*m, texts, qPrintable(model)));
    QVERIFY2(worst <= 1e-5, qPrintable(QString("batched vectors differ by %1").arg(worst)));
    QVERIFY(test::noValidationMessages());

    // A bigger model to time (tests/llm/make_bench_bert.py), when one is named.
    const QByteArray bench = qgetenv("ATELIER_EMBEDDING_BENCH_MODEL");
    if (!bench.isEmpty() && model.endsWith("tiny_bert.gguf")) {
        ASSIGN_OR_FAIL(auto big, EmbeddingModel::load(*device, bench.toStdString()));
        ASSIGN_OR_FAIL(const double benchWorst, compareBatched(*big, variedTexts(64, 200, 11), bench.constData()));
        QVERIFY2(benchWorst <= 1e-4, qPrintable(QString("batched vectors differ by %1").arg(benchWorst)));
        QVERIFY(test::noValidationMessages());
    }
}

// Gemma 3's vision path on tiny random weights (tests/llm/make_tiny_vision.py): the picture
// encoder's embeddings, and the language model's logits and greedy tokens with a picture inside
// the prompt (its 16 embeddings seeing each other both ways), against the float64 reference that
// llama.cpp's mtmd confirms (golden/tiny_vision.json).

#include "io/gguf.h"
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/picture.h"
#include "llm/picture_plan.h"
#include "llm/vision_config.h"
#include "llm/vision_encoder.h"
#include "picture_rgb.h"
#include "test_device.h"
#include "test_result.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <algorithm>
#include <cmath>
#include <map>

using namespace atelier;
using namespace atelier::llm;

namespace {

const QString kTests = QStringLiteral(ATELIER_LLM_TESTS);
// The encoder's f16 weights are dequantized exactly in the reference; what is left is f32
// accumulation over 2 layers: measured below 1e-4 of values up to 3.6.
constexpr double kEmbeddingTolerance = 2e-3;
// As the other tiny models (tests/llm/architecture_test.cpp): the engine's f16 KV cache.
constexpr double kLogitTolerance = 0.02;

QJsonObject goldenFile(const QString& name)
{
    QFile file(kTests + "/golden/" + name);
    return file.open(QIODevice::ReadOnly) ? QJsonDocument::fromJson(file.readAll()).object() : QJsonObject();
}
QJsonObject golden() { return goldenFile("tiny_vision.json"); }
QJsonObject smolGolden() { return goldenFile("tiny_smolvlm.json"); }

std::vector<float> floats(const QJsonArray& rows)
{
    std::vector<float> out;
    for (const QJsonValue& row : rows) {
        if (row.isArray()) {
            for (const QJsonValue& v : row.toArray())
                out.push_back(float(v.toDouble()));
        } else {
            out.push_back(float(row.toDouble()));
        }
    }
    return out;
}

double largestDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        const double d = std::abs(double(a[i]) - double(b[i]));
        worst = std::isfinite(d) ? std::max(worst, d) : INFINITY;
    }
    return worst;
}

int32_t argmax(const std::vector<float>& v) { return int32_t(std::max_element(v.begin(), v.end()) - v.begin()); }

// One loaded copy of each tiny projector per test run on the device deviceOf() opens.
template <vk::Device* (*deviceOf)() = test::testDevice>
VisionEncoder* projector(const QString& file)
{
    return test::loadedOnce<VisionEncoder, deviceOf>(file.toStdString(), [&](vk::Device& device) {
        return VisionEncoder::load(device, (kTests + "/fixtures/" + file).toStdString());
    });
}
VisionEncoder* encoder() { return projector("tiny_gemma3_mmproj.gguf"); }
VisionEncoder* smolEncoder() { return projector("tiny_smolvlm_mmproj.gguf"); }

Result<std::unique_ptr<LanguageModel>> tinyModel(const QString& file, int maxBatch)
{
    LoadOptions options;
    options.contextLength = 512;
    options.maxBatch = maxBatch;
    return LanguageModel::load(*test::testDevice(), (kTests + "/fixtures/" + file).toStdString(), options);
}

Result<RgbPicture> goldenPicture(const QString& file) { return ui::loadRgbPicture(kTests + "/" + file); }

// A golden prompt's pieces as llama.cpp's mtmd split it: text ids, and for each picture tile its
// embedding count; tiles in order.
Status runPieces(LanguageModel& model, VisionEncoder& e, const QJsonArray& pieces, const std::vector<RgbPicture>& tiles,
                 bool causalPictures)
{
    model.truncate(0);
    size_t tile = 0;
    for (const QJsonValue& piece : pieces) {
        if (piece.isArray()) {
            std::vector<int32_t> ids;
            for (const QJsonValue& id : piece.toArray())
                ids.push_back(int32_t(id.toInt()));
            ATELIER_TRY(model.forward(ids));
            continue;
        }
        if (tile >= tiles.size())
            return makeError(ErrorCode::InvalidArgument, "the golden prompt has more pictures than the plan");
        ATELIER_ASSIGN(const ops::Tensor* rows, e.encode(tiles[tile++]));
        if (rows->dim(0) != piece.toInt())
            return makeError(ErrorCode::InvalidArgument, "a tile became " + std::to_string(rows->dim(0)) + " embeddings");
        ATELIER_TRY(model.forwardEmbeddings(*rows, causalPictures));
    }
    return {};
}

int promptTokenCount(const QJsonArray& pieces)
{
    int count = 0;
    for (const QJsonValue& piece : pieces)
        count += piece.isArray() ? int(piece.toArray().size()) : piece.toInt();
    return count;
}

// Greedy tokens written as the chat writes them (random weights: broken UTF-8, replaced as it streams).
QByteArray answerText(const LanguageModel& model, const QJsonArray& tokens)
{
    std::string text;
    Utf8Stream utf8;
    for (const QJsonValue& token : tokens)
        text += utf8.push(model.tokenizer().piece(int32_t(token.toInt())));
    text += utf8.flush();
    return QByteArray::fromStdString(text);
}

} // namespace

class TestVision : public QObject {
    Q_OBJECT
private slots:
    void projectorConfigFromGguf();
    void projectorRefusesOtherFiles();
    void resizeKeepsSizeAndAspect();
    void pictureEmbeddingsMatchReference_data();
    void pictureEmbeddingsMatchReference();
    void logitsWithPictureMatchReference();
    void chatReadsAPicture();
    void smolvlmTilesMatchReference();
    void smolvlmChatMatchesLlamaCpp();
};

void TestVision::projectorConfigFromGguf()
{
    ASSIGN_OR_FAIL(auto file, io::GgufFile::open((kTests + "/fixtures/tiny_gemma3_mmproj.gguf").toStdString()));
    QVERIFY(isVisionProjector(*file));
    ASSIGN_OR_FAIL(const VisionConfig c, VisionConfig::fromGguf(*file));
    QCOMPARE(c.projector, Projector::Gemma3);
    QCOMPARE(c.imageSize, 32);
    QCOMPARE(c.patchSize, 4);
    QCOMPARE(c.patches(), 64);
    QCOMPARE(c.merge, 2);
    QCOMPARE(c.tokens(), 16);
    QCOMPARE(c.textDim, 128);
    QCOMPARE(c.activation, VisionActivation::GeluTanh);
}

void TestVision::projectorRefusesOtherFiles()
{
    // A language model is no projector.
    ASSIGN_OR_FAIL(auto text, io::GgufFile::open((kTests + "/fixtures/tiny_gemma3.gguf").toStdString()));
    QVERIFY(!isVisionProjector(*text));
    // Gemma 3's projector feeds a gemma3 of width 128 only, SmolVLM's a llama.
    ASSIGN_OR_FAIL(auto gemmaFile, io::GgufFile::open((kTests + "/fixtures/tiny_gemma3_mmproj.gguf").toStdString()));
    ASSIGN_OR_FAIL(const VisionConfig gemma, VisionConfig::fromGguf(*gemmaFile));
    QVERIFY(projectorFits(gemma, "gemma3", 128));
    QVERIFY(!projectorFits(gemma, "qwen2", 128));
    QVERIFY(!projectorFits(gemma, "gemma3", 640));
    auto config = VisionConfig::fromGguf(*text);
    QVERIFY(!config);
    QVERIFY(QString::fromStdString(config.error().message).contains("vision projector"));

    // A projector cut short: an error, not a crash.
    QFile source(kTests + "/fixtures/tiny_gemma3_mmproj.gguf");
    QVERIFY(source.open(QIODevice::ReadOnly));
    const QByteArray bytes = source.readAll();
    QTemporaryDir dir;
    const QString cut = dir.filePath("cut.gguf");
    QFile out(cut);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(bytes.left(bytes.size() / 2));
    out.close();
    QVERIFY(test::testDevice());
    auto loaded = VisionEncoder::load(*test::testDevice(), cut.toStdString());
    QVERIFY(!loaded);
    qInfo("%s", loaded.error().message.c_str());
    QVERIFY(test::noValidationMessages());
}

void TestVision::resizeKeepsSizeAndAspect()
{
    RgbPicture flat{5, 3, std::vector<uint8_t>(5 * 3 * 3, 200)};
    ASSIGN_OR_FAIL(const RgbPicture big, resizeBilinear(flat, 17, 9));
    QCOMPARE(big.width, 17);
    QCOMPARE(big.height, 9);
    QVERIFY(std::all_of(big.rgb.begin(), big.rgb.end(), [](uint8_t v) { return v == 200; })); // weights sum to one
    ASSIGN_OR_FAIL(const RgbPicture square, fitSquare(flat, 10));
    QCOMPARE(square.width, 10);
    QCOMPARE(square.height, 10);
    // 5 x 3 fits as 10 x 6, centred: black rows above and below.
    QCOMPARE(int(square.rgb[0]), 0);
    QCOMPARE(int(square.rgb[(size_t(5) * 10 + 5) * 3]), 200);
    QCOMPARE(int(square.rgb[(size_t(9) * 10 + 5) * 3]), 0);
    QVERIFY(!resizeBilinear(RgbPicture{}, 4, 4));
    QVERIFY(!resizeBilinear(flat, 0, 4));
    QVERIFY(!fitSquare(RgbPicture{100000, 1, {}}, 32));
}

void TestVision::pictureEmbeddingsMatchReference_data()
{
    QTest::addColumn<QString>("name");
    QTest::addColumn<bool>("gpuPaths"); // test::gpuPathsDevice: on lavapipe, as a discrete GPU would
    QTest::newRow("square, the encoder's own size") << "square" << false;
    QTest::newRow("wide, resized and padded") << "wide" << false;
    QTest::newRow("square, GPU paths") << "square" << true;
    QTest::newRow("wide, GPU paths") << "wide" << true;
}

void TestVision::pictureEmbeddingsMatchReference()
{
    QFETCH(QString, name);
    QFETCH(bool, gpuPaths);
    VisionEncoder* e = gpuPaths ? projector<test::gpuPathsDevice>("tiny_gemma3_mmproj.gguf") : encoder();
    QVERIFY(e);
    const QJsonObject picture = golden()["pictures"].toObject()[name].toObject();
    ASSIGN_OR_FAIL(const RgbPicture rgb, goldenPicture(picture["file"].toString()));
    ASSIGN_OR_FAIL(const std::vector<float> got, e->encodeToHost(rgb));
    const double diff = largestDifference(got, floats(picture["embeddings"].toArray()));
    qInfo("embeddings of %s differ from the float64 reference by %.2g (llama.cpp: %.2g)", qPrintable(name), diff,
          picture["llamacpp_max_diff"].toDouble());
    QVERIFY2(diff < kEmbeddingTolerance, qPrintable(QString::number(diff)));
    QVERIFY(test::noValidationMessages(gpuPaths ? test::gpuPathsDevice() : test::testDevice()));
}

void TestVision::logitsWithPictureMatchReference()
{
    VisionEncoder* e = encoder();
    QVERIFY(e);
    ASSIGN_OR_FAIL(auto model, tinyModel("tiny_gemma3.gguf", 16));
    const QJsonObject g = golden();
    const QJsonObject prompt = g["prompt"].toObject();
    ASSIGN_OR_FAIL(const RgbPicture rgb, goldenPicture(g["pictures"].toObject()["square"].toObject()["file"].toString()));
    const std::vector<float> expected = floats(prompt["logits"].toArray());

    VERIFY_OK(runPieces(*model, *e, prompt["pieces"].toArray(), {rgb}, false));
    ASSIGN_OR_FAIL(std::vector<float> logits, model->logits());
    const double diff = largestDifference(logits, expected);
    qInfo("logits after the prompt with a picture differ from the float64 reference by %.3g (llama.cpp F32: %.2g)", diff,
          prompt["llamacpp_f32_max_diff"].toDouble());
    QVERIFY2(diff < kLogitTolerance, qPrintable(QString::number(diff)));

    std::vector<int32_t> greedy;
    for (int i = 0; i < prompt["greedy"].toArray().size(); ++i) {
        greedy.push_back(argmax(logits));
        const int32_t token = greedy.back();
        VERIFY_OK(model->forward(std::span(&token, 1)));
        ASSIGN_OR_FAIL(logits, model->logits());
    }
    std::vector<int32_t> want;
    for (const QJsonValue& v : prompt["greedy"].toArray())
        want.push_back(int32_t(v.toInt()));
    QCOMPARE(greedy, want);

    // The picture read causally, as a plain prompt would be, is measurably wrong: the test can tell.
    VERIFY_OK(runPieces(*model, *e, prompt["pieces"].toArray(), {rgb}, true));
    ASSIGN_OR_FAIL(const std::vector<float> causal, model->logits());
    qInfo("read causally, the picture moves the logits by %.3g", largestDifference(causal, expected));
    QVERIFY(largestDifference(causal, expected) > 5 * kLogitTolerance);
    QVERIFY(test::noValidationMessages());
}

void TestVision::chatReadsAPicture()
{
    VisionEncoder* e = encoder();
    QVERIFY(e);
    ASSIGN_OR_FAIL(auto model, tinyModel("tiny_gemma3.gguf", 16));
    const QJsonObject g = golden();
    const QJsonObject chat = g["chat"].toObject();
    ASSIGN_OR_FAIL(const RgbPicture rgb, goldenPicture(g["pictures"].toObject()["square"].toObject()["file"].toString()));
    const auto picture = std::make_shared<const RgbPicture>(rgb);

    ChatSession session(*model);
    GenerationSettings settings;
    settings.sampling.temperature = 0; // greedy, as the golden
    settings.maxTokens = int(chat["greedy"].toArray().size());
    const std::string question = chat["question"].toString().toStdString();

    // Without a projector a picture is refused, and nothing is added to the conversation.
    auto refused = session.reply(question, settings, {}, nullptr, {picture});
    QVERIFY(!refused);
    QVERIFY(QString::fromStdString(refused.error().message).contains("cannot read pictures"));
    QVERIFY(session.messages().empty());

    VERIFY_OK(session.setVision(e));
    GenerationStats stats;
    ASSIGN_OR_FAIL(const std::string answer, session.reply(question, settings, {}, &stats, {picture}));
    const int promptTokens = promptTokenCount(chat["pieces"].toArray());
    QCOMPARE(stats.promptTokens, promptTokens); // text, <start_of_image>, 16 places, <end_of_image>, text
    QCOMPARE(QByteArray::fromStdString(answer), answerText(*model, chat["greedy"].toArray())); // llama.cpp's
    QCOMPARE(session.messages().front().pictures.size(), size_t(1));

    // A follow-up keeps the picture and question in the KV cache (the random answer's broken UTF-8
    // tokenizes anew, so reuse stops there).
    GenerationStats followUp;
    ASSIGN_OR_FAIL(const std::string second, session.reply("And the corners?", settings, {}, &followUp));
    QVERIFY2(followUp.reusedTokens >= promptTokens, qPrintable(QString::number(followUp.reusedTokens)));

    // The same question without the picture: its 16 places and two markers are gone.
    ChatSession plain(*model);
    GenerationStats blind;
    ASSIGN_OR_FAIL(const std::string unseen, plain.reply(question, settings, {}, &blind));
    QCOMPARE(blind.promptTokens, promptTokens - e->tokensPerPicture() - 2);
    QVERIFY(test::noValidationMessages());
}

// SmolVLM's projector (Idefics3): the wide picture becomes 2 tiles and the whole picture, each
// 16 embeddings of its 2x2 patch squares side by side, against the float64 reference.
void TestVision::smolvlmTilesMatchReference()
{
    VisionEncoder* e = smolEncoder();
    QVERIFY(e);
    QCOMPARE(e->config().projector, Projector::Idefics3);
    QCOMPARE(e->config().longestEdge, 64);
    const QJsonObject g = smolGolden();
    ASSIGN_OR_FAIL(const RgbPicture rgb, goldenPicture(g["picture"].toString()));
    ASSIGN_OR_FAIL(const PicturePlan plan, planPicture(rgb, e->config()));
    const QJsonArray tiles = g["tiles"].toArray();
    QCOMPARE(plan.tiles.size(), size_t(tiles.size()));
    for (size_t i = 0; i < plan.tiles.size(); ++i) {
        ASSIGN_OR_FAIL(const std::vector<float> got, e->encodeToHost(plan.tiles[i]));
        const double diff = largestDifference(got, floats(tiles[int(i)].toArray()));
        qInfo("tile %zu differs from the float64 reference by %.2g (llama.cpp: %.2g)", i, diff,
              g["llamacpp_max_diff"].toDouble());
        QVERIFY2(diff < kEmbeddingTolerance, qPrintable(QString::number(diff)));
    }
    QVERIFY(test::noValidationMessages());
}

// The chat turn through the Llama 3.1 template: the prompt laid out as mtmd lays it (row/column
// markers, the whole picture after its tiles), the greedy answer and the logits after the prompt.
void TestVision::smolvlmChatMatchesLlamaCpp()
{
    VisionEncoder* e = smolEncoder();
    QVERIFY(e);
    ASSIGN_OR_FAIL(auto model, tinyModel("tiny_smolvlm.gguf", 32));
    const QJsonObject g = smolGolden();
    const QJsonObject chat = g["chat"].toObject();
    ASSIGN_OR_FAIL(const RgbPicture rgb, goldenPicture(g["picture"].toString()));

    ChatSession session(*model);
    VERIFY_OK(session.setVision(e));
    GenerationSettings settings;
    settings.sampling.temperature = 0;
    settings.maxTokens = int(chat["greedy"].toArray().size());
    GenerationStats stats;
    ASSIGN_OR_FAIL(const std::string answer, session.reply(chat["question"].toString().toStdString(), settings, {}, &stats,
                                                           {std::make_shared<const RgbPicture>(rgb)}));
    QCOMPARE(stats.promptTokens, promptTokenCount(chat["pieces"].toArray()));
    QCOMPARE(QByteArray::fromStdString(answer), answerText(*model, chat["greedy"].toArray()));

    ASSIGN_OR_FAIL(const PicturePlan plan, planPicture(rgb, e->config()));
    VERIFY_OK(runPieces(*model, *e, chat["pieces"].toArray(), plan.tiles, true));
    ASSIGN_OR_FAIL(const std::vector<float> logits, model->logits());
    const double diff = largestDifference(logits, floats(chat["logits"].toArray()));
    qInfo("logits after the SmolVLM prompt differ from the float64 reference by %.3g", diff);
    QVERIFY2(diff < kLogitTolerance, qPrintable(QString::number(diff)));
    QVERIFY(test::noValidationMessages());
}

QTEST_MAIN(TestVision)
#include "tst_vision.moc"

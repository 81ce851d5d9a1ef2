// Pictures in /v1/chat/completions (issue 22), in-process on a free port with the tiny Gemma 3 and
// its vision projector (tests/llm/fixtures) in a folder of their own: the greedy answer about a
// picture is ChatSession's own for that picture, whole and streamed, PNG, JPEG or WebP; every bad picture is a 400 that
// names its field; a model with no projector next to it is a 400 that says so.

#include "api_client.h"
#include "engine_jobs.h"
#include "tiny_vision.h"
#include "window_fixture.h"

#include "server/openai_server.h"

#include "engine/compute_engine.h"
#include "llm/chat_resident.h"
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/picture.h"
#include "llm/vision_encoder.h"

#include <QBuffer>
#include <QImage>
#include <QImageReader>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QScopeGuard>
#include <QTest>

#include <cstring>

using namespace atelier;

namespace {

const QString kFixtures = QStringLiteral(ATELIER_TEST_FIXTURES);
constexpr int kTimeoutMs = 120000;
constexpr int kMaxTokens = 6;
const QString kQuestion = QStringLiteral("What is in the picture?");

using Reply = test::ApiReply;

QByteArray fileBytes(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString dataUrl(const QByteArray& bytes, const QString& type = QStringLiteral("image/png"))
{
    return QStringLiteral("data:%1;base64,").arg(type) + QString::fromLatin1(bytes.toBase64());
}

QJsonObject picturePart(const QString& url)
{
    return QJsonObject{{"type", "image_url"}, {"image_url", QJsonObject{{"url", url}}}};
}

// A user message of the question and the pictures (given as data URLs or whatever else is sent).
QByteArray pictureBody(const QString& model, const QJsonArray& pictureParts, bool stream = false)
{
    QJsonArray content{QJsonObject{{"type", "text"}, {"text", kQuestion}}};
    for (const QJsonValue& part : pictureParts)
        content.append(part);
    const QJsonObject o{{"model", model},
                        {"messages", QJsonArray{QJsonObject{{"role", "user"}, {"content", content}}}},
                        {"temperature", 0},
                        {"max_tokens", kMaxTokens},
                        {"stream", stream}};
    return QJsonDocument(o).toJson(QJsonDocument::Compact);
}

} // namespace

class TestServerPictures : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();

    void answersAboutAPictureAsChatSessionDoes();
    void readsJpegAndWebP();
    void streamsAnAnswerAboutAPicture();
    void refusesBadPictures_data();
    void refusesBadPictures();
    void refusesAPictureTheJobCannotDecode();
    void answersAboutAPhotoAsChatSessionDoes();
    void readsALargePictureAtTheEncodersSize();
    void refusesPicturesOverTheDecodedBudget();
    void refusesPicturesForAModelThatCannotSee();
    void readsWithTheWindowsModelAfterACompletion();

private:
    Reply send(const QByteArray& body, const QString& path = QStringLiteral("/chat/completions"));
    bool runOnEngine(std::function<Status(engine::JobContext&)> work);
    // ChatSession's greedy answer to the question with `picture`, on the engine's device.
    QVariantMap sessionAnswer(const QString& picture);

    QTemporaryDir mDir;
    QString mSeeing; // tiny_gemma3.gguf with mmproj-tiny_gemma3.gguf beside it
    QString mBlind;  // tiny_gemma3.gguf alone
    engine::ComputeEngine* mEngine = nullptr;
    server::OpenAiServer* mServer = nullptr;
    QNetworkAccessManager* mNetwork = nullptr;
};

void TestServerPictures::initTestCase()
{
    QVERIFY(mDir.isValid());
    mSeeing = test::installTinyGemma(mDir.filePath("seeing"));
    mBlind = test::installTinyGemma(mDir.filePath("blind"), false);
    QVERIFY(!mSeeing.isEmpty() && !mBlind.isEmpty());
    mEngine = new engine::ComputeEngine(this);
    QVERIFY2(test::startEngine(*mEngine, kTimeoutMs), "the Vulkan device did not open");

    mServer = new server::OpenAiServer(*mEngine, this);
    server::ServerOptions serve;
    serve.port = 0;
    serve.chatModelPath = mSeeing;
    serve.contextLength = 512;
    serve.maxBodyBytes = 32 * 1024 * 1024; // the default: a 20 MiB picture fits, base64 and all
    QVERIFY(mServer->start(serve).ok());
    mNetwork = new QNetworkAccessManager(this);
}

void TestServerPictures::cleanupTestCase()
{
    QCOMPARE(mServer->pendingRequests(), 0);
    delete mServer;
    QCOMPARE(test::validationMessages(*mEngine), 0);
    delete mEngine;
}

Reply TestServerPictures::send(const QByteArray& body, const QString& path)
{
    return test::sendApiRequest(*mNetwork, QUrl(mServer->baseUrl() + path), "POST", body, {}, kTimeoutMs);
}

QVariantMap TestServerPictures::sessionAnswer(const QString& picture)
{
    const QString projector = QFileInfo(mSeeing).dir().filePath("mmproj-tiny_gemma3.gguf");
    auto rgb = test::readPicture(picture);
    if (!rgb) {
        qWarning("%s", rgb.error().message.c_str());
        return {};
    }
    llm::GenerationSettings settings;
    settings.sampling.temperature = 0;
    settings.maxTokens = kMaxTokens;
    auto seeing = test::sessionAnswer(*mEngine, mSeeing, projector, kQuestion.toStdString(), {rgb.value()}, settings);
    auto blind = test::sessionAnswer(*mEngine, mSeeing, projector, kQuestion.toStdString(), {}, settings); // without the picture
    if (!seeing || !blind) {
        qWarning("the reference failed: %s", (seeing ? blind : seeing).error().message.c_str());
        return {};
    }
    return QVariantMap{{"answer", seeing->text},
                       {"promptTokens", seeing->stats.promptTokens},
                       {"blindPromptTokens", blind->stats.promptTokens}};
}

void TestServerPictures::answersAboutAPictureAsChatSessionDoes()
{
    const QVariantMap expected = sessionAnswer(kFixtures + "/tiny_vision_square.png");
    QVERIFY(!expected.isEmpty());
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(kFixtures + "/tiny_vision_square.png")))}));
    QVERIFY2(r.status == 200, r.body.constData());
    qInfo("the answer about the square picture: %s", qPrintable(r.content().toHtmlEscaped()));
    QVERIFY(!r.content().isEmpty());
    QCOMPARE(r.content(), expected["answer"].toString());
    // The picture's 16 places and two markers are in the prompt: it was read, not dropped.
    const int promptTokens = r.json().value("usage").toObject().value("prompt_tokens").toInt();
    QCOMPARE(promptTokens, expected["promptTokens"].toInt());
    QCOMPARE(promptTokens, expected["blindPromptTokens"].toInt() + 18);

    // Another picture is another prompt; the same question without one is the blind session's.
    const QVariantMap wide = sessionAnswer(kFixtures + "/tiny_vision_wide.png");
    const Reply w = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(kFixtures + "/tiny_vision_wide.png")))}));
    QCOMPARE(w.status, 200);
    QCOMPARE(w.content(), wide["answer"].toString());
    const Reply none = send(pictureBody("tiny_gemma3", {}));
    QCOMPARE(none.status, 200);
    QCOMPARE(none.json().value("usage").toObject().value("prompt_tokens").toInt(), expected["blindPromptTokens"].toInt());
    QVERIFY2(none.content() != r.content(), qPrintable(none.content())); // the random model answers otherwise without it
}

void TestServerPictures::readsJpegAndWebP()
{
    // A lossless WebP of the square (Qt's WebP plugin, qt6-image-formats-plugins) is the same picture.
    QVERIFY2(QImageReader::supportedImageFormats().contains("webp"), "Qt's WebP plugin is missing (installer/deps.sh)");
    const QImage square(kFixtures + "/tiny_vision_square.png");
    QByteArray webp;
    QBuffer buffer(&webp);
    QVERIFY(buffer.open(QIODevice::WriteOnly) && square.save(&buffer, "WEBP", 100));
    QCOMPARE(QImage::fromData(webp, "WEBP").convertToFormat(QImage::Format_RGB888), square.convertToFormat(QImage::Format_RGB888));
    const QVariantMap expected = sessionAnswer(kFixtures + "/tiny_vision_square.png");
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(webp, "image/webp"))}));
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.content(), expected["answer"].toString());

    // A JPEG's pixels are its own: the answer is ChatSession's for what the JPEG decodes to.
    QTemporaryDir dir;
    const QString jpeg = dir.filePath("square.jpg");
    QVERIFY(square.save(jpeg, "JPEG", 90));
    const QVariantMap jpegExpected = sessionAnswer(jpeg);
    const Reply j = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(jpeg), "image/jpeg"))}));
    QVERIFY2(j.status == 200, j.body.constData());
    QCOMPARE(j.content(), jpegExpected["answer"].toString());
}

void TestServerPictures::streamsAnAnswerAboutAPicture()
{
    const QVariantMap expected = sessionAnswer(kFixtures + "/tiny_vision_square.png");
    QVERIFY(!expected.isEmpty());
    // A JPEG of the same picture would differ in its pixels: PNG again, as a stream.
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(kFixtures + "/tiny_vision_square.png")))}, true));
    QCOMPARE(r.status, 200);
    QString text;
    for (const QByteArray& line : r.body.split('\n')) {
        if (!line.startsWith("data: {"))
            continue;
        text += QJsonDocument::fromJson(line.mid(6)).object().value("choices").toArray().first().toObject()
                    .value("delta").toObject().value("content").toString();
    }
    QVERIFY(r.body.contains("data: [DONE]"));
    QCOMPARE(text, expected["answer"].toString());
}

void TestServerPictures::refusesBadPictures_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("param");
    QTest::addColumn<QString>("says");

    const QByteArray png = fileBytes(kFixtures + "/tiny_vision_square.png");
    QVERIFY(!png.isEmpty());
    const QString field = QStringLiteral("messages[0].content[1].image_url");
    QTest::newRow("broken base64") << pictureBody("tiny_gemma3", {picturePart("data:image/png;base64,iVBORw0K!!!*")}) << field
                                   << "not valid base64";
    QTest::newRow("not a picture") << pictureBody("tiny_gemma3", {picturePart(dataUrl("just some text, not a picture"))})
                                   << field << "not a picture";
    QTest::newRow("a web address") << pictureBody("tiny_gemma3", {picturePart("https://example.org/cat.png")}) << field
                                   << "fetches nothing";
    QTest::newRow("not base64") << pictureBody("tiny_gemma3", {picturePart("data:image/png,rawbytes")}) << field << "base64";
    QTest::newRow("not an image type") << pictureBody("tiny_gemma3", {picturePart(dataUrl(png, "text/plain"))}) << field
                                       << "base64";
    QTest::newRow("no url") << pictureBody("tiny_gemma3", {QJsonObject{{"type", "image_url"}, {"image_url", QJsonObject{}}}})
                            << field << "needs a 'url'";
    QJsonArray seventeen;
    for (int i = 0; i < 17; ++i)
        seventeen.append(picturePart(dataUrl(png)));
    QTest::newRow("17 pictures") << pictureBody("tiny_gemma3", seventeen) << "messages[0].content[17]" << "at most 16 pictures, those of earlier messages in the conversation included";
    QTest::newRow("a part of another type")
        << pictureBody("tiny_gemma3", {QJsonObject{{"type", "input_audio"}, {"input_audio", QJsonObject{}}}})
        << "messages[0].content[1]" << "input_audio";
    const QJsonObject assistant{{"role", "assistant"},
                                {"content", QJsonArray{QJsonObject{{"type", "text"}, {"text", "Look:"}}, picturePart(dataUrl(png))}}};
    const QJsonObject user{{"role", "user"}, {"content", "And?"}};
    QTest::newRow("a picture the assistant shows")
        << QJsonDocument(QJsonObject{{"model", "tiny_gemma3"}, {"messages", QJsonArray{assistant, user}}}).toJson()
        << "messages[0].content[1]" << "only the user's";
    // Over 20 MiB (in a body the server takes: its limit is 32 MiB).
    const QString huge = "data:image/png;base64," + QString(28 * 1024 * 1024, QLatin1Char('A'));
    QTest::newRow("over 20 MiB") << pictureBody("tiny_gemma3", {picturePart(huge)}) << field << "at most 20.0 MiB";
}

void TestServerPictures::refusesBadPictures()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, param);
    QFETCH(QString, says);
    const Reply r = send(body);
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error().value("type").toString(), QStringLiteral("invalid_request_error"));
    QCOMPARE(r.error().value("param").toString(), param);
    QVERIFY2(r.error().value("message").toString().contains(says), r.body.left(400).constData());
    QCOMPARE(mServer->pendingRequests(), 0); // refused on arrival, no job
}

void TestServerPictures::refusesAPictureTheJobCannotDecode()
{
    // A PNG whose header reads but whose pixels are cut off: refused by the job, still naming the field.
    const QByteArray png = fileBytes(kFixtures + "/tiny_vision_square.png");
    QImage big(256, 256, QImage::Format_RGB888);
    for (int y = 0; y < big.height(); ++y)
        for (int x = 0; x < big.width(); ++x)
            big.setPixel(x, y, qRgb((x * 7) ^ y, (y * 13) & 255, (x + y) & 255));
    QByteArray encoded;
    QBuffer buffer(&encoded);
    QVERIFY(buffer.open(QIODevice::WriteOnly) && big.save(&buffer, "PNG"));
    const QByteArray cut = encoded.left(encoded.size() / 2);
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(png)), picturePart(dataUrl(cut))}));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error().value("param").toString(), QStringLiteral("messages[0].content[2].image_url"));
    QVERIFY2(r.error().value("message").toString().contains("cannot be decoded"), r.body.constData());
    // The server goes on answering.
    QCOMPARE(send(pictureBody("tiny_gemma3", {picturePart(dataUrl(png))})).status, 200);
}

// A picture of the structure the fixtures have, `width` x `height`, saved as a PNG in `dir`.
QString structuredPng(const QTemporaryDir& dir, int width, int height)
{
    QImage image = QImage(kFixtures + "/tiny_vision_wide.png").scaled(width, height, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    for (int y = 0; y < height; y += 7) // detail the smooth scaling does not have
        for (int x = (y / 7) % 5; x < width; x += 5)
            image.setPixel(x, y, qRgb((x * 3) & 255, (y * 5) & 255, ((x + y) * 7) & 255));
    const QString path = dir.filePath(QStringLiteral("photo_%1x%2.png").arg(width).arg(height));
    return image.save(path, "PNG") ? path : QString();
}

void TestServerPictures::answersAboutAPhotoAsChatSessionDoes()
{
    // 1600 x 1200 is 50 times what the tiny encoder reads (32 x 24) but under 4 megapixels: the
    // server decodes it whole, and its answer is ChatSession's for the picture itself.
    QTemporaryDir dir;
    const QString photo = structuredPng(dir, 1600, 1200);
    QVERIFY(!photo.isEmpty());
    const QVariantMap expected = sessionAnswer(photo);
    QVERIFY(!expected.isEmpty());
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(photo)))}));
    QVERIFY2(r.status == 200, r.body.constData());
    QCOMPARE(r.content(), expected["answer"].toString());
    QCOMPARE(r.json().value("usage").toObject().value("prompt_tokens").toInt(), expected["promptTokens"].toInt());
}

void TestServerPictures::readsALargePictureAtTheEncodersSize()
{
    // Over 4 megapixels the picture is decoded at the encoder's size: it is still read (its 18
    // tokens are in the prompt) and the answer comes.
    QTemporaryDir dir;
    const QString large = structuredPng(dir, 3000, 1500);
    QVERIFY(!large.isEmpty());
    const QVariantMap blind = sessionAnswer(kFixtures + "/tiny_vision_square.png");
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(large)))}));
    QVERIFY2(r.status == 200, r.body.constData());
    QVERIFY(!r.content().isEmpty());
    QCOMPARE(r.json().value("usage").toObject().value("prompt_tokens").toInt(), blind["blindPromptTokens"].toInt() + 18);
}

void TestServerPictures::refusesPicturesOverTheDecodedBudget()
{
    // 13 pictures of 4 megapixels come to 52 decoded megapixels: a 400 naming the 13th, before any job.
    QImage flat(2048, 2048, QImage::Format_RGB32);
    flat.fill(QColor(40, 120, 200));
    QByteArray png;
    QBuffer buffer(&png);
    QVERIFY(buffer.open(QIODevice::WriteOnly) && flat.save(&buffer, "PNG"));
    QJsonArray thirteen;
    for (int i = 0; i < 13; ++i)
        thirteen.append(picturePart(dataUrl(png)));
    const Reply r = send(pictureBody("tiny_gemma3", thirteen));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error().value("param").toString(), QStringLiteral("messages[0].content[13].image_url"));
    QVERIFY2(r.error().value("message").toString().contains("at most 48.0"), r.body.constData());
    QCOMPARE(mServer->pendingRequests(), 0);
}

void TestServerPictures::refusesPicturesForAModelThatCannotSee()
{
    mServer->setChatModel(mBlind);
    auto restore = qScopeGuard([this] { mServer->setChatModel(mSeeing); });
    const QByteArray png = fileBytes(kFixtures + "/tiny_vision_square.png");
    const Reply r = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(png))}));
    QCOMPARE(r.status, 400);
    QCOMPARE(r.error().value("message").toString(),
             QStringLiteral("model tiny_gemma3 cannot see pictures: no vision projector (mmproj*.gguf) next to it"));
    QCOMPARE(r.error().value("param").toString(), QStringLiteral("messages[0].content[1].image_url"));
    // Streamed, the refusal is still a 400 and not an event after a 200: nothing was sent yet.
    const Reply streamed = send(pictureBody("tiny_gemma3", {picturePart(dataUrl(png))}, true));
    QCOMPARE(streamed.status, 400);
    QVERIFY(streamed.error().value("message").toString().contains("cannot see pictures"));
    // Text alone it still answers.
    QCOMPARE(send(pictureBody("tiny_gemma3", {})).status, 200);
}

bool TestServerPictures::runOnEngine(std::function<Status(engine::JobContext&)> work)
{
    auto done = test::runOnEngine(*mEngine, QStringLiteral("test work"), [work](engine::JobContext& ctx) -> Result<QVariant> {
        ATELIER_TRY(work(ctx));
        return QVariant();
    }, kTimeoutMs);
    if (!done)
        qWarning("%s", done.error().message.c_str());
    return bool(done);
}

// The window's Chat has the served file loaded with its projector (llm/chat_resident.h): the server
// reads the picture with them, and still does after a plain completion started the session afresh.
void TestServerPictures::readsWithTheWindowsModelAfterACompletion()
{
    struct WindowVision {
        std::unique_ptr<llm::VisionEncoder> encoder;
    };
    const std::string model = mSeeing.toStdString();
    const std::string projector = QFileInfo(mSeeing).dir().filePath("mmproj-tiny_gemma3.gguf").toStdString();
    QVERIFY(runOnEngine([=](engine::JobContext& ctx) -> Status {
        llm::LoadOptions options;
        options.contextLength = 512;
        auto window = std::make_unique<llm::ChatResident>();
        window->path = model;
        ATELIER_ASSIGN(window->model, llm::LanguageModel::load(ctx.device(), model, options));
        window->session = std::make_unique<llm::ChatSession>(*window->model);
        auto vision = std::make_unique<WindowVision>();
        ATELIER_ASSIGN(vision->encoder, llm::VisionEncoder::load(ctx.device(), projector));
        ATELIER_TRY(window->session->setVision(vision->encoder.get()));
        ctx.residents().erase("server.chat.model"); // so the answer can only come from the window's
        ctx.residents().erase("server.chat.vision");
        ctx.residents().put("test.window.vision", std::move(vision));
        ctx.residents().put(llm::kChatResidentKey, std::move(window));
        return {};
    }));
    auto unload = qScopeGuard([this] {
        runOnEngine([](engine::JobContext& ctx) -> Status {
            ctx.residents().erase(llm::kChatResidentKey);
            ctx.residents().erase("test.window.vision");
            return {};
        });
    });
    const QVariantMap expected = sessionAnswer(kFixtures + "/tiny_vision_square.png");
    const QByteArray body = pictureBody("tiny_gemma3", {picturePart(dataUrl(fileBytes(kFixtures + "/tiny_vision_square.png")))});
    const Reply first = send(body);
    QVERIFY2(first.status == 200, first.body.constData());
    QCOMPARE(first.content(), expected["answer"].toString());
    const Reply completion = send(R"({"model": "tiny_gemma3", "prompt": "Once upon", "max_tokens": 3})", "/completions");
    QVERIFY2(completion.status == 200, completion.body.constData());
    const Reply again = send(body);
    QVERIFY2(again.status == 200, again.body.constData());
    QCOMPARE(again.content(), expected["answer"].toString());
    QVERIFY(runOnEngine([](engine::JobContext& ctx) -> Status {
        if (ctx.residents().find<llm::ChatResident>("server.chat.model"))
            return makeError(ErrorCode::InvalidArgument, "the server loaded a copy of the window's model");
        return {};
    }));
}

QTEST_MAIN(TestServerPictures)
#include "picture_test.moc"

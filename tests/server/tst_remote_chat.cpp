// The chat's OpenAI-compatible client (RemoteEngine) against Atelier's own server, in-process on
// a free port with the tiny Qwen2 model: the streamed answer, its stats, Stop, and the failures a
// user meets (unknown model, missing key, nothing listening); with the tiny Gemma 3 and its vision
// projector, a question's pictures reach the server (issue 22).

#include "tiny_vision.h"
#include "window_fixture.h"

#include "chat/chat_defaults.h"
#include "chat/chat_input.h"
#include "chat/chat_workspace.h"
#include "chat/message_view.h"
#include "chat/message_widget.h"
#include "chat/model_catalog.h"
#include "chat/remote_engine.h"
#include "chat/remote_model_dialog.h"
#include "chat/remote_models.h"
#include "core/app_paths.h"
#include "server/openai_server.h"
#include "store/chat_export.h"
#include "store/chat_store.h"
#include "store/database.h"

#include "engine/compute_engine.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTcpServer>
#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

constexpr int kTimeoutMs = 60000;
const QString kFixtures = QStringLiteral(ATELIER_TEST_FIXTURES);
const QString kSquare = kFixtures + QStringLiteral("/tiny_vision_square.png");

QByteArray fileBytes(const QString& path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

ui::ChatRequest question(const QString& text, int maxTokens, float temperature = 0)
{
    ui::ChatRequest r;
    r.conversationId = 7;
    r.systemPrompt = QStringLiteral("Be brief.");
    r.turns = {{QStringLiteral("user"), text}};
    r.generation.maxTokens = maxTokens;
    r.generation.sampling.temperature = temperature;
    r.generation.sampling.seed = 11;
    return r;
}

} // namespace

class TestRemoteChat : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void cleanupTestCase();
    void readsServerSentEventsAcrossPieces();
    void keepsTheEndpointInTheModelPath();
    void streamsTheServersAnswer();
    void continuesAConversation();
    void stopKeepsWhatArrivedAndCancelsTheServersJob();
    void reportsFailures();
    void chatTalksToARemoteModel();
    void picturesTravelAsDataUrls();
    void aPictureReachesTheServer();
    void aLongConversationSendsItsNewestPictures();
    void earlierPicturesStayWithinTheBodysRoom();
    void chatSendsAPictureToARemoteModel();

private:
    struct Outcome {
        QStringList pieces;
        std::optional<ui::ChatAnswer> answer;
        QString failure;
    };
    Outcome ask(ui::RemoteEngine& remote, const ui::ChatRequest& request, int stopAfterPieces = 0);
    QString serverAnswer(const ui::ChatRequest& request);
    // The server's answer and prompt tokens for the request asked directly, pictures as PNG data URLs.
    std::pair<QString, int> directAnswer(const ui::ChatRequest& request, const QString& model);
    // Serves the tiny Gemma 3 with its projector beside it (the caller serves tiny_qwen2 again).
    void serveSeeingModel();
    // A fresh database and the Chat workspace on show over it, new conversations answered by
    // `model` (greedy, maxTokens, context 512); null when either failed.
    std::unique_ptr<ui::ChatWorkspace> openChat(const QString& model, int maxTokens, std::unique_ptr<store::Database>& db);

    engine::ComputeEngine* mEngine = nullptr;
    server::OpenAiServer* mServer = nullptr;
    QTemporaryDir mDir;
};

void TestRemoteChat::initTestCase()
{
    test::useFreshSettings();
    mEngine = new engine::ComputeEngine(this);
    QVERIFY(test::startEngine(*mEngine, kTimeoutMs));
    mServer = new server::OpenAiServer(*mEngine, this);
    server::ServerOptions serve;
    serve.port = 0;
    serve.chatModelPath = QStringLiteral(ATELIER_TINY_MODEL);
    serve.contextLength = 512;
    QVERIFY(mServer->start(serve).ok());
}

void TestRemoteChat::cleanupTestCase()
{
    delete mServer;
    delete mEngine;
}

TestRemoteChat::Outcome TestRemoteChat::ask(ui::RemoteEngine& remote, const ui::ChatRequest& request, int stopAfterPieces)
{
    Outcome out;
    bool done = false;
    auto text = connect(&remote, &ui::RemoteEngine::answerText, this, [&](qint64 id, const QString& piece) {
        QCOMPARE(id, request.conversationId);
        out.pieces << piece;
        if (stopAfterPieces && out.pieces.size() == stopAfterPieces)
            remote.stop();
    });
    auto finished = connect(&remote, &ui::RemoteEngine::answerFinished, this,
                            [&](const ui::ChatRequest&, const ui::ChatAnswer& a) { out.answer = a; done = true; });
    auto failed = connect(&remote, &ui::RemoteEngine::answerFailed, this,
                          [&](const ui::ChatRequest&, const QString& m) { out.failure = m; done = true; });
    remote.answer(request);
    if (!QTest::qWaitFor([&] { return done; }, kTimeoutMs))
        out.failure = QStringLiteral("no answer within %1 ms").arg(kTimeoutMs);
    disconnect(text);
    disconnect(finished);
    disconnect(failed);
    return out;
}

QString TestRemoteChat::serverAnswer(const ui::ChatRequest& request)
{
    QJsonArray messages{QJsonObject{{"role", "system"}, {"content", request.systemPrompt}}};
    for (const ui::ChatTurn& t : request.turns)
        messages.append(QJsonObject{{"role", t.role}, {"content", t.text}});
    const QJsonObject body{{"model", "tiny_qwen2"}, {"messages", messages}, {"temperature", 0},
                           {"max_tokens", request.generation.maxTokens}};
    QNetworkAccessManager network;
    QNetworkRequest http(QUrl(mServer->baseUrl() + "/chat/completions"));
    http.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply = network.post(http, QJsonDocument(body).toJson());
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(kTimeoutMs);
    const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
    delete reply;
    return o.value("choices").toArray().first().toObject().value("message").toObject().value("content").toString();
}

std::pair<QString, int> TestRemoteChat::directAnswer(const ui::ChatRequest& request, const QString& model)
{
    QJsonArray messages{QJsonObject{{"role", "system"}, {"content", request.systemPrompt}}};
    for (const ui::ChatTurn& t : request.turns) {
        QJsonArray parts;
        for (const QString& picture : t.pictures)
            parts.append(QJsonObject{{"type", "image_url"},
                                     {"image_url", QJsonObject{{"url", QString::fromLatin1("data:image/png;base64," + fileBytes(picture).toBase64())}}}});
        parts.append(QJsonObject{{"type", "text"}, {"text", t.text}});
        messages.append(QJsonObject{{"role", t.role}, {"content", parts}});
    }
    const QJsonObject body{{"model", model}, {"messages", messages}, {"temperature", 0},
                           {"max_tokens", request.generation.maxTokens}};
    QNetworkAccessManager network;
    QNetworkRequest http(QUrl(mServer->baseUrl() + "/chat/completions"));
    http.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply = network.post(http, QJsonDocument(body).toJson());
    QSignalSpy done(reply, &QNetworkReply::finished);
    done.wait(kTimeoutMs);
    const QJsonObject o = QJsonDocument::fromJson(reply->readAll()).object();
    delete reply;
    return {o.value("choices").toArray().first().toObject().value("message").toObject().value("content").toString(),
            o.value("usage").toObject().value("prompt_tokens").toInt()};
}

std::unique_ptr<ui::ChatWorkspace> TestRemoteChat::openChat(const QString& model, int maxTokens,
                                                             std::unique_ptr<store::Database>& db)
{
    store::ChatSettings defaults;
    defaults.modelPath = model;
    defaults.temperature = 0;
    defaults.maxTokens = maxTokens;
    defaults.contextLength = 512;
    ui::saveChatDefaults(defaults);
    QFile::remove(paths::databasePath());
    auto opened = store::Database::open(paths::databasePath());
    if (!opened.ok())
        return nullptr;
    db = std::move(opened).value();
    auto chat = std::make_unique<ui::ChatWorkspace>(*mEngine, db.get(), QString());
    chat->resize(1100, 760);
    chat->show();
    return QTest::qWaitForWindowExposed(chat.get()) ? std::move(chat) : nullptr;
}

void TestRemoteChat::serveSeeingModel()
{
    QVERIFY(mDir.isValid());
    const QString model = test::installTinyGemma(mDir.path());
    QVERIFY(!model.isEmpty());
    mServer->setChatModel(model);
}

void TestRemoteChat::readsServerSentEventsAcrossPieces()
{
    const QByteArray stream = ": keep-alive\r\n\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n";
    // Every way of cutting the stream in two gives the same events.
    for (qsizetype cut = 0; cut <= stream.size(); ++cut) {
        ui::ServerSentEvents events;
        QList<QByteArray> got = events.push(stream.left(cut));
        got += events.push(stream.mid(cut));
        QCOMPARE(got, (QList<QByteArray>{"{\"a\":1}", "line one\nline two", "[DONE]"}));
    }
}

void TestRemoteChat::keepsTheEndpointInTheModelPath()
{
    const ui::RemoteEndpoint endpoint{QUrl("https://example.org:8443/v1"), "secret", "qwen2.5:7b"};
    const QString path = endpoint.modelPath();
    QVERIFY(!path.contains("secret"));
    QCOMPARE(path, QStringLiteral("https://example.org:8443/v1/models/qwen2.5:7b"));
    QCOMPARE(QFileInfo(path).fileName(), QStringLiteral("qwen2.5:7b")); // what Chat shows as the author
    const auto back = ui::RemoteEndpoint::fromModelPath(path);
    QVERIFY(back);
    QCOMPARE(back->baseUrl, endpoint.baseUrl);
    QCOMPARE(back->model, endpoint.model);
    QVERIFY(!ui::RemoteEndpoint::fromModelPath("/home/me/models/gemma.gguf"));
    QVERIFY(!ui::RemoteEndpoint::fromModelPath("http://127.0.0.1:8080/v1")); // no model
    const auto slashed = ui::RemoteEndpoint::fromModelPath("http://h:1/v1/models/Qwen/Qwen2.5-7B-Instruct");
    QVERIFY(slashed);
    QCOMPARE(slashed->model, QStringLiteral("Qwen/Qwen2.5-7B-Instruct"));
}

void TestRemoteChat::streamsTheServersAnswer()
{
    ui::RemoteEngine remote;
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "tiny_qwen2"});
    const ui::ChatRequest request = question("What is the capital of France?", 12);
    QSignalSpy started(&remote, &ui::RemoteEngine::answerStarted);
    const Outcome out = ask(remote, request);
    QVERIFY2(out.failure.isEmpty(), qPrintable(out.failure));
    QCOMPARE(started.size(), 1);
    QVERIFY(out.answer);
    QVERIFY(out.pieces.size() >= 2); // streamed, not in one piece
    QCOMPARE(out.pieces.join(QString()), out.answer->text);
    QCOMPARE(out.answer->text, serverAnswer(request)); // the same answer the API gives whole
    QVERIFY(out.answer->stats.promptTokens > 10);
    QVERIFY(out.answer->stats.generatedTokens >= 1 && out.answer->stats.generatedTokens <= 12);
    QVERIFY(out.answer->stats.firstTokenSeconds > 0);
    QCOMPARE(out.answer->stats.model, QStringLiteral("tiny_qwen2"));
    QVERIFY(!out.answer->stats.stopped);
    QVERIFY(!remote.answering());
}

void TestRemoteChat::continuesAConversation()
{
    ui::RemoteEngine remote;
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "tiny_qwen2"});
    ui::ChatRequest request = question("What is the capital of France?", 8);
    const Outcome first = ask(remote, request);
    QVERIFY(first.answer);
    request.turns << ui::ChatTurn{"assistant", first.answer->text} << ui::ChatTurn{"user", "And of Italy?"};
    const Outcome second = ask(remote, request);
    QVERIFY(second.answer);
    QCOMPARE(second.answer->text, serverAnswer(request));
    QVERIFY(second.answer->stats.promptTokens > first.answer->stats.promptTokens);
}

void TestRemoteChat::stopKeepsWhatArrivedAndCancelsTheServersJob()
{
    ui::RemoteEngine remote;
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "tiny_qwen2"});
    QSignalSpy abandoned(mServer, &server::OpenAiServer::requestAbandoned);
    const Outcome out = ask(remote, question("Write a long story.", 400, 1.0f), 3);
    QVERIFY(out.answer);
    QVERIFY(out.answer->stats.stopped);
    QCOMPARE(out.answer->text, out.pieces.join(QString()));
    QCOMPARE(out.pieces.size(), 3);
    QVERIFY(abandoned.wait(kTimeoutMs)); // the server saw the client go and cancelled its job
    QTRY_COMPARE(mServer->pendingRequests(), 0);
}

void TestRemoteChat::reportsFailures()
{
    ui::RemoteEngine remote;
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "no-such-model"});
    Outcome out = ask(remote, question("hi", 4));
    QVERIFY2(out.failure.contains("does not exist"), qPrintable(out.failure));

    server::OpenAiServer keyed(*mEngine);
    server::ServerOptions options = mServer->options();
    options.port = 0;
    options.apiKey = "sesame";
    QVERIFY(keyed.start(options).ok());
    remote.setEndpoint({QUrl(keyed.baseUrl()), {}, "tiny_qwen2"});
    out = ask(remote, question("hi", 4));
    QVERIFY2(out.failure.contains("API key"), qPrintable(out.failure));
    remote.setEndpoint({QUrl(keyed.baseUrl()), "sesame", "tiny_qwen2"});
    out = ask(remote, question("hi", 4));
    QVERIFY2(out.failure.isEmpty() && out.answer, qPrintable(out.failure));

    // Nothing listens on a port that was free a moment ago.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    remote.setEndpoint({QUrl(QStringLiteral("http://127.0.0.1:%1/v1").arg(port)), {}, "tiny_qwen2"});
    out = ask(remote, question("hi", 4));
    QVERIFY2(!out.failure.isEmpty() && !out.answer, "a refused connection must fail the answer");
}

void TestRemoteChat::chatTalksToARemoteModel()
{
    // A local model in the folder too, so Chat opens on its conversation page.
    paths::ensureDir(paths::modelsDir());
    QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), paths::modelsDir() + "/local-qwen2.gguf");
    std::unique_ptr<store::Database> db;
    auto chat = openChat({}, 10, db);
    QVERIFY(chat);
    QVERIFY(QTest::qWaitFor([&] { return !chat->catalog().scanning() && !chat->catalog().models().isEmpty(); }, 10000));

    // Open… > Remote model…: the URL, List models, OK.
    chat->findChild<QAction*>("remoteModelAction")->trigger(); // Open…'s menu: Remote model…
    auto* dialog = chat->findChild<ui::RemoteModelDialog*>("remoteModelDialog");
    QVERIFY(dialog && dialog->isVisible());
    dialog->findChild<QLineEdit*>("remoteUrl")->setText(mServer->baseUrl());
    dialog->findChild<QPushButton*>("remoteListModels")->click();
    auto* models = dialog->findChild<QComboBox*>("remoteModel");
    QTRY_COMPARE_WITH_TIMEOUT(models->count(), 1, 10000);
    QCOMPARE(models->currentText(), QStringLiteral("tiny_qwen2"));
    if (!qEnvironmentVariableIsEmpty("ATELIER_SCREENSHOTS"))
        dialog->grab().save(qEnvironmentVariable("ATELIER_SCREENSHOTS") + "/remote-model-dialog.png");
    dialog->accept();
    const QString path = mServer->baseUrl() + "/models/tiny_qwen2";
    QCOMPARE(ui::savedRemoteModels().size(), 1);
    auto* combo = chat->findChild<QComboBox*>("modelCombo");
    QCOMPARE(combo->currentData().toString(), path);
    QVERIFY(combo->currentText().contains("(remote)"));
    QTRY_VERIFY(chat->findChild<QLabel*>("modelStatus")->text().startsWith("Remote model tiny_qwen2 at"));

    // A question answered by the server, streamed into the window and stored with its stats.
    QSignalSpy finished(&chat->chatEngine(), &ui::ChatEngine::answerFinished);
    QSignalSpy failed(&chat->chatEngine(), &ui::ChatEngine::answerFailed);
    QWidget* input = chat->findChild<QWidget*>("chatInput");
    input->setFocus();
    QTest::keyClicks(input, "What is the capital of France?");
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kTimeoutMs));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
    QCoreApplication::processEvents();
    const QList<ui::MessageWidget*> shown = chat->findChild<ui::MessageView*>("messageView")->messageWidgets();
    QCOMPARE(shown.size(), 2);
    store::ChatStore store(*db);
    const auto conversations = store.conversations();
    QVERIFY(conversations.ok() && conversations.value().size() == 1);
    const auto messages = store.messages(conversations.value().first().id);
    QVERIFY(messages.ok());
    QCOMPARE(messages.value().size(), 2);
    const store::StoredMessage& answer = messages.value()[1];
    QCOMPARE(answer.role, QStringLiteral("assistant"));
    QVERIFY(!answer.text.isEmpty());
    QCOMPARE(shown[1]->text(), answer.text);
    QCOMPARE(answer.stats.model, QStringLiteral("tiny_qwen2"));
    QVERIFY(answer.stats.generatedTokens >= 1 && answer.stats.promptTokens > 0);
    QVERIFY(shown[1]->findChild<QLabel*>("messageStats")->text().contains("s to first token"));
    if (!qEnvironmentVariableIsEmpty("ATELIER_SCREENSHOTS"))
        chat->grab().save(qEnvironmentVariable("ATELIER_SCREENSHOTS") + "/chat-remote-answer.png");
    // The server wrote that answer: the API gives the same text for the same conversation.
    ui::ChatRequest same = question("What is the capital of France?", 10);
    same.systemPrompt = conversations.value().first().settings.systemPrompt;
    if (!same.systemPrompt.isEmpty())
        QCOMPARE(answer.text, serverAnswer(same));
    // It exports like any other.
    QVERIFY(store::exportMarkdown(conversations.value().first(), messages.value()).contains(answer.text));
    // Regenerate: a second branch of the answer, written by the server too.
    finished.clear();
    shown[1]->findChild<QToolButton*>("regenerateButton")->click();
    QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kTimeoutMs));
    QVERIFY(failed.isEmpty());
    QCoreApplication::processEvents();
    const auto branches = store.messages(conversations.value().first().id);
    QCOMPARE(branches.value().size(), 3); // the question and two answers to it
    const QList<ui::MessageWidget*> now = chat->findChild<ui::MessageView*>("messageView")->messageWidgets();
    QTRY_COMPARE(now.last()->findChild<QLabel*>("branchLabel")->text(), QStringLiteral("2/2"));

    // The conversation keeps the remote model: reopened, the picker shows it again.
    QCOMPARE(conversations.value().first().settings.modelPath, path);
    chat.reset();
    ui::forgetRemoteModel(path);
    QVERIFY(ui::savedRemoteModels().isEmpty());
}

void TestRemoteChat::picturesTravelAsDataUrls()
{
    // A PNG (or JPEG) goes as it is.
    const auto png = ui::pictureDataUrl(kSquare);
    QVERIFY(png);
    QCOMPARE(png.value(), "data:image/png;base64," + QString::fromLatin1(fileBytes(kSquare).toBase64()));

    // Another format goes as a PNG of the same pixels.
    QVERIFY(mDir.isValid());
    const QString bmp = mDir.filePath("square.bmp");
    QVERIFY(QImage(kSquare).save(bmp, "BMP"));
    const auto converted = ui::pictureDataUrl(bmp);
    QVERIFY(converted);
    QVERIFY(converted.value().startsWith("data:image/png;base64,"));
    const QImage back = QImage::fromData(QByteArray::fromBase64(converted.value().mid(22).toLatin1()), "PNG");
    QCOMPARE(back.convertToFormat(QImage::Format_RGB888), QImage(kSquare).convertToFormat(QImage::Format_RGB888));

    // A file that is gone is an error, not an empty picture.
    QVERIFY(!ui::pictureDataUrl(mDir.filePath("gone.png")));
}

void TestRemoteChat::aPictureReachesTheServer()
{
    serveSeeingModel();
    auto restore = qScopeGuard([this] { mServer->setChatModel(QStringLiteral(ATELIER_TINY_MODEL)); });
    ui::RemoteEngine remote;
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "tiny_gemma3"});
    ui::ChatRequest request = question("What is in the picture?", 6);
    const auto [blindText, blindTokens] = directAnswer(request, "tiny_gemma3");
    request.turns.last().pictures = {kSquare};
    const auto [expected, expectedTokens] = directAnswer(request, "tiny_gemma3");
    QVERIFY(!expected.isEmpty());
    QCOMPARE(expectedTokens, blindTokens + 18); // 16 places and two markers: the server read it

    const Outcome out = ask(remote, request);
    QVERIFY2(out.failure.isEmpty(), qPrintable(out.failure));
    QVERIFY(out.answer);
    QCOMPARE(out.answer->text, expected);
    QCOMPARE(out.answer->stats.promptTokens, expectedTokens);
    QVERIFY(out.answer->text != blindText); // the tiny model answers otherwise without the picture

    // The same pixels kept as a BMP: sent as a PNG, the same answer.
    const QString bmp = mDir.filePath("square.bmp");
    QVERIFY(QFile::exists(bmp) || QImage(kSquare).save(bmp, "BMP"));
    request.turns.last().pictures = {bmp};
    const Outcome converted = ask(remote, request);
    QVERIFY(converted.answer);
    QCOMPARE(converted.answer->text, expected);

    // A picture file that is gone fails the answer and says which.
    request.turns.last().pictures = {mDir.filePath("gone.png")};
    const Outcome gone = ask(remote, request);
    QVERIFY2(gone.failure.contains("gone.png"), qPrintable(gone.failure));
    QVERIFY(!remote.answering());

    // Stopped while its pictures are read (off the UI thread, so the stop comes first): an empty
    // answer, marked stopped, and the engine takes the next question.
    request.turns.last().pictures = {kSquare};
    QSignalSpy started(&remote, &ui::RemoteEngine::answerStarted);
    QSignalSpy finished(&remote, &ui::RemoteEngine::answerFinished);
    remote.answer(request);
    QVERIFY(remote.answering());
    QCOMPARE(started.size(), 1);
    remote.stop();
    QCOMPARE(finished.size(), 1);
    const auto stopped = finished.first().at(1).value<ui::ChatAnswer>();
    QVERIFY(stopped.stats.stopped && stopped.text.isEmpty());
    QVERIFY(!remote.answering());
    QTest::qWait(200); // the abandoned body, read meanwhile, is dropped
    QCOMPARE(finished.size(), 1);
    const Outcome after = ask(remote, request);
    QVERIFY(after.answer);
    QCOMPARE(after.answer->text, expected);

    // A server whose model cannot see says so.
    mServer->setChatModel(QStringLiteral(ATELIER_TINY_MODEL));
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "tiny_qwen2"});
    request.turns.last().pictures = {kSquare};
    const Outcome blind = ask(remote, request);
    QVERIFY2(blind.failure.contains("cannot see pictures"), qPrintable(blind.failure));
}

// The pictures a body shows, turn by turn (their data URLs), and the text of each turn.
std::pair<QList<QStringList>, QStringList> bodyPictures(const QByteArray& body)
{
    QList<QStringList> pictures;
    QStringList texts;
    for (const QJsonValue& m : QJsonDocument::fromJson(body).object().value("messages").toArray()) {
        if (m.toObject().value("role") == QLatin1String("system"))
            continue;
        QStringList urls;
        QString text = m.toObject().value("content").toString();
        for (const QJsonValue& part : m.toObject().value("content").toArray()) {
            if (part.toObject().value("type") == QLatin1String("image_url"))
                urls << part.toObject().value("image_url").toObject().value("url").toString();
            else
                text += part.toObject().value("text").toString();
        }
        pictures << urls;
        texts << text;
    }
    return {pictures, texts};
}

void TestRemoteChat::aLongConversationSendsItsNewestPictures()
{
    // Six questions with three pictures each, answered: 18 pictures, more than a request to
    // Atelier's server may show. The newest 16 go; the first question's two oldest are named in
    // its message instead; the question is answered with the 16 read.
    QVERIFY(mDir.isValid());
    ui::ChatRequest request = question("And now?", 4);
    request.turns.clear();
    QStringList files;
    for (int i = 0; i < 18; ++i) {
        files << mDir.filePath(QStringLiteral("picture_%1.png").arg(i));
        QImage square(kSquare);
        square.setPixel(i, i, qRgb(255, 255, 255)); // each its own file and picture
        QVERIFY(square.save(files.last(), "PNG"));
    }
    for (int q = 0; q < 6; ++q) {
        request.turns.append({QStringLiteral("user"), QStringLiteral("Q%1?").arg(q), files.mid(3 * q, 3)});
        if (q < 5)
            request.turns.append({QStringLiteral("assistant"), QStringLiteral("A%1.").arg(q), {}});
    }
    const auto body = ui::chatCompletionBody(request, "tiny_gemma3");
    QVERIFY(body);
    const auto [pictures, texts] = bodyPictures(body.value());
    QCOMPARE(pictures.size(), 11);
    int shown = 0;
    for (const QStringList& turn : pictures)
        shown += int(turn.size());
    QCOMPARE(shown, ui::kMaxRemotePictures);
    QCOMPARE(pictures[0], QStringList{ui::pictureDataUrl(files[2]).value()});
    const QString notes = QStringLiteral("[picture not sent again: picture_0.png]\n[picture not sent again: picture_1.png]\n");
    QCOMPARE(texts[0], notes + "Q0?");
    QCOMPARE(pictures[2].size(), 3);
    QCOMPARE(pictures[10], (QStringList{ui::pictureDataUrl(files[15]).value(), ui::pictureDataUrl(files[16]).value(),
                                        ui::pictureDataUrl(files[17]).value()}));
    QCOMPARE(texts[10], QStringLiteral("Q5?"));

    // Against Atelier's own server the conversation is answered, its 16 pictures read: 18 prompt
    // tokens each over the same conversation without them.
    serveSeeingModel();
    auto restore = qScopeGuard([this] { mServer->setChatModel(QStringLiteral(ATELIER_TINY_MODEL)); });
    ui::RemoteEngine remote;
    remote.setEndpoint({QUrl(mServer->baseUrl()), {}, "tiny_gemma3"});
    const Outcome out = ask(remote, request);
    QVERIFY2(out.failure.isEmpty(), qPrintable(out.failure));
    QVERIFY(out.answer);
    ui::ChatRequest blind = request;
    for (ui::ChatTurn& turn : blind.turns)
        turn.pictures.clear();
    blind.turns[0].text = notes + "Q0?";
    const int blindTokens = directAnswer(blind, "tiny_gemma3").second;
    QVERIFY(blindTokens > 0);
    QCOMPARE(out.answer->stats.promptTokens, blindTokens + 16 * 18);
    // All 18 sent as they are, the server refuses the 17th (server_pictures: the limit counts the
    // conversation's earlier messages, and says so).
    QCOMPARE(directAnswer(request, "tiny_gemma3").second, 0);
}

void TestRemoteChat::earlierPicturesStayWithinTheBodysRoom()
{
    // Three pictures of about 8.5 MiB of base64 each: the question's goes, the one before it fits
    // 24 MiB beside it, the first does not and is named instead.
    QVERIFY(mDir.isValid());
    QStringList noisy;
    for (int i = 0; i < 3; ++i) {
        QImage noise(1600, 1400, QImage::Format_RGB888);
        quint32 state = 1234567u + quint32(i);
        for (int y = 0; y < noise.height(); ++y) {
            uchar* row = noise.scanLine(y);
            for (int x = 0; x < noise.width() * 3; ++x) {
                state = state * 1664525u + 1013904223u;
                row[x] = uchar(state >> 24);
            }
        }
        noisy << mDir.filePath(QStringLiteral("noise_%1.png").arg(i));
        QVERIFY(noise.save(noisy.last(), "PNG", 100));
    }
    const qint64 oneUrl = ui::pictureDataUrl(noisy[0]).value().size();
    QVERIFY2(oneUrl > ui::kMaxRemotePictureText / 3 && oneUrl * 2 < ui::kMaxRemotePictureText, qPrintable(QString::number(oneUrl)));
    ui::ChatRequest request = question("And this one?", 4);
    request.turns = {{QStringLiteral("user"), QStringLiteral("First?"), {noisy[0]}},
                     {QStringLiteral("assistant"), QStringLiteral("One."), {}},
                     {QStringLiteral("user"), QStringLiteral("Second?"), {noisy[1]}},
                     {QStringLiteral("assistant"), QStringLiteral("Two."), {}},
                     {QStringLiteral("user"), QStringLiteral("And this one?"), {noisy[2]}}};
    const auto body = ui::chatCompletionBody(request, "m");
    QVERIFY(body);
    const auto [pictures, texts] = bodyPictures(body.value());
    QCOMPARE(pictures[4].size(), 1);
    QCOMPARE(pictures[2].size(), 1);
    QCOMPARE(pictures[0].size(), 0);
    QVERIFY(texts[0].startsWith("[picture not sent again: noise_0.png]"));
    QVERIFY(body->size() < 32 * 1024 * 1024); // what Atelier's server takes by default
}

void TestRemoteChat::chatSendsAPictureToARemoteModel()
{
    serveSeeingModel();
    auto restore = qScopeGuard([this] { mServer->setChatModel(QStringLiteral(ATELIER_TINY_MODEL)); });
    const ui::RemoteEndpoint endpoint{QUrl(mServer->baseUrl()), {}, "tiny_gemma3"};
    ui::saveRemoteModel(endpoint);
    auto forget = qScopeGuard([&] { ui::forgetRemoteModel(endpoint.modelPath()); });
    std::unique_ptr<store::Database> db;
    auto chat = openChat(endpoint.modelPath(), 6, db);
    QVERIFY(chat);
    QTRY_VERIFY(chat->findChild<QLabel*>("modelStatus")->text().startsWith("Remote model tiny_gemma3 at"));

    // The attach button is on for a remote model: the server decides what its model reads.
    auto* attach = chat->findChild<QToolButton*>("attachPictureButton");
    QTRY_VERIFY(attach->isEnabled());
    auto* input = chat->findChild<ui::ChatInput*>();
    QVERIFY(input->attachPicture(kSquare));
    QSignalSpy finished(&chat->chatEngine(), &ui::ChatEngine::answerFinished);
    QSignalSpy failed(&chat->chatEngine(), &ui::ChatEngine::answerFailed);
    QWidget* edit = chat->findChild<QWidget*>("chatInput");
    edit->setFocus();
    QTest::keyClicks(edit, "What is in the picture?");
    QTest::keyClick(edit, Qt::Key_Return);
    QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kTimeoutMs));
    QVERIFY2(failed.isEmpty(), failed.isEmpty() ? "" : qPrintable(failed.first().at(1).toString()));
    QCoreApplication::processEvents();
    if (!qEnvironmentVariableIsEmpty("ATELIER_SCREENSHOTS"))
        chat->grab().save(qEnvironmentVariable("ATELIER_SCREENSHOTS") + "/chat-remote-picture.png");

    store::ChatStore store(*db);
    const auto conversations = store.conversations();
    QVERIFY(conversations.ok() && conversations.value().size() == 1);
    const auto messages = store.messages(conversations.value().first().id);
    QVERIFY(messages.ok() && messages.value().size() == 2);
    QCOMPARE(messages.value()[0].pictures.size(), 1);
    ui::ChatRequest same = question("What is in the picture?", 6);
    same.systemPrompt = conversations.value().first().settings.systemPrompt;
    same.turns.last().pictures = {kSquare};
    const auto [expected, expectedTokens] = directAnswer(same, "tiny_gemma3");
    QCOMPARE(messages.value()[1].text, expected);
    QCOMPARE(messages.value()[1].stats.promptTokens, expectedTokens);
    chat.reset();
}

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_remote_chat");
    TestRemoteChat test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_remote_chat.moc"

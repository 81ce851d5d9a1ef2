// Preferences > Server through the real window: the switch starts the window's server on its
// compute engine serving the chat model, a public address without a key keeps the dialog open
// with the reason, and switching it off stops it. The embedding model the Documents dialog gave a
// collection is served at /v1/embeddings by default (one resident copy), with the vectors the
// engine's EmbeddingModel makes; None stops serving it.

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "core/app_paths.h"
#include "docs/collection_store.h"
#include "docs/documents_dialog.h"
#include "engine/compute_engine.h"
#include "engine/job.h"
#include "llm/chat_resident.h"
#include "llm/embedding_resident.h"
#include "main_window.h"
#include "preferences_dialog.h"
#include "serving/window_server.h"
#include "store/database.h"
#include "test_result.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSettings>
#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

constexpr int kTimeoutMs = 60000;

struct Reply {
    int status = 0; // 0: no connection
    QJsonObject json;
};

Reply send(QNetworkAccessManager& network, const QString& url, const QByteArray& body = {})
{
    QNetworkRequest request{QUrl(url)};
    request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
    QNetworkReply* reply = body.isEmpty() ? network.get(request) : network.post(request, body);
    QSignalSpy done(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        done.wait(kTimeoutMs);
    Reply r{reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), QJsonDocument::fromJson(reply->readAll()).object()};
    reply->deleteLater();
    return r;
}

} // namespace

class TestServerWindow : public QObject {
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
        QSettings().clear();
    }

    void preferencesSwitchServesTheChatModel()
    {
        paths::ensureDir(paths::modelsDir());
        const QString model = paths::modelsDir() + "/tiny_qwen2.gguf";
        if (!QFile::exists(model))
            QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), model));
        store::ChatSettings defaults = ui::loadChatDefaults();
        defaults.modelPath = model;
        defaults.maxTokens = 24;
        defaults.temperature = 0;
        defaults.contextLength = 512;
        ui::saveChatDefaults(defaults);

        engine::ComputeEngine engine;
        ui::MainWindow window(engine);
        auto* server = new ui::WindowServer(engine, &window);
        QVERIFY(!server->running()); // off until switched on
        QSignalSpy ready(&engine, &engine::ComputeEngine::deviceReady);
        engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
        options.validation = true;
        engine.start(options);
        QVERIFY(ready.wait(kTimeoutMs));
        window.show();

        // A public address without a key: the dialog stays open and says why.
        {
            ui::PreferencesDialog dialog(&window);
            auto* enabled = dialog.findChild<QCheckBox*>("serverEnabled");
            QVERIFY(enabled);
            QVERIFY(!enabled->isChecked());
            dialog.findChild<QLineEdit*>("serverHost")->setText("0.0.0.0");
            dialog.findChild<QSpinBox*>("serverPort")->setValue(0);
            enabled->setChecked(true);
            dialog.show();
            dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
            QVERIFY(dialog.isVisible());
            QVERIFY(!server->running());
            QVERIFY2(dialog.findChild<QLabel*>("serverState")->text().contains("needs an API key"),
                     qPrintable(dialog.findChild<QLabel*>("serverState")->text()));
            QTest::qWait(50); // the longer message lays out again
            if (!qEnvironmentVariableIsEmpty("ATELIER_SCREENSHOTS"))
                dialog.grab().save(qEnvironmentVariable("ATELIER_SCREENSHOTS") + "/preferences-server-refused.png");

            dialog.findChild<QLineEdit*>("serverHost")->setText("127.0.0.1");
            dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
            QVERIFY(!dialog.isVisible());
            QCOMPARE(dialog.result(), int(QDialog::Accepted));
        }
        QVERIFY(server->running());
        QCOMPARE(server->chatModel(), QStringLiteral("tiny_qwen2"));
        const QString url = server->url();
        QVERIFY(url.startsWith("http://127.0.0.1:"));

        // The window's engine answers API requests.
        QNetworkAccessManager network;
        const Reply models = send(network, url + "/models");
        QCOMPARE(models.status, 200);
        QCOMPARE(models.json.value("data").toArray().first().toObject().value("id").toString(), QStringLiteral("tiny_qwen2"));
        const QByteArray chat = R"({"model": "tiny_qwen2", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4})";
        const Reply answer = send(network, url + "/chat/completions", chat);
        QCOMPARE(answer.status, 200);
        QCOMPARE(answer.json.value("object").toString(), QStringLiteral("chat.completion"));

        // A client's request while the window is writing an answer: it waits its turn on the one
        // compute queue, and both are answered.
        QVERIFY(QTest::qWaitFor([&] { return window.findChild<ui::ChatEngine*>()->loadedPath() == model; }, kTimeoutMs));
        QList<engine::JobId> order;
        auto started = connect(&engine, &engine::ComputeEngine::jobStarted, this, [&](engine::JobId id) { order << id; });
        auto ended = connect(&engine, &engine::ComputeEngine::jobFinished, this, [&](engine::JobId id) { order << id; });
        QSignalSpy windowAnswer(window.findChild<ui::ChatEngine*>(), &ui::ChatEngine::answerFinished);
        QWidget* input = window.findChild<QWidget*>("chatInput");
        input->setFocus();
        QTest::keyClicks(input, "Tell me a story.");
        QTest::keyClick(input, Qt::Key_Return);
        QVERIFY(window.findChild<ui::ChatEngine*>()->answering());
        const Reply during = send(network, url + "/chat/completions", chat);
        QCOMPARE(during.status, 200);
        QVERIFY(windowAnswer.size() == 1 || windowAnswer.wait(kTimeoutMs));
        QVERIFY(!windowAnswer.first().at(1).value<ui::ChatAnswer>().text.isEmpty());
        disconnect(started);
        disconnect(ended);
        QCOMPARE(order.size(), 4);
        QCOMPARE(order[0], order[1]); // the window's answer ran to its end before the API's started
        QCOMPARE(order[2], order[3]);

        // The API answered with the window's loaded model: no second copy was loaded for it.
        QSignalSpy inspected(&engine, &engine::ComputeEngine::jobFinished);
        engine.submit(std::make_unique<engine::FunctionJob>("residents", [](engine::JobContext& ctx) {
            const bool window = ctx.residents().find<llm::ChatResident>(llm::kChatResidentKey) != nullptr;
            const bool own = ctx.residents().find<llm::ChatResident>("server.chat.model") != nullptr;
            return Result<QVariant>(QVariant(QStringLiteral("%1 %2").arg(window).arg(own)));
        }));
        QVERIFY(inspected.wait(kTimeoutMs));
        QCOMPARE(inspected.last().at(1).toString(), QStringLiteral("1 0"));

        // Reopened, Preferences shows what is served; switched off, the port closes.
        {
            ui::PreferencesDialog dialog(&window);
            QVERIFY(dialog.findChild<QCheckBox*>("serverEnabled")->isChecked());
            const QString state = dialog.findChild<QLabel*>("serverState")->text();
            QVERIFY2(state.contains("Serving tiny_qwen2 at " + url), qPrintable(state));
            dialog.show();
            if (!qEnvironmentVariableIsEmpty("ATELIER_SCREENSHOTS"))
                dialog.grab().save(qEnvironmentVariable("ATELIER_SCREENSHOTS") + "/preferences-server-on.png");
            dialog.findChild<QCheckBox*>("serverEnabled")->setChecked(false);
            dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        }
        QVERIFY(!server->running());
        QCOMPARE(send(network, url + "/models").status, 0);
        QCOMPARE(QSettings().value("server/enabled").toBool(), false);
    }

    void startsWithTheWindowWhenLeftOn()
    {
        ui::ServerSettings settings;
        settings.enabled = true;
        settings.port = 0;
        settings.save();
        engine::ComputeEngine engine;
        ui::MainWindow window(engine);
        auto* server = new ui::WindowServer(engine, &window);
        QVERIFY(server->running());
        QCOMPARE(server->chatModel(), QStringLiteral("tiny_qwen2"));
        QSettings().clear();
    }

    void servesTheDocumentsEmbeddingModel()
    {
        QSettings().clear();
        paths::ensureDir(paths::modelsDir());
        const QString bert = paths::modelsDir() + "/tiny-bert.gguf";
        if (!QFile::exists(bert))
            QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_BERT), bert));
        // Edit > Documents gave a collection this embedding model.
        for (const char* suffix : {"", "-wal", "-shm"})
            QFile::remove(paths::databasePath() + QLatin1String(suffix));
        {
            ASSIGN_OR_FAIL(auto db, store::Database::open(paths::databasePath()));
            docs::CollectionStore collections(*db);
            docs::CollectionSettings settings;
            settings.embeddingModel = bert;
            VERIFY_OK(collections.create("notes", settings));
        }

        engine::ComputeEngine engine;
        ui::MainWindow window(engine);
        auto* server = new ui::WindowServer(engine, &window);
        QSignalSpy ready(&engine, &engine::ComputeEngine::deviceReady);
        engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
        options.validation = true;
        engine.start(options);
        QVERIFY(ready.wait(kTimeoutMs));
        window.show();
        {
            ui::PreferencesDialog dialog(&window);
            auto* embedding = dialog.findChild<QComboBox*>("serverEmbeddingModel");
            QVERIFY(embedding);
            QCOMPARE(embedding->currentText(), QStringLiteral("As in Documents (tiny-bert.gguf)"));
            QCOMPARE(embedding->itemText(1), QStringLiteral("None"));
            QCOMPARE(embedding->itemText(2), QStringLiteral("tiny-bert.gguf")); // the chat model is not offered
            QCOMPARE(embedding->count(), 3);
            dialog.findChild<QSpinBox*>("serverPort")->setValue(0);
            dialog.findChild<QCheckBox*>("serverEnabled")->setChecked(true);
            dialog.show();
            dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
            QVERIFY(!dialog.isVisible());
        }
        QVERIFY(server->running());
        QCOMPARE(server->embeddingModel(), QStringLiteral("tiny-bert"));
        const QString url = server->url();

        QNetworkAccessManager network;
        const Reply models = send(network, url + "/models");
        bool listed = false;
        for (const QJsonValue& m : models.json.value("data").toArray())
            listed |= m.toObject().value("id").toString() == "tiny-bert" && m.toObject().value("kind").toString() == "embedding";
        QVERIFY2(listed, QJsonDocument(models.json).toJson().constData());
        const QStringList texts{"The mayor of Velmora keeps sheep.", "Bake the bread for twenty minutes."};
        const Reply vectors = send(network, url + "/embeddings",
                                   QJsonDocument(QJsonObject{{"model", "tiny-bert"}, {"input", QJsonArray::fromStringList(texts)}}).toJson());
        QCOMPARE(vectors.status, 200);
        const QJsonArray data = vectors.json.value("data").toArray();
        QCOMPARE(data.size(), texts.size());

        // The same texts through a fresh EmbeddingModel on the engine; and the served model is the
        // one resident copy the Documents' embedding jobs use too.
        QSignalSpy finished(&engine, &engine::ComputeEngine::jobFinished);
        engine.submit(std::make_unique<engine::FunctionJob>("reference", [texts, bert](engine::JobContext& ctx) -> Result<QVariant> {
            const auto* resident = ctx.residents().find<llm::EmbeddingResident>(llm::kEmbeddingResidentKey);
            ATELIER_ASSIGN(auto model, llm::EmbeddingModel::load(ctx.device(), bert.toStdString()));
            std::vector<std::string> utf8;
            for (const QString& t : texts)
                utf8.push_back(t.toStdString());
            ATELIER_ASSIGN(const auto vectors, model->embed(std::span<const std::string>(utf8)));
            QVariantList out{resident ? QString::fromStdString(resident->path) : QString()};
            for (const auto& v : vectors)
                out << QVariant::fromValue(QList<float>(v.begin(), v.end()));
            return Result<QVariant>(QVariant(out));
        }));
        QVERIFY(finished.wait(kTimeoutMs));
        const QVariantList reference = finished.first().at(1).toList();
        QCOMPARE(reference.size(), texts.size() + 1);
        QCOMPARE(reference[0].toString(), bert);
        float worst = 0;
        for (qsizetype i = 0; i < data.size(); ++i) {
            const QJsonArray got = data[i].toObject().value("embedding").toArray();
            const QList<float> expected = reference[i + 1].value<QList<float>>();
            QCOMPARE(got.size(), expected.size());
            for (qsizetype j = 0; j < got.size(); ++j)
                worst = std::max(worst, std::abs(float(got[j].toDouble()) - expected[j]));
        }
        QVERIFY2(worst <= 1e-6f, qPrintable(QString::number(worst)));
        qInfo("largest difference from EmbeddingModel: %g", double(worst));

        // The Documents' model changed (here: to none) is followed while the server runs.
        auto* documents = window.findChild<ui::DocumentsDialog*>();
        QVERIFY(documents);
        QCOMPARE(documents->selectedCollection(), QStringLiteral("notes"));
        documents->setEmbeddingModel({});
        QTRY_COMPARE_WITH_TIMEOUT(server->embeddingModel(), QString(), kTimeoutMs);
        documents->setEmbeddingModel(bert);
        QTRY_COMPARE_WITH_TIMEOUT(server->embeddingModel(), QStringLiteral("tiny-bert"), kTimeoutMs);

        // None: the embeddings go, the rest keeps serving.
        {
            ui::PreferencesDialog dialog(&window);
            const QString state = dialog.findChild<QLabel*>("serverState")->text();
            QVERIFY2(state.endsWith("\nEmbeddings: tiny-bert"), qPrintable(state));
            dialog.show();
            if (!qEnvironmentVariableIsEmpty("ATELIER_SCREENSHOTS"))
                dialog.grab().save(qEnvironmentVariable("ATELIER_SCREENSHOTS") + "/preferences-server-embeddings.png");
            dialog.findChild<QComboBox*>("serverEmbeddingModel")->setCurrentIndex(1);
            dialog.findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok)->click();
        }
        QVERIFY(server->running());
        QCOMPARE(server->embeddingModel(), QString());
        const Reply refused = send(network, server->url() + "/embeddings", R"({"model": "tiny-bert", "input": "x"})");
        QCOMPARE(refused.status, 404);
        QCOMPARE(QSettings().value("server/embeddingModel").toString(), QString());
        QSettings().clear();
        QFile::remove(bert);
    }
};

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_server_window");
    TestServerWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_server_window.moc"

// main(), the fixture and what every test shares. Run with ATELIER_CHAT_TEST_VICTIM=1 the
// executable is instead the process killedMidAnswerKeepsTheQuestion kills (see runVictim()).

#include "tst_chat.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/model_catalog.h"
#include "chat/message_view.h"
#include "chat/message_widget.h"
#include "core/app_paths.h"
#include "engine/job.h"
#include "vk/device.h"
#include "vk/instance.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;

// Where the tiny model goes: the models folder of the test's own data directory.
QString installTinyModel()
{
    paths::ensureDir(paths::modelsDir());
    const QString target = paths::modelsDir() + QStringLiteral("/tiny-qwen2.gguf");
    if (!QFile::exists(target))
        QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), target);
    return target;
}

// Answers that are quick and the same on every run.
void useQuickDefaults()
{
    store::ChatSettings defaults;
    defaults.temperature = 0;
    defaults.maxTokens = 12;
    defaults.seed = 1;
    defaults.contextLength = 512;
    ui::saveChatDefaults(defaults);
}

} // namespace

bool ChatFixture::open(engine::ComputeEngine& engine)
{
    auto db = store::Database::open(paths::databasePath());
    if (!db.ok()) {
        qWarning("%s", db.error().message.c_str());
        return false;
    }
    database = std::move(db).value();
    chat = std::make_unique<ui::ChatWorkspace>(engine, database.get(), QString());
    chat->resize(1100, 760);
    chat->show();
    if (!QTest::qWaitForWindowExposed(chat.get()))
        return false;
    // The catalog reads the models folder on a worker thread.
    return QTest::qWaitFor([this] { return !chat->catalog().scanning() && !chat->catalog().models().isEmpty(); }, 10000);
}

void ChatFixture::close()
{
    chat.reset();
    database.reset();
}

void ChatFixture::type(const QString& text)
{
    QWidget* input = find<QWidget>("chatInput");
    input->setFocus();
    QTest::keyClicks(input, text);
    QTest::keyClick(input, Qt::Key_Return);
}

bool ChatFixture::waitForAnswer(int timeoutMs)
{
    // Generation runs on the compute thread; the event loop spins while we wait.
    return QTest::qWaitFor([this] { return !chat->chatEngine().answering() && !chat->chatEngine().loading(); },
                           timeoutMs);
}

QList<ui::MessageWidget*> ChatFixture::messages() const
{
    // New widgets show once the event loop runs (QLayout shows them through a queued call).
    QCoreApplication::processEvents();
    return find<ui::MessageView>("messageView")->messageWidgets();
}

QListWidget* ChatFixture::conversationList() const { return find<QListWidget>("conversationList"); }

void TestChat::initTestCase()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    installTinyModel();

    mEngine = new engine::ComputeEngine(this);
    QSignalSpy ready(mEngine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    mEngine->start(options);
    QVERIFY2(ready.wait(kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestChat::init()
{
    QSettings().clear();
    useQuickDefaults();
    QFile::remove(paths::databasePath());
    QFile::remove(paths::databasePath() + "-wal");
    QFile::remove(paths::databasePath() + "-shm");
    QVERIFY(mFixture.open(*mEngine));
}

void TestChat::cleanup()
{
    if (mFixture.chat)
        QVERIFY(mFixture.waitForAnswer());
    mFixture.close();
}

void TestChat::cleanupTestCase()
{
    // The engine's own device ran every answer with validation on: it must have stayed silent.
    QSignalSpy finished(mEngine, &engine::ComputeEngine::jobFinished);
    mEngine->submit(std::make_unique<engine::FunctionJob>("validation count", [](engine::JobContext& ctx) {
        const vk::Instance& instance = ctx.device().instance();
        return Result<QVariant>(QVariant::fromValue(instance.validationErrors() + instance.validationWarnings()));
    }));
    QVERIFY(finished.wait(kDeviceTimeoutMs));
    QCOMPARE(finished.first().at(1).value<quint64>(), quint64(0));
    delete mEngine;
    mEngine = nullptr;
}

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_chat");
    if (qEnvironmentVariableIsSet("ATELIER_CHAT_TEST_VICTIM"))
        return runVictim();
    TestChat test;
    return QTest::qExec(&test, argc, argv);
}

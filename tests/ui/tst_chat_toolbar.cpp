// Chat's toolbar in the real window (issue 18): Export… sits beside the model bar, off while
// nothing has been said, and writes the conversation through the file dialog as Markdown or JSON.

#include "file_dialog.h"
#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/chat_workspace.h"
#include "chat/model_catalog.h"
#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "main_window.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;


} // namespace

class TestChatToolbar : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void exportIsOnTheToolbar();

private:
    engine::ComputeEngine* mEngine = nullptr;
};

void TestChatToolbar::initTestCase()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    QSettings().clear();
    QVERIFY(paths::ensureDir(paths::modelsDir()));
    const QString target = paths::modelsDir() + QStringLiteral("/tiny-qwen2.gguf");
    if (!QFile::exists(target))
        QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), target));
    QFile::remove(paths::databasePath());
    store::ChatSettings quick; // answers that are quick and the same on every run
    quick.temperature = 0;
    quick.maxTokens = 8;
    quick.seed = 1;
    quick.contextLength = 512;
    ui::saveChatDefaults(quick);

    mEngine = new engine::ComputeEngine(this);
    QSignalSpy ready(mEngine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    mEngine->start(options);
    QVERIFY2(ready.wait(kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestChatToolbar::exportIsOnTheToolbar()
{
    ui::MainWindow window(*mEngine);
    window.resize(1024, 700);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.findChild<QAction*>("chatAction")->trigger();
    auto* chat = window.findChild<ui::ChatWorkspace*>();
    QTRY_VERIFY(!chat->catalog().scanning() && !chat->catalog().models().isEmpty());

    auto* button = chat->findChild<QToolButton*>("exportConversationTool");
    QVERIFY2(button, "Chat has no Export… on its toolbar");
    QVERIFY(button->isVisible());
    QVERIFY(window.rect().contains(QRect(button->mapTo(&window, QPoint(0, 0)), button->size())));
    QCOMPARE(button->text(), QStringLiteral("Export…"));
    QVERIFY(!button->isEnabled()); // nothing said yet

    QWidget* input = chat->findChild<QWidget*>("chatInput");
    input->setFocus();
    QTest::keyClicks(input, "Export me from the toolbar");
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(QTest::qWaitFor([chat] { return !chat->chatEngine().answering() && !chat->chatEngine().loading(); }, 120000));
    QTRY_VERIFY(button->isEnabled());
    if (const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS"); !dir.isEmpty())
        window.grab().save(dir + "/chat_toolbar.png");

    for (const QString& name : {QStringLiteral("toolbar.md"), QStringLiteral("toolbar.json")}) {
        const QString target = paths::dataDir() + "/" + name;
        QFile::remove(target);
        test::answerFileDialog(target);
        QTest::mouseClick(button, Qt::LeftButton);
        QTRY_VERIFY(QFile::exists(target));
        QFile out(target);
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QByteArray bytes = out.readAll();
        QVERIFY2(bytes.contains("Export me from the toolbar"), bytes.constData());
        QVERIFY(name.endsWith(".json") ? QJsonDocument::fromJson(bytes).isObject() : bytes.startsWith("#"));
        QFile::remove(target);
    }

    // A new conversation has nothing to export yet.
    chat->newConversation();
    QVERIFY(!button->isEnabled());
}

QTEST_MAIN(TestChatToolbar)
#include "tst_chat_toolbar.moc"

// The application shell as a user meets it: workspaces, shortcuts, empty states, the status bar.

#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "format_bytes.h"
#include "main_window.h"

#include <QtTest>
#include <QtWidgets>

#include <atomic>
#include <memory>
#include <optional>
#include <thread>

using namespace atelier;
using engine::ComputeEngine;
using engine::DeviceOptions;
using engine::DeviceSummary;

namespace {

constexpr int deviceTimeoutMs = 30000;

// Engine first, so the window (which listens to it) goes away before it.
struct Shell {
    ComputeEngine engine;
    ui::MainWindow window{engine};

    bool show()
    {
        window.show();
        return QTest::qWaitForWindowActive(&window);
    }
    QWidget* page(const QString& workspace) const { return window.findChild<QWidget*>(workspace + "Workspace"); }
    QString visibleHeading() const
    {
        auto* stack = window.findChild<QStackedWidget*>("workspaces");
        return stack->currentWidget()->findChild<QLabel*>("emptyStateHeading")->text();
    }
    QString detail(const QString& workspace) const
    {
        return page(workspace)->findChild<QLabel*>("emptyStateDetail")->text();
    }
    QToolButton* railButton(const QString& workspace) const
    {
        return window.findChild<QToolButton*>(workspace + "RailButton");
    }
    QLabel* status(const char* name) const { return window.statusBar()->findChild<QLabel*>(name); }
};

void touch(const QString& path)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly), qPrintable(path));
    file.write("not a real model");
}

QString native(const QString& path) { return QDir::toNativeSeparators(path); }

} // namespace

class TestUi : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void formatBytes_data();
    void formatBytes();
    void workspacesInOrder();
    void railButtonsSwitchWorkspace_data();
    void railButtonsSwitchWorkspace();
    void shortcutsSwitchWorkspace_data();
    void shortcutsSwitchWorkspace();
    void emptyStatesSayWhatIsMissing_data();
    void emptyStatesSayWhatIsMissing();
    void emptyStatesListTheFolder();
    void remembersWorkspaceAndSize();
    void statusShowsDevice();
    void statusShowsDeviceFailure();
    void statusShowsMemory();
    void statusShowsRunningJob();

private:
    std::optional<QTemporaryDir> mData;
};

void TestUi::initTestCase()
{
    // A fresh folder inside the one CTest gives, so models and settings from a past run never leak in.
    const QString root = qEnvironmentVariable("ATELIER_DATA_DIR", QDir::tempPath());
    QVERIFY(QDir().mkpath(root));
    mData.emplace(root + "/run-XXXXXX");
    QVERIFY(mData->isValid());
    qputenv("ATELIER_DATA_DIR", mData->path().toUtf8());
    qputenv("XDG_CONFIG_HOME", (mData->path() + "/config").toUtf8());
    QCoreApplication::setOrganizationName("AtelierTests");
    QCoreApplication::setApplicationName("tst_ui");
}

void TestUi::init() { QSettings().clear(); }

void TestUi::formatBytes_data()
{
    QTest::addColumn<quint64>("bytes");
    QTest::addColumn<QString>("text");
    QTest::newRow("zero") << quint64(0) << "0 B";
    QTest::newRow("bytes") << quint64(1023) << "1023 B";
    QTest::newRow("one KiB") << quint64(1024) << "1.0 KiB";
    QTest::newRow("one and a half KiB") << quint64(1536) << "1.5 KiB";
    QTest::newRow("rounds up to the next unit") << quint64(1048575) << "1.0 MiB";
    QTest::newRow("used VRAM") << quint64(1288490189) << "1.2 GiB";
    QTest::newRow("16 GiB card") << quint64(16) * 1024 * 1024 * 1024 << "16.0 GiB";
    QTest::newRow("largest") << std::numeric_limits<quint64>::max() << "16.0 EiB";
}

void TestUi::formatBytes()
{
    QFETCH(quint64, bytes);
    QFETCH(QString, text);
    QCOMPARE(ui::formatBytes(bytes), text);
}

void TestUi::workspacesInOrder()
{
    Shell shell;
    QVERIFY(shell.show());
    QCOMPARE(shell.window.windowTitle(), "Atelier");
    auto* stack = shell.window.findChild<QStackedWidget*>("workspaces");
    QCOMPARE(stack->count(), 4);
    const QStringList headings{"Chat", "Create", "Inpaint", "Library"};
    for (int i = 0; i < stack->count(); ++i)
        QCOMPARE(stack->widget(i)->findChild<QLabel*>("emptyStateHeading")->text(), headings[i]);
    auto* rail = shell.window.findChild<QWidget*>("navigationRail");
    QStringList railTexts;
    for (auto* button : rail->findChildren<QToolButton*>())
        railTexts << button->text();
    QCOMPARE(railTexts, headings);
    QCOMPARE(shell.visibleHeading(), "Chat");
    QVERIFY(shell.railButton("chat")->isChecked());
}

void TestUi::railButtonsSwitchWorkspace_data()
{
    QTest::addColumn<QString>("workspace");
    QTest::addColumn<QString>("heading");
    QTest::newRow("create") << "create" << "Create";
    QTest::newRow("inpaint") << "inpaint" << "Inpaint";
    QTest::newRow("library") << "library" << "Library";
    QTest::newRow("back to chat") << "chat" << "Chat";
}

void TestUi::railButtonsSwitchWorkspace()
{
    QFETCH(QString, workspace);
    QFETCH(QString, heading);
    Shell shell;
    QVERIFY(shell.show());
    QTest::mouseClick(shell.railButton(workspace == "chat" ? "library" : "inpaint"), Qt::LeftButton);
    QTest::mouseClick(shell.railButton(workspace), Qt::LeftButton);
    QCOMPARE(shell.visibleHeading(), heading);
    for (const QString other : {"chat", "create", "inpaint", "library"})
        QCOMPARE(shell.railButton(other)->isChecked(), other == workspace);
}

void TestUi::shortcutsSwitchWorkspace_data()
{
    QTest::addColumn<Qt::Key>("key");
    QTest::addColumn<QString>("workspace");
    QTest::addColumn<QString>("heading");
    QTest::newRow("Ctrl+1") << Qt::Key_1 << "chat" << "Chat";
    QTest::newRow("Ctrl+2") << Qt::Key_2 << "create" << "Create";
    QTest::newRow("Ctrl+3") << Qt::Key_3 << "inpaint" << "Inpaint";
    QTest::newRow("Ctrl+4") << Qt::Key_4 << "library" << "Library";
}

void TestUi::shortcutsSwitchWorkspace()
{
    QFETCH(Qt::Key, key);
    QFETCH(QString, workspace);
    QFETCH(QString, heading);
    Shell shell;
    QVERIFY(shell.show());
    QTest::mouseClick(shell.railButton(workspace == "library" ? "chat" : "library"), Qt::LeftButton);
    QTest::keyClick(&shell.window, key, Qt::ControlModifier);
    QCOMPARE(shell.visibleHeading(), heading);
    QVERIFY(shell.railButton(workspace)->isChecked());
}

void TestUi::emptyStatesSayWhatIsMissing_data()
{
    QTest::addColumn<QString>("workspace");
    QTest::addColumn<QString>("detail");
    const QString models = native(paths::modelsDir());
    QTest::newRow("chat") << "chat" << "No language model found in " + models + ". Put a .gguf file there.";
    QTest::newRow("create") << "create"
                            << "No image model found in " + models
            + ". Put a Stable Diffusion .safetensors checkpoint there.";
    QTest::newRow("inpaint") << "inpaint"
                             << "No image model found in " + models
            + ". Put a Stable Diffusion .safetensors checkpoint there.";
    QTest::newRow("library") << "library"
                             << "No pictures yet — pictures you create appear here. They are kept in "
            + native(paths::galleryDir()) + ".";
}

void TestUi::emptyStatesSayWhatIsMissing()
{
    QFETCH(QString, workspace);
    QFETCH(QString, detail);
    Shell shell;
    QVERIFY(shell.show());
    QCOMPARE(shell.detail(workspace), detail);
    const QString button = workspace == "library" ? "Open gallery folder" : "Open models folder";
    QCOMPARE(shell.page(workspace)->findChild<QPushButton*>("openFolderButton")->text(), button);
}

void TestUi::emptyStatesListTheFolder()
{
    const QString models = paths::modelsDir();
    QVERIFY(paths::ensureDir(models));
    auto cleanup = qScopeGuard([&] { QDir(models).removeRecursively(); });
    touch(models + "/v1-5-pruned-emaonly.safetensors");

    Shell shell;
    QVERIFY(shell.show());
    QCOMPARE(shell.visibleHeading(), "Chat"); // no language model, no conversation: the empty state
    QCOMPARE(shell.detail("create"), "1 checkpoint in " + native(models) + ": v1-5-pruned-emaonly.safetensors");
    QCOMPARE(shell.detail("inpaint"), shell.detail("create"));

    // A model added while the window is open shows up when the user comes back to Chat, in the
    // model picker, with why it cannot be used.
    touch(models + "/gemma3-270m.gguf");
    QTest::keyClick(&shell.window, Qt::Key_2, Qt::ControlModifier);
    QTest::keyClick(&shell.window, Qt::Key_1, Qt::ControlModifier);
    auto* combo = shell.page("chat")->findChild<QComboBox*>("modelCombo");
    QTRY_VERIFY(combo->isVisible());
    QTRY_COMPARE(combo->itemData(0).toString(), models + "/gemma3-270m.gguf");
    auto* status = shell.page("chat")->findChild<QLabel*>("modelStatus");
    QTRY_VERIFY2(status->text().contains("not a GGUF file"), qPrintable(status->text()));
}

void TestUi::remembersWorkspaceAndSize()
{
    {
        Shell shell;
        QVERIFY(shell.show());
        shell.window.resize(640, 480);
        QTest::mouseClick(shell.railButton("inpaint"), Qt::LeftButton);
        shell.window.close();
    }
    Shell shell;
    QVERIFY(shell.show());
    QCOMPARE(shell.visibleHeading(), "Inpaint");
    QCOMPARE(shell.window.size(), QSize(640, 480));
}

void TestUi::statusShowsDevice()
{
    Shell shell;
    QVERIFY(shell.show());
    QCOMPARE(shell.status("gpuStatus")->text(), "Starting Vulkan…");

    QSignalSpy ready(&shell.engine, &ComputeEngine::deviceReady);
    QSignalSpy failed(&shell.engine, &ComputeEngine::deviceFailed);
    shell.engine.start(DeviceOptions::fromEnvironment());
    QTRY_VERIFY_WITH_TIMEOUT(ready.size() + failed.size() > 0, deviceTimeoutMs);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    const auto device = ready.at(0).at(0).value<DeviceSummary>();
    QVERIFY(!device.name.isEmpty());
    QTRY_COMPARE(shell.status("gpuStatus")->text(), "GPU: " + device.name + " · " + device.type);

    shell.window.findChild<QAction*>("aboutAction")->trigger();
    auto* about = shell.window.findChild<QMessageBox*>("aboutBox");
    QVERIFY(about);
    QTRY_VERIFY(about->isVisible());
    QCOMPARE(about->text(), "Atelier " ATELIER_VERSION);
    QVERIFY2(about->informativeText().contains("GPU: " + device.name), qPrintable(about->informativeText()));
    about->close();
}

void TestUi::statusShowsDeviceFailure()
{
    Shell shell;
    QVERIFY(shell.show());
    QSignalSpy failed(&shell.engine, &ComputeEngine::deviceFailed);
    DeviceOptions options = DeviceOptions::fromEnvironment();
    options.deviceIndex = 99;
    shell.engine.start(options);
    QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, deviceTimeoutMs);
    const QString reason = failed.at(0).at(0).toString();
    QVERIFY(!reason.isEmpty());

    QLabel* gpu = shell.status("gpuStatus");
    QTRY_COMPARE(gpu->text(), "GPU unavailable: Vulkan could not start");
    QCOMPARE(gpu->toolTip(), reason);
    QVERIFY(gpu->isVisible());

    // Everything that does not need the GPU keeps working.
    QTest::mouseClick(shell.railButton("library"), Qt::LeftButton);
    QCOMPARE(shell.visibleHeading(), "Library");
    QTest::keyClick(&shell.window, Qt::Key_2, Qt::ControlModifier);
    QCOMPARE(shell.visibleHeading(), "Create");
}

void TestUi::statusShowsMemory()
{
    Shell shell;
    QVERIFY(shell.show());
    QLabel* vram = shell.status("vramStatus");
    QVERIFY(!vram->isVisible()); // nothing is known before the engine reports
    emit shell.engine.memoryUsage(1288490189, quint64(16) * 1024 * 1024 * 1024);
    QCOMPARE(vram->text(), "VRAM: 1.2 GiB / 16.0 GiB");
    QVERIFY(vram->isVisible());
}

void TestUi::statusShowsRunningJob()
{
    std::atomic<bool> release = false; // outlives the engine, whose thread reads it
    Shell shell;
    QVERIFY(shell.show());
    QSignalSpy ready(&shell.engine, &ComputeEngine::deviceReady);
    shell.engine.start(DeviceOptions::fromEnvironment());
    QTRY_COMPARE_WITH_TIMEOUT(ready.size(), 1, deviceTimeoutMs);

    QLabel* job = shell.status("jobStatus");
    auto* progress = shell.window.statusBar()->findChild<QProgressBar*>("jobProgress");
    QVERIFY(!job->isVisible());

    QSignalSpy finished(&shell.engine, &ComputeEngine::jobFinished);
    shell.engine.submit(std::make_unique<engine::FunctionJob>(
        "load", [&release](engine::JobContext& ctx) -> Result<QVariant> {
            ctx.progress(0.5, "Loading weights");
            while (!release && !ctx.cancelled())
                std::this_thread::sleep_for(std::chrono::milliseconds(1));
            return QVariant(true);
        }));
    QTRY_COMPARE_WITH_TIMEOUT(job->text(), "Loading weights", deviceTimeoutMs);
    QVERIFY(job->isVisible());
    QCOMPARE(progress->value(), progress->maximum() / 2);

    release = true;
    QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, deviceTimeoutMs);
    QTRY_VERIFY(!job->isVisible());
    QVERIFY(!progress->isVisible());
}

QTEST_MAIN(TestUi)
#include "tst_ui.moc"

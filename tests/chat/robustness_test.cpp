// What must not break: a model file that cannot load, a damaged database, and the app killed
// while an answer is streaming.

#include "tst_chat.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/message_widget.h"
#include "chat/model_catalog.h"
#include "core/app_paths.h"
#include "main_window.h"
#include "store/chat_store.h"

#include <QtTest>
#include <QtWidgets>

#include <cstdio>

using namespace atelier;

namespace {

// The tiny model with its architecture renamed everywhere (keys included): a well-formed GGUF of
// an architecture this build does not know.
QString writeUnknownArchitecture()
{
    QFile in(QStringLiteral(ATELIER_TINY_MODEL));
    if (!in.open(QIODevice::ReadOnly))
        return {};
    QByteArray bytes = in.readAll();
    bytes.replace("qwen2", "qwen9");
    const QString path = paths::modelsDir() + QStringLiteral("/unknown-arch.gguf");
    QFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size())
        return {};
    return path;
}

bool choose(ChatFixture& f, const QString& path)
{
    auto* combo = f.find<QComboBox>("modelCombo");
    const int index = combo->findData(path);
    if (index < 0)
        return false;
    combo->setCurrentIndex(index);
    emit combo->activated(index); // as when the user picks it
    return true;
}

QByteArray readAll(const QString& path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

void TestChat::brokenModelIsReported()
{
    ChatFixture& f = mFixture;
    const QString tiny = paths::modelsDir() + QStringLiteral("/tiny-qwen2.gguf");
    const QString unknown = writeUnknownArchitecture();
    QVERIFY(!unknown.isEmpty());
    const QString garbage = paths::modelsDir() + QStringLiteral("/garbage.gguf");
    {
        QFile g(garbage);
        QVERIFY(g.open(QIODevice::WriteOnly));
        g.write(QByteArray(4096, '\x5a'));
    }
    f.chat->catalog().refresh();
    QTRY_VERIFY(f.chat->catalog().find(unknown) && f.chat->catalog().find(garbage));
    QVERIFY(!f.chat->catalog().find(unknown)->usable());
    QVERIFY(f.chat->catalog().find(unknown)->summary().contains("qwen9"));
    QVERIFY(!f.chat->catalog().find(garbage)->error.isEmpty());
    QVERIFY(f.waitForAnswer());
    QCOMPARE(f.chat->chatEngine().loadedPath(), tiny);

    // The broken files are listed after the working one, greyed and marked, with the reason.
    auto* combo = f.find<QComboBox>("modelCombo");
    QTRY_COMPARE(combo->count(), 3);
    QCOMPARE(combo->itemData(0).toString(), tiny);
    for (int row : {1, 2}) {
        QVERIFY2(combo->itemText(row).contains("cannot be used"), qPrintable(combo->itemText(row)));
        QCOMPARE(combo->itemData(row, Qt::ForegroundRole).value<QBrush>().color(),
                 combo->palette().color(QPalette::Disabled, QPalette::Text));
    }
    QVERIFY(combo->itemData(combo->findData(unknown), Qt::ToolTipRole).toString().contains("qwen9"));

    // Picking one says why and keeps the working model chosen and loaded.
    auto* status = f.find<QLabel>("modelStatus");
    for (const QString& broken : {unknown, garbage}) {
        QVERIFY(choose(f, broken));
        QVERIFY2(status->text().contains("cannot be used") && status->text().contains("stays loaded"),
                 qPrintable(status->text()));
        QCOMPARE(combo->currentData().toString(), tiny);
        QVERIFY(!f.chat->chatEngine().loading());
        QCOMPARE(f.chat->chatEngine().loadedPath(), tiny);
    }
    QVERIFY(status->text().contains(QFileInfo(garbage).fileName()));

    // A broken file from Open… is read first and refused the same way.
    const QString outside = QDir(paths::dataDir()).filePath(QStringLiteral("outside-unknown.gguf"));
    QFile::remove(outside);
    QVERIFY(QFile::copy(unknown, outside));
    QTimer answerDialog;
    answerDialog.setInterval(50);
    QObject::connect(&answerDialog, &QTimer::timeout, [&] {
        for (QWidget* w : QApplication::topLevelWidgets()) {
            if (auto* dialog = qobject_cast<QFileDialog*>(w); dialog && dialog->isVisible()) {
                answerDialog.stop();
                // Typed in, as a user would: the file lies outside the folder the dialog shows.
                auto* name = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"));
                QVERIFY(name);
                name->setText(outside);
                QTest::keyClick(name, Qt::Key_Return);
            }
        }
    });
    answerDialog.start();
    QTest::mouseClick(f.find<QToolButton>("openModelButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(status->text().contains("outside-unknown.gguf") && status->text().contains("qwen9"),
                             10000);
    QCOMPARE(combo->currentData().toString(), tiny);
    QCOMPARE(f.chat->chatEngine().loadedPath(), tiny);

    // And the conversation goes on with the model that works.
    f.type("Are you there?");
    QVERIFY(f.waitForAnswer());
    QCOMPARE(f.messages().size(), 2);
    QVERIFY(!f.find<QLabel>("answerError")->isVisible());
    QCOMPARE(f.chat->chatEngine().loadedPath(), tiny);

    QFile::remove(unknown);
    QFile::remove(garbage);
    QFile::remove(outside);
}

void TestChat::baseModelSaysItAnswersOneLine()
{
    // The tiny model without its chat template: a base model, as Atelier's default one is.
    QByteArray bytes = readAll(QStringLiteral(ATELIER_TINY_MODEL));
    QCOMPARE(bytes.count("tokenizer.chat_template"), 1);
    bytes.replace("tokenizer.chat_template", "tokenizer.chat_templatX");
    const QString base = paths::modelsDir() + QStringLiteral("/zz-tiny-base.gguf"); // listed after the working one
    {
        QFile out(base);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(bytes);
    }
    auto removeBase = qScopeGuard([&] { QFile::remove(base); });
    ChatFixture& f = mFixture;
    f.chat->catalog().refresh();
    QTRY_VERIFY(f.chat->catalog().find(base));
    QVERIFY(f.chat->catalog().find(base)->usable());

    // In the list, before it is chosen, and in the bar once it is.
    auto* combo = f.find<QComboBox>("modelCombo");
    QTRY_VERIFY(combo->findData(base) >= 0);
    QVERIFY(combo->itemData(combo->findData(base), Qt::ToolTipRole).toString().contains("one line per answer"));
    QVERIFY(!combo->itemData(combo->findData(paths::modelsDir() + "/tiny-qwen2.gguf"), Qt::ToolTipRole)
                 .toString()
                 .contains("one line per answer"));
    QVERIFY(f.waitForAnswer());
    QVERIFY(choose(f, base));
    auto* status = f.find<QLabel>("modelStatus");
    QTRY_VERIFY2_WITH_TIMEOUT(f.chat->chatEngine().loadedPath() == base, qPrintable(status->text()), 10000);
    QTRY_VERIFY2(status->text().contains("one line per answer"), qPrintable(status->text()));
    QCOMPARE(status->text().count("one line per answer"), 1); // said once, not by the catalogue and again
}

void TestChat::damagedDatabaseIsReported()
{
    mFixture.close();
    const QString path = paths::databasePath();
    QFile::remove(path + "-wal");
    QFile::remove(path + "-shm");
    QByteArray junk(8192, '\0');
    for (int i = 0; i < junk.size(); ++i)
        junk[i] = char((i * 131 + 7) & 0xff);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(junk);
    }

    // The whole window, as the app starts it: the chat says what is wrong and saves nothing.
    {
        ui::MainWindow window(*mEngine);
        window.show();
        auto* error = window.findChild<QLabel*>("databaseError");
        QVERIFY(error);
        QVERIFY(error->isVisibleTo(&window));
        QVERIFY2(error->text().contains(QFileInfo(path).fileName()), qPrintable(error->text()));
        QVERIFY(!window.findChild<QWidget*>("chatInput")->isEnabled());
    }
    QCOMPARE(readAll(path), junk); // left exactly as it was
    QFile::remove(path);
    QVERIFY(mFixture.open(*mEngine));
}

void TestChat::killedMidAnswerKeepsTheQuestion()
{
    mFixture.close();
    QProcess victim;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("ATELIER_CHAT_TEST_VICTIM", "1");
    victim.setProcessEnvironment(env);
    victim.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    victim.start(QCoreApplication::applicationFilePath(), {});
    QVERIFY(victim.waitForStarted());
    QByteArray out;
    QVERIFY(QTest::qWaitFor(
        [&] {
            victim.waitForReadyRead(100);
            out += victim.readAllStandardOutput();
            return out.contains("streaming") || victim.state() == QProcess::NotRunning;
        },
        120000));
    QVERIFY2(out.contains("streaming"), out.constData());
    victim.kill(); // SIGKILL: no destructor, no commit, nothing flushed
    QVERIFY(victim.waitForFinished());

    QVERIFY(mFixture.open(*mEngine));
    ChatFixture& f = mFixture;
    QCOMPARE(f.conversationList()->count(), 1);
    f.conversationList()->setCurrentRow(0);
    auto shown = f.messages();
    QCOMPARE(shown.size(), 1); // the question; the unfinished answer is gone
    QCOMPARE(shown[0]->text(), QStringLiteral("This question must survive."));

    // And the conversation goes on from there (with a short answer this time: the victim's
    // conversation asked for endless ones).
    f.find<QSpinBox>("maxTokensSpin")->setValue(8);
    QTest::mouseClick(f.find<QPushButton>("retryButton"), Qt::LeftButton);
    QVERIFY(!f.find<QPushButton>("retryButton")->isVisible() || f.chat->chatEngine().answering());
    QVERIFY(f.waitForAnswer());
    QCOMPARE(f.messages().size(), 2);
    QVERIFY(f.messages().last()->messageId() > 0);
}

int runVictim()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    store::ChatSettings endless;
    endless.temperature = 1.0;
    endless.maxTokens = 100000;
    endless.contextLength = 4096;
    ui::saveChatDefaults(endless);

    engine::ComputeEngine engine;
    engine.start(engine::DeviceOptions::fromEnvironment());
    ChatFixture f;
    if (!f.open(engine))
        return 2;
    QObject::connect(&f.chat->chatEngine(), &ui::ChatEngine::answerText, [] {
        std::fputs("streaming\n", stdout);
        std::fflush(stdout);
    });
    f.type("This question must survive.");
    return QApplication::exec(); // until killed
}

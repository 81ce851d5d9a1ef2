#include "tst_models.h"

#include "models/file_hash.h"
#include "models/model_download.h"
#include "models/model_offer.h"
#include "models/models_dialog.h"
#include "models/models_folder.h"

#include "core/app_paths.h"
#include "engine/compute_engine.h"
#include "main_window.h"

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>
#include <QTreeWidget>
#include <QVBoxLayout>

using namespace atelier;
using namespace atelier::ui;

namespace {

QTreeWidgetItem* row(QTreeWidget* tree, const QString& name)
{
    for (int i = 0; i < tree->topLevelItemCount(); ++i)
        if (tree->topLevelItem(i)->text(0) == name)
            return tree->topLevelItem(i);
    return nullptr;
}

QString statusOf(QTreeWidget* tree, const QString& name)
{
    QTreeWidgetItem* item = row(tree, name);
    return item ? item->text(4) : QStringLiteral("(no row)");
}

// Answers the next modal question box with `button`.
void answerNextQuestion(QMessageBox::StandardButton button)
{
    QTimer::singleShot(0, [button] {
        if (auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget()))
            box->button(button)->click();
    });
}

// refresh() reads GGUF headers on a worker; this waits for its decision.
bool refreshed(ModelOffer* offer)
{
    QSignalSpy checked(offer, &ModelOffer::checked);
    offer->refresh();
    return checked.wait(10000);
}

} // namespace

void TestModels::dialogDownloadsPausesResumesAndDeletes()
{
    QDir(paths::modelsDir()).removeRecursively();
    const QByteArray shaLarge = QCryptographicHash::hash(mLarge, QCryptographicHash::Sha256).toHex();
    const QByteArray json = R"({"version": 1, "models": [
        {"id": "slow-chat", "name": "Slow Chat", "kind": "chat", "architecture": "qwen2", "quantization": "Q4_K_M",
         "licence": "Apache-2.0", "urls": [")" + mServer->url("slow", "large.gguf") + R"("], "file": "slow-chat.gguf",
         "size": 3000000, "sha256": ")" + shaLarge + R"(", "context": 32768, "memory": 2000000000,
         "description": "A test model served slowly."},
        {"id": "huge-image", "name": "Huge Image", "kind": "image", "architecture": "sd2", "licence": "MIT",
         "urls": ["https://example.invalid/huge.safetensors"], "file": "huge.safetensors", "memory": 900000000000}]})";
    qputenv("ATELIER_CATALOGUE", writeCatalogue("dialog.json", json).toUtf8());
    models::rememberDevice(QStringLiteral("discrete"), 8LL * 1000 * 1000 * 1000);

    QWidget window;
    ModelsDialog* dialog = showModelsDialog(&window);
    QCOMPARE(showModelsDialog(&window), dialog); // one dialog per window
    auto* tree = dialog->findChild<QTreeWidget*>("modelsList");
    QVERIFY(tree);
    QCOMPARE(statusOf(tree, "Slow Chat"), QStringLiteral("Fits this device"));
    QCOMPARE(statusOf(tree, "Huge Image"), QStringLiteral("Needs more memory than this device has"));
    QVERIFY(dialog->findChild<QLabel*>("modelsSummary")->text().contains("8.00 GB of memory"));

    auto* download = dialog->findChild<QPushButton*>("downloadButton");
    auto* pause = dialog->findChild<QPushButton*>("pauseButton");
    auto* resume = dialog->findChild<QPushButton*>("resumeButton");
    auto* cancel = dialog->findChild<QPushButton*>("cancelButton");
    auto* remove = dialog->findChild<QPushButton*>("deleteButton");
    auto* progressText = dialog->findChild<QLabel*>("downloadProgressText");
    tree->setCurrentItem(row(tree, "Slow Chat"));
    QVERIFY(dialog->findChild<QLabel*>("modelDetails")->text().contains("sha256 " + shaLarge));
    QVERIFY(download->isEnabled() && !pause->isEnabled() && !remove->isEnabled());

    QSignalSpy folderChanged(models::folderEvents(), &models::FolderEvents::changed);
    download->click();
    QTRY_VERIFY_WITH_TIMEOUT(progressText->text().contains(" of 3.00 MB · ") && progressText->text().contains("/s"), 10000);
    QVERIFY(statusOf(tree, "Slow Chat").startsWith("Downloading "));
    QVERIFY(pause->isEnabled() && cancel->isEnabled() && !download->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(dialog->download("slow-chat")->received() > 300 * 1000, 10000);
    dialog->grab().save(QDir(paths::dataDir()).filePath("models_dialog_downloading.png"));

    pause->click();
    QVERIFY(statusOf(tree, "Slow Chat").startsWith("Paused at "));
    QVERIFY(progressText->text().endsWith(" · paused"));
    QVERIFY(resume->isEnabled() && !pause->isEnabled());
    resume->click();
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(tree, "Slow Chat"), QStringLiteral("Installed"), 20000);
    QCOMPARE(dialog->message(), QStringLiteral("Slow Chat is installed; its sha256 matches."));
    QCOMPARE(folderChanged.size(), 1); // Chat's and Create's pickers list it again
    QCOMPARE(QFileInfo(QDir(paths::modelsDir()).filePath("slow-chat.gguf")).size(), qint64(mLarge.size()));
    QCOMPARE(models::recordedSha256(QDir(paths::modelsDir()).filePath("slow-chat.gguf")), QString::fromLatin1(shaLarge));
    QVERIFY(remove->isEnabled() && !download->isEnabled());
    dialog->grab().save(QDir(paths::dataDir()).filePath("models_dialog_installed.png"));

    // Import a file from elsewhere: listed as not in the catalogue.
    const QString outside = mTemp.filePath("my-own-model.gguf");
    {
        QFile file(outside);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("GGUF not really");
    }
    QSignalSpy imported(dialog, &ModelsDialog::importFinished);
    dialog->importFile(outside); // on a worker thread
    QTRY_COMPARE(imported.size(), 1);
    QCOMPARE(imported.last().first().toBool(), true);
    QCOMPARE(statusOf(tree, "my-own-model.gguf"), QStringLiteral("Installed (not in the catalogue)"));
    QCOMPARE(dialog->message(), QStringLiteral("Imported my-own-model.gguf into the models folder."));
    dialog->importFile(mTemp.filePath("notes.txt"));
    QTRY_COMPARE(imported.size(), 2);
    QCOMPARE(imported.last().first().toBool(), false);
    QVERIFY2(dialog->message().contains("is not a file"), qPrintable(dialog->message()));

    // Delete asks first; Cancel keeps the file, Yes deletes it.
    tree->setCurrentItem(row(tree, "Slow Chat"));
    answerNextQuestion(QMessageBox::Cancel);
    remove->click();
    QVERIFY(QFileInfo::exists(QDir(paths::modelsDir()).filePath("slow-chat.gguf")));
    answerNextQuestion(QMessageBox::Yes);
    remove->click();
    QVERIFY(!QFileInfo::exists(QDir(paths::modelsDir()).filePath("slow-chat.gguf")));
    QVERIFY(!QFileInfo::exists(QDir(paths::modelsDir()).filePath("slow-chat.gguf.sha256"))); // its record goes too
    QCOMPARE(statusOf(tree, "Slow Chat"), QStringLiteral("Fits this device"));

    // Cancel mid-way leaves nothing behind.
    tree->setCurrentItem(row(tree, "Slow Chat"));
    download->click();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->download("slow-chat")->received() > 100 * 1000, 10000);
    cancel->click();
    QVERIFY(!QFileInfo::exists(QDir(paths::modelsDir()).filePath("slow-chat.gguf.part")));
    QCOMPARE(statusOf(tree, "Slow Chat"), QStringLiteral("Fits this device"));
    qunsetenv("ATELIER_CATALOGUE");
}

void TestModels::dialogSaysADownloadIsNotVerified()
{
    // A catalogue entry without a sha256 (as 7 of the built-in ones): the dialog says before and
    // after the download that it is not verified, and the digest that arrived is recorded.
    QDir(paths::modelsDir()).removeRecursively();
    const QByteArray json = R"({"version": 1, "models": [
        {"id": "unsummed", "name": "Unsummed Chat", "kind": "chat", "architecture": "qwen2", "licence": "MIT",
         "urls": [")" + mServer->url("files", "small.gguf") + R"("], "file": "unsummed.gguf", "memory": 1000000}]})";
    qputenv("ATELIER_CATALOGUE", writeCatalogue("unsummed.json", json).toUtf8());
    QWidget window;
    ModelsDialog* dialog = showModelsDialog(&window);
    auto* tree = dialog->findChild<QTreeWidget*>("modelsList");
    tree->setCurrentItem(row(tree, "Unsummed Chat"));
    QVERIFY2(dialog->findChild<QLabel*>("modelDetails")->text().contains("no checksum in the catalogue: a download is not verified"),
             qPrintable(dialog->findChild<QLabel*>("modelDetails")->text()));
    dialog->findChild<QPushButton*>("downloadButton")->click();
    QTRY_COMPARE_WITH_TIMEOUT(statusOf(tree, "Unsummed Chat"), QStringLiteral("Installed"), 10000);
    QCOMPARE(dialog->message(), QStringLiteral("Unsummed Chat is installed, not verified (no checksum in the catalogue); its "
                                               "sha256 is recorded beside the file for later checks."));
    const QString installed = QDir(paths::modelsDir()).filePath("unsummed.gguf");
    QCOMPARE(models::recordedSha256(installed),
             QString::fromLatin1(QCryptographicHash::hash(mSmall, QCryptographicHash::Sha256).toHex()));
    dialog->grab().save(QDir(paths::dataDir()).filePath("models_dialog_not_verified.png"));
    qunsetenv("ATELIER_CATALOGUE");
}

void TestModels::chatOffersTheBestModel()
{
    QDir(paths::modelsDir()).removeRecursively();
    const QByteArray sha = QCryptographicHash::hash(mSmall, QCryptographicHash::Sha256).toHex();
    const QByteArray json = R"({"version": 1, "models": [
        {"id": "small-chat", "name": "Small Chat", "kind": "chat", "architecture": "llama", "licence": "MIT",
         "urls": [")" + mServer->url("files", "small.gguf") + R"("], "file": "small-chat.gguf", "size": 300000,
         "sha256": ")" + sha + R"(", "memory": 1000000000},
        {"id": "big-chat", "name": "Big Chat", "kind": "chat", "architecture": "llama", "licence": "MIT",
         "urls": [")" + mServer->url("files", "small.gguf") + R"("], "file": "big-chat.gguf", "memory": 6000000000}]})";
    qputenv("ATELIER_CATALOGUE", writeCatalogue("offer.json", json).toUtf8());

    // 8 GB: Big Chat needs 6, more than half, so the offer is Small Chat.
    models::rememberDevice(QStringLiteral("discrete"), 8LL * 1000 * 1000 * 1000);
    QWidget window;
    auto* offer = new ModelOffer(&window);
    (new QVBoxLayout(&window))->addWidget(offer);
    window.show();
    QTRY_VERIFY(offer->isVisible());
    QCOMPARE(offer->offeredId(), QStringLiteral("small-chat"));
    QVERIFY(offer->findChild<QLabel*>("modelOfferText")->text().contains("<b>Small Chat</b> (300 KB, MIT) fits this device"));
    window.resize(900, 80);
    window.grab().save(QDir(paths::dataDir()).filePath("model_offer.png"));

    // 16 GB: Big Chat.
    models::rememberDevice(QStringLiteral("discrete"), 16LL * 1000 * 1000 * 1000);
    QVERIFY(refreshed(offer));
    QCOMPARE(offer->offeredId(), QStringLiteral("big-chat"));
    models::rememberDevice(QStringLiteral("discrete"), 8LL * 1000 * 1000 * 1000);
    QVERIFY(refreshed(offer));

    // Download: through the Models dialog; once installed the offer goes away.
    offer->findChild<QPushButton*>("modelOfferDownload")->click();
    auto* dialog = window.findChild<ModelsDialog*>("modelsDialog");
    QVERIFY(dialog && dialog->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(QFileInfo::exists(QDir(paths::modelsDir()).filePath("small-chat.gguf")), 10000);
    QTRY_VERIFY(!offer->isVisible());

    // A GGUF of the user's own with a chat template follows instructions too: no offer. One
    // without a usable header (a base model, a broken file) does not count.
    QDir(paths::modelsDir()).removeRecursively();
    QVERIFY(QDir().mkpath(paths::modelsDir()));
    QFile garbage(QDir(paths::modelsDir()).filePath("garbage.gguf"));
    QVERIFY(garbage.open(QIODevice::WriteOnly));
    garbage.write(QByteArray(4096, 'z'));
    garbage.close();
    QVERIFY(refreshed(offer));
    QVERIFY(offer->isVisible());
    QVERIFY(QFile::copy(QStringLiteral(ATELIER_TINY_MODEL), QDir(paths::modelsDir()).filePath("my-instruct.gguf")));
    QVERIFY(refreshed(offer));
    QVERIFY(!offer->isVisible());

    // Not now: stays away.
    QDir(paths::modelsDir()).removeRecursively();
    QVERIFY(refreshed(offer));
    QVERIFY(offer->isVisible());
    offer->findChild<QPushButton*>("modelOfferDismiss")->click();
    QVERIFY(!offer->isVisible());
    QVERIFY(refreshed(offer));
    QVERIFY(!offer->isVisible());
    QSettings().remove("models/offerDismissed");
    qunsetenv("ATELIER_CATALOGUE");
}

void TestModels::mainWindowReachesModels()
{
    QDir(paths::modelsDir()).removeRecursively();
    models::rememberDevice(QString(), 0); // no device yet: the computer's memory
    engine::ComputeEngine engine;           // not started: the window works without a device
    MainWindow window(engine);
    window.resize(1200, 800);
    window.show();

    // Chat offers the best built-in catalogue model that fits, while none is installed.
    auto* offer = window.findChild<ModelOffer*>("modelOffer");
    QVERIFY(offer);
    if (models::systemMemoryBytes() >= 2LL * 1000 * 1000 * 1000) {
        QTRY_VERIFY(offer->isVisible());
        // Without a GPU only models up to 2 GB are suggested first: the 1.5B, not the 7B.
        QCOMPARE(offer->offeredId(), QStringLiteral("qwen2.5-1.5b-instruct-q4_k_m"));
        QCOMPARE(offer->findChild<QPushButton*>("modelOfferDownload")->toolTip(), QStringLiteral("Download Qwen2.5 1.5B Instruct into the models folder"));
        QVERIFY(offer->minimumSizeHint().width() <= 480); // the bar does not widen the window (tests/ui keeps it 640 wide)
    }
    window.grab().save(QDir(paths::dataDir()).filePath("main_window_offer.png"));

    // File > Models… opens the one dialog, with the built-in catalogue.
    auto* action = window.findChild<QAction*>("modelsAction");
    QVERIFY(action);
    QCOMPARE(action->shortcut(), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    action->trigger();
    auto* dialog = window.findChild<ModelsDialog*>("modelsDialog");
    QVERIFY(dialog && dialog->isVisible());
    auto* tree = dialog->findChild<QTreeWidget*>("modelsList");
    QVERIFY(row(tree, "Qwen2.5 1.5B Instruct") && row(tree, "Stable Diffusion 1.5"));
    tree->setCurrentItem(row(tree, "Llama 3.2 1B Instruct"));
    dialog->grab().save(QDir(paths::dataDir()).filePath("models_dialog_catalogue.png"));
    dialog->hide();
    action->trigger();
    QCOMPARE(window.findChildren<ModelsDialog*>().size(), 1);

    // Chat's, Create's and Inpaint's empty states (no model yet) lead there too.
    dialog->hide();
    const auto buttons = window.findChildren<QPushButton*>("downloadModelsButton");
    QCOMPARE(buttons.size(), 3);
    buttons.last()->click();
    QVERIFY(dialog->isVisible());

    // So do the Open… menus of Chat's model picker and Create's model row.
    const auto actions = window.findChildren<QAction*>("downloadModelsAction");
    QCOMPARE(actions.size(), 2);
    for (QAction* a : actions) {
        dialog->hide();
        a->trigger();
        QVERIFY(dialog->isVisible());
    }

    // A checkpoint the dialog imports is in Create's model list at once.
    auto* imageModels = window.findChild<QComboBox*>("imageModel");
    QVERIFY(imageModels);
    const QString checkpoint = mTemp.filePath("imported-checkpoint.safetensors");
    {
        QFile file(checkpoint);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("not really a checkpoint");
    }
    // Listed by name (a file that is no checkpoint is listed too, marked as not usable).
    QVERIFY(imageModels->findText("imported-checkpoint", Qt::MatchStartsWith) < 0);
    QSignalSpy imported(dialog, &ModelsDialog::importFinished);
    dialog->importFile(checkpoint);
    QTRY_COMPARE(imported.size(), 1);
    QVERIFY(imageModels->findText("imported-checkpoint", Qt::MatchStartsWith) >= 0);
}

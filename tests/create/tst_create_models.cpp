// Create's checkpoint picker with files that cannot be used (issue 18): they are listed last,
// greyed, with the reason, and cannot be chosen; Open… refuses them with the reason; and a file
// that breaks after it was listed fails its picture without unloading the model that works.

#include "core/app_paths.h"
#include "create/create_form.h"
#include "create/create_workspace.h"
#include "window_fixture.h"
#include "create/image_engine.h"
#include "engine/compute_engine.h"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QToolButton>
#include <QtTest>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 120000;

void writeFile(const QString& path, const QByteArray& bytes)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(bytes), bytes.size());
}

// A well-formed safetensors file with one tensor that is no checkpoint (as a LoRA or a VAE would be).
QByteArray notACheckpoint()
{
    const QByteArray header = R"({"lonely.weight":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    QByteArray bytes(8, '\0');
    qToLittleEndian<quint64>(quint64(header.size()), bytes.data());
    return bytes + header + QByteArray(4, '\0');
}

} // namespace

class TestCreateModels : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();

    void brokenFilesAreGreyedLastAndCannotBeChosen();
    void openRefusesABrokenFileWithTheReason();
    void aFileBrokenAfterListingKeepsTheWorkingModelLoaded();

private:
    template <typename T>
    T* find(const char* name) const
    {
        return test::childNamed<T>(mCreate.get(), name);
    }

    engine::ComputeEngine* mEngine = nullptr;
    std::unique_ptr<ui::CreateWorkspace> mCreate;
    QString mGolden;
};

void TestCreateModels::initTestCase()
{
    QSettings::setDefaultFormat(QSettings::IniFormat);
    QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, paths::dataDir() + QStringLiteral("/settings"));
    QSettings().clear();
    const QString models = paths::modelsDir();
    QVERIFY(paths::ensureDir(models));
    for (const QString& name : QDir(models).entryList({"*.safetensors"}, QDir::Files))
        QFile::remove(models + "/" + name);
    mGolden = models + "/golden_sd1.safetensors";
    QVERIFY(QFile::copy(QStringLiteral(ATELIER_GOLDEN_SD1), mGolden));
    writeFile(models + "/aaa_garbage.safetensors", QByteArray(4096, 'x'));
    writeFile(models + "/lonely.safetensors", notACheckpoint());

    mEngine = new engine::ComputeEngine(this);
    QSignalSpy ready(mEngine, &engine::ComputeEngine::deviceReady);
    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.validation = true;
    mEngine->start(options);
    QVERIFY2(ready.wait(kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestCreateModels::init()
{
    mCreate = std::make_unique<ui::CreateWorkspace>(*mEngine);
    mCreate->resize(1000, 700);
    mCreate->show();
    QVERIFY(QTest::qWaitForWindowExposed(mCreate.get()));
}

void TestCreateModels::cleanup()
{
    mCreate->imageEngine()->cancelAll();
    QTRY_VERIFY_WITH_TIMEOUT(!mCreate->imageEngine()->busy(), kPictureTimeoutMs);
    mCreate.reset();
}

void TestCreateModels::brokenFilesAreGreyedLastAndCannotBeChosen()
{
    auto* combo = find<QComboBox>("imageModel");
    // "aaa_garbage" sorts first by name, yet the model that works is listed (and chosen) first.
    QCOMPARE(combo->count(), 3);
    QCOMPARE(combo->itemText(0), QStringLiteral("golden_sd1"));
    QCOMPARE(combo->currentText(), QStringLiteral("golden_sd1"));
    auto* items = qobject_cast<QStandardItemModel*>(combo->model());
    QVERIFY(items);
    QVERIFY(items->item(0)->isEnabled());
    for (int row : {1, 2}) {
        QVERIFY2(combo->itemText(row).endsWith(QStringLiteral("— cannot be used")), qPrintable(combo->itemText(row)));
        QVERIFY(!items->item(row)->isEnabled());
        const QString tip = combo->itemData(row, Qt::ToolTipRole).toString();
        QVERIFY2(tip.count('\n') >= 1 && tip.section('\n', 1).size() > 10, qPrintable(tip)); // the path, then why
    }
    QVERIFY(combo->itemText(1).startsWith("aaa_garbage") || combo->itemText(2).startsWith("aaa_garbage"));

    // Neither the keyboard nor a click in the list reaches them.
    combo->setFocus();
    QTest::keyClick(combo, Qt::Key_Down);
    QTest::keyClick(combo, Qt::Key_End);
    QCOMPARE(combo->currentText(), QStringLiteral("golden_sd1"));
    combo->showPopup();
    auto* view = combo->view();
    QTRY_VERIFY(view->isVisible());
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, view->visualRect(combo->model()->index(2, 0)).center());
    if (view->isVisible())
        combo->hidePopup();
    QCOMPARE(combo->currentText(), QStringLiteral("golden_sd1"));
    QCOMPARE(mCreate->form()->settings().modelPath, mGolden);
}

void TestCreateModels::openRefusesABrokenFileWithTheReason()
{
    const QString outside = QDir(paths::dataDir()).filePath(QStringLiteral("outside-broken.safetensors"));
    writeFile(outside, QByteArray(100, '\x7f'));
    auto* note = find<QLabel>("modelNote");
    QVERIFY(!note->isVisible());
    QTimer answerDialog;
    answerDialog.setInterval(50);
    QObject::connect(&answerDialog, &QTimer::timeout, [&] {
        for (QWidget* w : QApplication::topLevelWidgets()) {
            if (auto* dialog = qobject_cast<QFileDialog*>(w); dialog && dialog->isVisible()) {
                answerDialog.stop();
                auto* name = dialog->findChild<QLineEdit*>(QStringLiteral("fileNameEdit"));
                QVERIFY(name);
                name->setText(outside);
                QTest::keyClick(name, Qt::Key_Return);
            }
        }
    });
    answerDialog.start();
    QTest::mouseClick(find<QToolButton>("openModelButton"), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(note->isVisible(), 10000);
    QVERIFY2(note->text().startsWith("outside-broken.safetensors cannot be used: "), qPrintable(note->text()));
    QVERIFY2(note->text().endsWith("golden_sd1 stays chosen"), qPrintable(note->text()));
    auto* combo = find<QComboBox>("imageModel");
    QCOMPARE(combo->currentText(), QStringLiteral("golden_sd1"));
    QCOMPARE(combo->findData(outside), -1);

    // Choosing a model again puts the note away.
    combo->setFocus();
    QTest::keyClick(combo, Qt::Key_Home);
    emit combo->activated(combo->currentIndex());
    QVERIFY(!note->isVisible());
    QFile::remove(outside);
}

void TestCreateModels::aFileBrokenAfterListingKeepsTheWorkingModelLoaded()
{
    auto* form = mCreate->form();
    auto* combo = find<QComboBox>("imageModel");
    find<QSpinBox>("width")->setValue(64);
    find<QSpinBox>("height")->setValue(64);
    find<QPlainTextEdit>("prompt")->setPlainText("a red circle");
    find<QSpinBox>("steps")->setValue(2);
    find<QLineEdit>("seed")->setText("3");
    QSignalSpy done(mCreate.get(), &ui::CreateWorkspace::pictureFinished);
    QSignalSpy failed(mCreate->imageEngine(), &ui::ImageEngine::failed);
    QSignalSpy progress(mCreate->imageEngine(), &ui::ImageEngine::progress);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    QVERIFY(done.wait(kPictureTimeoutMs));
    auto loadings = [&] {
        int n = 0;
        for (const QList<QVariant>& p : progress)
            n += p.at(2).toString().startsWith(QStringLiteral("Loading")) ? 1 : 0;
        return n;
    };
    QVERIFY(loadings() > 0); // the golden model was loaded for the first picture

    // A copy that works when the list is read, and is damaged before its picture starts.
    const QString copy = paths::modelsDir() + "/later.safetensors";
    QFile::remove(copy);
    QVERIFY(QFile::copy(mGolden, copy));
    form->refreshModels();
    const int row = combo->findData(copy);
    QVERIFY(row >= 0);
    combo->setCurrentIndex(row);
    emit combo->activated(row);
    QCOMPARE(form->settings().modelPath, copy);
    writeFile(copy, QByteArray(64, 'z'));
    find<QSpinBox>("width")->setValue(64);
    find<QSpinBox>("height")->setValue(64);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    QVERIFY(failed.wait(kPictureTimeoutMs));
    QVERIFY2(failed.first().at(1).toString().contains("later.safetensors"), qPrintable(failed.first().at(1).toString()));

    // Back to the model that works: its next picture starts without loading it again.
    progress.clear();
    combo->setCurrentIndex(combo->findData(mGolden));
    emit combo->activated(combo->currentIndex());
    find<QSpinBox>("width")->setValue(64);
    find<QSpinBox>("height")->setValue(64);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    QVERIFY(done.wait(kPictureTimeoutMs));
    QCOMPARE(loadings(), 0);

    // Listed again, the damaged copy is greyed.
    form->refreshModels();
    QVERIFY(combo->findData(copy) > 0);
    QVERIFY(combo->itemText(combo->findData(copy)).endsWith("cannot be used"));
    QFile::remove(copy);
}

QTEST_MAIN(TestCreateModels)
#include "tst_create_models.moc"

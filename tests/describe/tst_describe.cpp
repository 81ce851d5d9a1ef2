// "Describe for Create" (issue 22) through the real window: the tiny Gemma 3 with its vision
// projector in the models folder describes a picture from the Library's details, Create's finished
// picture and Create's init picture; Create's prompt then holds exactly what a ChatSession answers
// the same instruction about the same picture (greedy), tidied, and what `atelier describe` prints.
// Without a model, or with one that reads no pictures, the buttons are off and say why; a picture
// that cannot be read is reported; Cancel leaves the prompt alone. Chat's answer about a picture
// has "Use as image prompt".

#include "engine_jobs.h"
#include "tiny_vision.h"
#include "window_fixture.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/chat_workspace.h"
#include "chat/message_view.h"
#include "chat/message_widget.h"
#include "chat/model_catalog.h"
#include "core/app_paths.h"
#include "create/create_form.h"
#include "create/create_workspace.h"
#include "create/picture_actions.h"
#include "describe/describe_prompt.h"
#include "describe/describe_status.h"
#include "describe/picture_describer.h"
#include "engine/compute_engine.h"
#include "engine/job.h"
#include "library/library_workspace.h"
#include "llm/chat_session.h"
#include "main_window.h"
#include "picture_rgb.h"
#include "store/picture_store.h"

#include <QtTest>
#include <QtWidgets>

#include <atomic>
#include <thread>

using namespace atelier;

namespace {

const QString kFixtures = QStringLiteral(ATELIER_TEST_FIXTURES);
constexpr int kDeviceTimeoutMs = 60000;
constexpr int kDescribeTimeoutMs = 120000;

QString gemmaPath() { return paths::modelsDir() + QStringLiteral("/tiny_gemma3.gguf"); }
QString projectorPath() { return paths::modelsDir() + QStringLiteral("/mmproj-tiny_gemma3.gguf"); }
// In a folder of its own: a chat model with a template and no projector of its kind beside it.
QString textOnlyFolder() { return paths::dataDir() + QStringLiteral("/text-only"); }
QString qwenPath() { return textOnlyFolder() + QStringLiteral("/tiny_qwen2.gguf"); }
QString squarePicture() { return kFixtures + QStringLiteral("/tiny_vision_square.png"); }

bool copyInto(const QString& from, const QString& to)
{
    paths::ensureDir(QFileInfo(to).path());
    return QFile::exists(to) || QFile::copy(from, to);
}

void saveShot(QWidget* widget, const QString& name)
{
    if (const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS"); !dir.isEmpty())
        widget->grab().save(dir + QLatin1Char('/') + name);
}

// A tooltip as the user reads it (the buttons' are rich text, so that they wrap).
QString tip(const QWidget* widget) { return QTextDocumentFragment::fromHtml(widget->toolTip()).toPlainText(); }

void useChatModel(const QString& path)
{
    store::ChatSettings defaults; // quick answers, the same on every run
    defaults.modelPath = path;
    defaults.temperature = 0;
    defaults.maxTokens = 6;
    defaults.seed = 1;
    defaults.contextLength = 512;
    ui::saveChatDefaults(defaults);
}

} // namespace

class TestDescribe : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void tidiesAnswers_data();
    void tidiesAnswers();
    void dropsAPhraseCutByTheLimit();
    void offWithoutAChatModel();
    void offForAModelWithoutProjector();
    void libraryPictureBecomesCreatesPrompt();
    void createsPicturesToo();
    void unreadablePicture();
    void cancelWhileWaiting();
    void chatAnswerAboutAPictureIsAnImagePrompt();

private:
    void openWindow();
    ui::LibraryWorkspace* library() const { return mWindow->findChild<ui::LibraryWorkspace*>(); }
    ui::CreateWorkspace* create() const { return mWindow->findChild<ui::CreateWorkspace*>(); }
    ui::ChatWorkspace* chat() const { return mWindow->findChild<ui::ChatWorkspace*>(); }
    ui::PictureDescriber* describer() const { return mWindow->findChild<ui::PictureDescriber*>("pictureDescriber"); }
    QWidget* shownWorkspace() const { return mWindow->findChild<QStackedWidget*>("workspaces")->currentWidget(); }
    void show(const char* workspace) { mWindow->findChild<QAction*>(workspace)->trigger(); }
    // A picture in the Library, chosen; its file.
    QString addChosenPicture(const QString& file);
    QPushButton* libraryButton() const { return library()->findChild<QPushButton*>("describeButton"); }
    // What a ChatSession of the model and projector answers the instruction about the picture, tidied.
    QString referencePrompt(const QString& picture);
    QString commandLinePrompt(const QString& picture);

    engine::ComputeEngine* mEngine = nullptr;
    std::unique_ptr<ui::MainWindow> mWindow;
    // The prompt tokens of the last referencePrompt(), the picture's among them.
    int mReferenceTokens = 0;
};

void TestDescribe::initTestCase()
{
    test::useFreshSettings();
    mEngine = new engine::ComputeEngine(this);
    QVERIFY2(test::startEngine(*mEngine, kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestDescribe::init()
{
    QSettings().clear();
    for (const char* suffix : {"", "-wal", "-shm"})
        QFile::remove(paths::databasePath() + QLatin1String(suffix));
    QDir(paths::galleryDir()).removeRecursively();
    QCOMPARE(test::installTinyGemma(paths::modelsDir()), gemmaPath());
    QCOMPARE(test::installTinyQwen(textOnlyFolder()), qwenPath());
    // An image model, so that Create shows its form rather than where checkpoints go.
    QVERIFY(copyInto(QStringLiteral(ATELIER_IMAGE_FIXTURES) + "/golden_sd1.safetensors",
                     paths::modelsDir() + "/golden_sd1.safetensors"));
    useChatModel(gemmaPath());
}

void TestDescribe::cleanup()
{
    if (mWindow && describer())
        QTRY_VERIFY_WITH_TIMEOUT(!describer()->busy(), kDescribeTimeoutMs);
    if (mWindow && chat())
        QTRY_VERIFY_WITH_TIMEOUT(!chat()->chatEngine().answering() && !chat()->chatEngine().loading(), kDescribeTimeoutMs);
    mWindow.reset();
    qunsetenv("ATELIER_CATALOGUE");
}

void TestDescribe::cleanupTestCase()
{
    QCOMPARE(test::validationMessages(*mEngine), 0);
    delete mEngine;
    mEngine = nullptr;
}

void TestDescribe::openWindow()
{
    mWindow = std::make_unique<ui::MainWindow>(*mEngine);
    mWindow->resize(1400, 900);
    mWindow->show();
    QVERIFY(QTest::qWaitForWindowExposed(mWindow.get()));
    QTRY_VERIFY(!chat()->catalog().scanning());
}

QString TestDescribe::addChosenPicture(const QString& file)
{
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        return {};
    const QImage image(file);
    diffusion::GenerationParameters parameters;
    parameters.prompt = QStringLiteral("the prompt it was made with");
    parameters.width = image.width();
    parameters.height = image.height();
    parameters.seed = 7;
    auto added = library()->addPicture(store::PictureRecord::fromParameters(parameters, store::PictureKind::Txt2Img),
                                       in.readAll());
    if (!added.ok())
        return {};
    library()->selectPicture(added->id);
    return library()->store()->absolutePath(added->file);
}

QString TestDescribe::referencePrompt(const QString& picture)
{
    auto rgb = ui::loadRgbPicture(picture);
    if (!rgb)
        return QStringLiteral("(the reference cannot read the picture: %1)").arg(QString::fromStdString(rgb.error().message));
    auto answer = test::sessionAnswer(*mEngine, gemmaPath(), projectorPath(), ui::describeInstruction().toStdString(),
                                      {std::make_shared<const llm::RgbPicture>(std::move(rgb).value())}, ui::describeSettings());
    if (!answer)
        return QStringLiteral("(the reference failed: %1)").arg(QString::fromStdString(answer.error().message));
    if (answer->text.isEmpty())
        return QStringLiteral("(the reference answered nothing)");
    mReferenceTokens = answer->stats.promptTokens;
    return ui::promptFromAnswer(answer->text, ui::cutShort(answer->stats));
}

QString TestDescribe::commandLinePrompt(const QString& picture)
{
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("QT_QPA_PLATFORM", "offscreen");
    process.setProcessEnvironment(env);
    const QStringList arguments = {"--validation", "describe", "--image", picture, "--model", gemmaPath(),
                                   "--mmproj", projectorPath()};
    // A build running beside the test may be relinking the executable (execve: permission denied).
    for (int attempt = 0; attempt < 5; ++attempt) {
        process.start(QStringLiteral(ATELIER_EXECUTABLE), arguments);
        if (process.waitForStarted(10000))
            break;
        QTest::qWait(2000);
    }
    if (!process.waitForFinished(kDescribeTimeoutMs) || process.exitStatus() != QProcess::NormalExit ||
        process.exitCode() != 0)
        return QStringLiteral("(atelier describe failed: %1, exit code %2, %3)")
            .arg(process.errorString())
            .arg(process.exitCode())
            .arg(QString::fromUtf8(process.readAllStandardError()));
    const QByteArray errors = process.readAllStandardError();
    if (errors.contains("validation]"))
        return QStringLiteral("(validation messages: %1)").arg(QString::fromUtf8(errors));
    return QString::fromUtf8(process.readAllStandardOutput()).chopped(1); // its one line
}

void TestDescribe::tidiesAnswers_data()
{
    QTest::addColumn<QString>("answer");
    QTest::addColumn<QString>("prompt");
    QTest::newRow("keywords") << "a red square, blue background, flat colours" << "a red square, blue background, flat colours";
    QTest::newRow("introduced") << "Here is a prompt for the picture:\nred square, centred, minimalist."
                                << "red square, centred, minimalist";
    QTest::newRow("prompt label") << "Prompt: \"a cat on a roof, oil painting, warm light\""
                                  << "a cat on a roof, oil painting, warm light";
    QTest::newRow("list") << "- a lighthouse\n- stormy sea\n* **dramatic** lighting\n1. wide shot"
                          << "a lighthouse, stormy sea, dramatic lighting, wide shot";
    QTest::newRow("spacing") << "  a  fox ,snow,,  dusk  .  " << "a fox, snow, dusk";
    QTest::newRow("weights kept") << "(red:1.2) square, <lora:shapes:0.5>" << "(red:1.2) square, <lora:shapes:0.5>";
    QTest::newRow("empty") << " \n\n" << "";
}

void TestDescribe::tidiesAnswers()
{
    QFETCH(QString, answer);
    QFETCH(QString, prompt);
    QCOMPARE(ui::promptFromAnswer(answer), prompt);
}

void TestDescribe::dropsAPhraseCutByTheLimit()
{
    QCOMPARE(ui::promptFromAnswer("a lighthouse, stormy sea, dramatic li", true), QStringLiteral("a lighthouse, stormy sea"));
    QCOMPARE(ui::promptFromAnswer("a lighthouse at dusk", true), QStringLiteral("a lighthouse at dusk")); // nothing else
    llm::GenerationStats stats;
    stats.generatedTokens = ui::describeSettings().maxTokens;
    QVERIFY(ui::cutShort(stats));
    stats.generatedTokens -= 1; // the model stopped by itself
    QVERIFY(!ui::cutShort(stats));
}

void TestDescribe::offWithoutAChatModel()
{
    // Nothing in the models folder a chat could use.
    QVERIFY(QFile::remove(gemmaPath()));
    useChatModel({});
    openWindow();
    show("libraryAction");
    QVERIFY(!addChosenPicture(squarePicture()).isEmpty());
    QPushButton* button = libraryButton();
    QVERIFY(button && button->isVisible());
    QTRY_VERIFY2(tip(button).contains("No chat model is chosen"), qPrintable(tip(button)));
    QVERIFY(!button->isEnabled());
    QVERIFY(library()->findChild<QPushButton*>("askButton")->isEnabled()); // the other actions are on
    saveShot(mWindow.get(), "describe-no-model.png");
}

void TestDescribe::offForAModelWithoutProjector()
{
    // The catalogue offers a vision projector for the model's architecture: the tooltip names it.
    const QString catalogue = paths::dataDir() + "/catalogue-with-projector.json";
    QFile file(catalogue);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write(R"({"version": 1, "models": [{"id": "tiny-qwen2-mmproj", "name": "Tiny Qwen2 vision projector",
        "kind": "vision projector", "architecture": "qwen2", "licence": "MIT",
        "urls": ["https://example.com/mmproj-tiny-qwen2.gguf"], "file": "mmproj-tiny-qwen2.gguf",
        "memory": 1000000}]})");
    file.close();
    qputenv("ATELIER_CATALOGUE", catalogue.toUtf8());
    useChatModel(qwenPath());
    openWindow();
    chat()->catalog().addFile(qwenPath());
    show("libraryAction");
    QVERIFY(!addChosenPicture(squarePicture()).isEmpty());
    QPushButton* button = libraryButton();
    QTRY_VERIFY2(tip(button).contains("tiny_qwen2.gguf cannot read pictures"), qPrintable(tip(button)));
    QVERIFY(!button->isEnabled());
    QVERIFY2(tip(button).contains("mmproj*.gguf") &&
                 tip(button).contains(QDir::toNativeSeparators(QFileInfo(qwenPath()).path())),
             qPrintable(tip(button)));
    QVERIFY2(tip(button).contains("File > Models… offers Tiny Qwen2 vision projector"), qPrintable(tip(button)));
    // Hovering the disabled button shows why.
    const QPoint inside = button->rect().center();
    QHelpEvent hover(QEvent::ToolTip, inside, button->mapToGlobal(inside));
    QApplication::sendEvent(button, &hover);
    QTRY_VERIFY(QToolTip::isVisible());
    QCOMPARE(QToolTip::text(), button->toolTip());
    if (const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS"); !dir.isEmpty()) {
        QTest::qWait(300); // painted
        mWindow->screen()->grabWindow(0).save(dir + "/describe-no-projector-tooltip.png");
    }
    QToolTip::hideText();

    // Create's buttons say the same.
    show("createAction");
    auto* finishedButton = create()->findChild<QPushButton*>("describePictureButton");
    auto* initButton = create()->findChild<QPushButton*>("describeInitButton");
    QVERIFY(finishedButton && initButton);
    create()->setInitImage(squarePicture());
    QTRY_VERIFY(tip(initButton).contains("cannot read pictures"));
    QVERIFY(!initButton->isEnabled() && !finishedButton->isEnabled());
}

void TestDescribe::libraryPictureBecomesCreatesPrompt()
{
    openWindow();
    create()->setPrompt(QStringLiteral("what was there before"));
    show("libraryAction");
    const QString picture = addChosenPicture(squarePicture());
    QVERIFY(!picture.isEmpty());
    QPushButton* button = libraryButton();
    QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), 20000);
    QVERIFY2(tip(button).contains("tiny_gemma3.gguf"), qPrintable(tip(button)));
    saveShot(mWindow.get(), "describe-library.png");

    QSignalSpy finished(describer(), &ui::PictureDescriber::finished);
    QSignalSpy failed(describer(), &ui::PictureDescriber::failed);
    QTest::mouseClick(button, Qt::LeftButton);
    // Under way: the button waits, the details show what is going on with a Cancel.
    QVERIFY(describer()->busy());
    QVERIFY(!button->isEnabled());
    auto* status = library()->findChild<ui::DescribeStatus*>();
    QVERIFY(status && status->isVisible());
    QVERIFY(status->findChild<QPushButton*>("describeCancelButton")->isVisible());
    QVERIFY2(finished.wait(kDescribeTimeoutMs) || !failed.isEmpty(), "no description came back");
    if (!failed.isEmpty())
        QFAIL(qPrintable(failed.first().first().toString()));

    // Create is on show with the prompt the model wrote.
    const QString prompt = finished.first().first().toString();
    QVERIFY(!prompt.isEmpty());
    QCOMPARE(shownWorkspace(), create());
    QCOMPARE(create()->prompt(), prompt);
    QCOMPARE(create()->form()->promptEdit()->toPlainText(), prompt);
    QTRY_VERIFY(!status->isVisible());
    QTRY_VERIFY(button->isEnabled());
    saveShot(mWindow.get(), "describe-create-prompt.png");

    // The same as a ChatSession answers the instruction about the picture, and the command line prints.
    QCOMPARE(prompt, referencePrompt(picture));
    // The picture was read: its place in the prompt is counted alike (a tiny random model may write
    // the same words without it).
    QVERIFY(describer()->lastPromptTokens() > 18);
    QCOMPARE(describer()->lastPromptTokens(), mReferenceTokens);
    QCOMPARE(commandLinePrompt(picture), prompt);
}

void TestDescribe::createsPicturesToo()
{
    openWindow();
    show("createAction");
    const QString expected = referencePrompt(squarePicture());
    QVERIFY2(!expected.startsWith('('), qPrintable(expected));

    // The finished picture's row.
    QFile png(squarePicture());
    QVERIFY(png.open(QIODevice::ReadOnly));
    ui::ImageResult result;
    result.png = png.readAll();
    result.image = QImage::fromData(result.png);
    result.parameters.seed = 11;
    auto* actions = create()->findChild<ui::PictureActions*>();
    actions->setPicture(result);
    auto* finishedButton = create()->findChild<QPushButton*>("describePictureButton");
    QTRY_VERIFY(finishedButton->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(finishedButton->isEnabled(), 20000);
    create()->setPrompt({});
    QSignalSpy finished(describer(), &ui::PictureDescriber::finished);
    QTest::mouseClick(finishedButton, Qt::LeftButton);
    QVERIFY(create()->findChild<ui::DescribeStatus*>()->isVisible());
    saveShot(mWindow.get(), "describe-create-running.png");
    QVERIFY(finished.wait(kDescribeTimeoutMs));
    QCOMPARE(create()->prompt(), expected);

    // The init picture's.
    auto* initButton = create()->findChild<QPushButton*>("describeInitButton");
    QVERIFY(!initButton->isEnabled()); // no init picture yet
    create()->setInitImage(squarePicture());
    QTRY_VERIFY(initButton->isEnabled());
    create()->setPrompt({});
    QTest::mouseClick(initButton, Qt::LeftButton);
    QVERIFY(finished.wait(kDescribeTimeoutMs));
    QCOMPARE(create()->prompt(), expected);
    QCOMPARE(shownWorkspace(), create());
    saveShot(mWindow.get(), "describe-create-init.png");
}

void TestDescribe::unreadablePicture()
{
    openWindow();
    create()->setPrompt(QStringLiteral("keep me"));
    show("libraryAction");
    const QString picture = addChosenPicture(squarePicture());
    QVERIFY(!picture.isEmpty());
    QPushButton* button = libraryButton();
    QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), 20000);
    { // the file was damaged after it was added
        QFile damaged(picture);
        QVERIFY(damaged.open(QIODevice::WriteOnly | QIODevice::Truncate));
        damaged.write("this is no picture");
    }
    QSignalSpy failed(describer(), &ui::PictureDescriber::failed);
    QTest::mouseClick(button, Qt::LeftButton);
    QVERIFY(failed.wait(kDescribeTimeoutMs));
    const QString message = failed.first().first().toString();
    QVERIFY2(message.contains(QFileInfo(picture).fileName()) && message.contains("cannot be read"), qPrintable(message));
    auto* status = library()->findChild<ui::DescribeStatus*>();
    QVERIFY(status->isVisible());
    QVERIFY(status->findChild<QLabel*>("describeText")->text().contains("cannot be read"));
    QVERIFY(!status->findChild<QPushButton*>("describeCancelButton")->isVisible());
    saveShot(mWindow.get(), "describe-unreadable.png");
    QCOMPARE(shownWorkspace(), library());
    QCOMPARE(create()->prompt(), QStringLiteral("keep me"));
    QTRY_VERIFY(button->isEnabled());
    QTest::mouseClick(status->findChild<QToolButton*>("describeDismissButton"), Qt::LeftButton);
    QVERIFY(!status->isVisible());
}

void TestDescribe::cancelWhileWaiting()
{
    openWindow();
    create()->setPrompt(QStringLiteral("keep me"));
    show("libraryAction");
    QVERIFY(!addChosenPicture(squarePicture()).isEmpty());
    QPushButton* button = libraryButton();
    QTRY_VERIFY_WITH_TIMEOUT(button->isEnabled(), 20000);

    // The compute thread is held, so the description is still waiting when Cancel is clicked.
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto releaseOnExit = qScopeGuard([release] { release->store(true); });
    mEngine->submit(std::make_unique<engine::FunctionJob>("hold the engine", [release](engine::JobContext&) {
        while (!release->load())
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return Result<QVariant>(QVariant());
    }));
    QSignalSpy cancelled(describer(), &ui::PictureDescriber::cancelled);
    QSignalSpy finished(describer(), &ui::PictureDescriber::finished);
    QTest::mouseClick(button, Qt::LeftButton);
    auto* status = library()->findChild<ui::DescribeStatus*>();
    QVERIFY(status->isVisible());
    QTest::qWait(100);
    QVERIFY(describer()->busy()); // the UI goes on while it waits
    saveShot(mWindow.get(), "describe-library-waiting.png");
    QTest::mouseClick(status->findChild<QPushButton*>("describeCancelButton"), Qt::LeftButton);
    release->store(true);
    QVERIFY(cancelled.wait(kDescribeTimeoutMs));
    QVERIFY(finished.isEmpty());
    QVERIFY(!describer()->busy());
    QTRY_VERIFY(!status->isVisible());
    QTRY_VERIFY(button->isEnabled());
    QCOMPARE(create()->prompt(), QStringLiteral("keep me"));
    QCOMPARE(shownWorkspace(), library());
}

void TestDescribe::chatAnswerAboutAPictureIsAnImagePrompt()
{
    openWindow();
    show("chatAction");
    QTRY_VERIFY(!chat()->catalog().models().isEmpty());
    chat()->askAboutPicture(squarePicture());
    QWidget* input = chat()->findChild<QWidget*>("chatInput");
    input->setFocus();
    QTest::keyClicks(input, "Describe this picture");
    QTest::keyClick(input, Qt::Key_Return);
    QVERIFY(QTest::qWaitFor([this] { return chat()->chatEngine().answering(); }, 10000) ||
            !chat()->findChild<ui::MessageView*>("messageView")->messageWidgets().isEmpty());
    QVERIFY(QTest::qWaitFor([this] { return !chat()->chatEngine().answering() && !chat()->chatEngine().loading(); },
                            kDescribeTimeoutMs));
    const QList<ui::MessageWidget*> shown = chat()->findChild<ui::MessageView*>("messageView")->messageWidgets();
    QCOMPARE(shown.size(), 2);
    QCOMPARE(shown[0]->findChildren<QToolButton*>("pictureThumbnail").size(), 1); // the question showed it
    const QString answer = shown[1]->text();
    QVERIFY(!answer.isEmpty());
    auto* usePrompt = shown[1]->findChild<QToolButton*>("imagePromptButton");
    QVERIFY(usePrompt);
    QTRY_VERIFY(usePrompt->isVisible() && usePrompt->isEnabled());
    saveShot(mWindow.get(), "describe-chat-answer.png");
    QTest::mouseClick(usePrompt, Qt::LeftButton);
    QCOMPARE(shownWorkspace(), create());
    QCOMPARE(create()->prompt(), answer);

    // Describing the same picture now, on the session that holds that conversation (the picture's
    // place in its KV cache reused), writes what a fresh session does.
    show("libraryAction");
    const QString picture = addChosenPicture(squarePicture());
    QTRY_VERIFY_WITH_TIMEOUT(libraryButton()->isEnabled(), 20000);
    QSignalSpy finished(describer(), &ui::PictureDescriber::finished);
    QTest::mouseClick(libraryButton(), Qt::LeftButton);
    QVERIFY(finished.wait(kDescribeTimeoutMs));
    QCOMPARE(create()->prompt(), referencePrompt(picture));
}

int main(int argc, char** argv)
{
    QApplication app(argc, argv);
    QCoreApplication::setOrganizationName("AtelierTest");
    QCoreApplication::setApplicationName("tst_describe");
    TestDescribe test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_describe.moc"

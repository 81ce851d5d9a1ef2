// What Create shows while a picture forms and when it ends, in the real window with the golden
// SD 1.x model: the Parameters panel holds the run's own parameters from its start (not the
// previous picture's), the finished picture's when it ends, and the last finished picture's again
// when a run is cancelled or fails; the picture stays where the last preview was when it finishes.
//
// ATELIER_SCREENSHOTS=DIR writes the window at the last preview and after the end of each run.

#include "engine_jobs.h"
#include "window_fixture.h"
#include "core/app_paths.h"
#include "create/create_workspace.h"
#include "create/picture_view.h"
#include "diffusion/generation_parameters.h"
#include "engine/compute_engine.h"
#include "main_window.h"

#include <QAction>
#include <QComboBox>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QtTest>

using namespace atelier;

namespace {

constexpr int kDeviceTimeoutMs = 60000;
constexpr int kPictureTimeoutMs = 120000;

// Where a widget's rectangle lies in its window.
QRect inWindow(const QWidget* widget, const QRect& rect)
{
    return QRect(widget->mapTo(widget->window(), rect.topLeft()), rect.size());
}

} // namespace

class TestCreateForming : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void thePictureStaysPutWhenItFinishes_data();
    void thePictureStaysPutWhenItFinishes();
    void parametersAreTheFormingPicturesFromItsStart();
    void aCancelledRunGivesBackTheLastPicture();
    void aFailedRunGivesBackTheLastPicture();

private:
    template <typename T>
    T* find(const char* name) const
    {
        return test::childNamed<T>(mCreate, name);
    }
    void fill(const QString& prompt, int steps, const QString& seed);
    ui::ImageResult make(const QString& prompt, int steps, const QString& seed);
    QString parameters() const { return find<QPlainTextEdit>("pictureParameters")->toPlainText(); }
    void shoot(const QString& name) const;

    engine::ComputeEngine* mEngine = nullptr;
    std::unique_ptr<ui::MainWindow> mWindow;
    ui::CreateWorkspace* mCreate = nullptr;
};

void TestCreateForming::initTestCase()
{
    test::useFreshSettings();
    QVERIFY(test::installModel(QStringLiteral(ATELIER_GOLDEN_SD1), paths::modelsDir() + "/golden_sd1.safetensors"));
    mEngine = new engine::ComputeEngine(this);
    QVERIFY2(test::startEngine(*mEngine, kDeviceTimeoutMs), "the Vulkan device did not open");
}

void TestCreateForming::cleanupTestCase() { QCOMPARE(test::validationMessages(*mEngine), 0); }

void TestCreateForming::init()
{
    // The whole window: its status bar shows every job too.
    mWindow = std::make_unique<ui::MainWindow>(*mEngine);
    mWindow->resize(1280, 800);
    mWindow->show();
    QVERIFY(QTest::qWaitForWindowExposed(mWindow.get()));
    mWindow->findChild<QAction*>("createAction")->trigger();
    mCreate = mWindow->findChild<ui::CreateWorkspace*>();
    QVERIFY(mCreate && mCreate->isVisible());
    QCOMPARE(find<QComboBox>("imageModel")->currentText(), QStringLiteral("golden_sd1"));
    find<QSpinBox>("width")->setValue(64);
    find<QSpinBox>("height")->setValue(64);
}

void TestCreateForming::cleanup()
{
    mCreate->imageEngine()->cancelAll();
    QTRY_VERIFY_WITH_TIMEOUT(!mCreate->imageEngine()->busy(), kPictureTimeoutMs);
    mCreate = nullptr;
    mWindow.reset();
}

void TestCreateForming::fill(const QString& prompt, int steps, const QString& seed)
{
    find<QPlainTextEdit>("prompt")->setPlainText(prompt);
    find<QPlainTextEdit>("negativePrompt")->clear(); // the form keeps the last test's
    find<QSpinBox>("steps")->setValue(steps);
    find<QLineEdit>("seed")->setText(seed);
}

ui::ImageResult TestCreateForming::make(const QString& prompt, int steps, const QString& seed)
{
    fill(prompt, steps, seed);
    QSignalSpy done(mCreate, &ui::CreateWorkspace::pictureFinished);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    if (!done.wait(kPictureTimeoutMs))
        qFatal("no picture for %s", qPrintable(prompt));
    return done.first().at(0).value<ui::ImageResult>();
}

void TestCreateForming::shoot(const QString& name) const
{
    if (const QString dir = qEnvironmentVariable("ATELIER_SCREENSHOTS"); !dir.isEmpty() && QDir().mkpath(dir))
        mWindow->grab().save(dir + "/" + name + ".png");
}

void TestCreateForming::thePictureStaysPutWhenItFinishes_data()
{
    QTest::addColumn<bool>("pictureBefore");
    QTest::newRow("first picture") << false;
    QTest::newRow("after a picture") << true;
}

void TestCreateForming::thePictureStaysPutWhenItFinishes()
{
    // The first picture is when its actions first appear; a later one replaces a finished picture.
    QFETCH(bool, pictureBefore);
    if (pictureBefore)
        make("a red circle", 2, "5");
    auto* view = mCreate->pictureView();
    const QString shot = pictureBefore ? "forming-after-a-picture" : "forming-first-picture";
    QRect previewArea, previewPicture;
    // Queued after the workspace's own connection, so the view already shows the preview.
    const auto connection = connect(mCreate->imageEngine(), &ui::ImageEngine::preview, this,
                                    [&](engine::JobId, int step, int steps, const QImage&) {
                                        if (step + 1 < steps)
                                            return;
                                        previewArea = inWindow(view, view->rect());
                                        previewPicture = inWindow(view, view->pictureRect().toAlignedRect());
                                        shoot(shot + "-last-preview");
                                    });
    const ui::ImageResult made = make("a blue square", 4, "6");
    disconnect(connection);
    QVERIFY(!previewPicture.isEmpty());
    QTest::qWait(50); // the layout settled and painted
    shoot(shot + "-finished");
    QCOMPARE(view->image(), made.image);
    QCOMPARE(inWindow(view, view->rect()), previewArea);
    QCOMPARE(inWindow(view, view->pictureRect().toAlignedRect()), previewPicture);
}

void TestCreateForming::parametersAreTheFormingPicturesFromItsStart()
{
    // A finished picture's parameters are on show...
    const ui::ImageResult first = make("a red circle", 2, "5");
    QCOMPARE(parameters(), diffusion::formatA1111(first.parameters));

    // ...and a new run's previews come with the parameters it was started with, not those.
    fill("a blue square", 3, "6");
    find<QPlainTextEdit>("negativePrompt")->setPlainText("green");
    QSignalSpy done(mCreate, &ui::CreateWorkspace::pictureFinished);
    QStringList during;
    const auto connection = connect(mCreate->imageEngine(), &ui::ImageEngine::preview, this,
                                    [&](engine::JobId, int step, int, const QImage&) {
                                        during.append(parameters());
                                        if (step == 0)
                                            shoot("forming-parameters-at-the-first-preview");
                                    });
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    QVERIFY(done.wait(kPictureTimeoutMs));
    disconnect(connection);
    QCOMPARE(during.size(), 3);
    for (const QString& text : during) {
        QVERIFY2(text.startsWith("a blue square\nNegative prompt: green\n"), qPrintable(text));
        QVERIFY2(text.contains("Steps: 3, Sampler: Euler a, CFG scale: 7, Seed: 6, Size: 64x64, Model: golden_sd1"),
                 qPrintable(text));
        QVERIFY2(!text.contains("red circle"), qPrintable(text));
    }

    // The finished picture brings its own, model hash and version included.
    const ui::ImageResult second = done.first().at(0).value<ui::ImageResult>();
    QCOMPARE(parameters(), diffusion::formatA1111(second.parameters));
    QVERIFY(parameters().contains("Model hash: "));
}

void TestCreateForming::aCancelledRunGivesBackTheLastPicture()
{
    // Cancel during a long run: the preview, the run's parameters and the progress go; the last
    // finished picture comes back with its parameters and actions.
    const ui::ImageResult first = make("a red circle", 2, "5");
    fill("a green triangle", 150, "7");
    QSignalSpy previews(mCreate->imageEngine(), &ui::ImageEngine::preview);
    QSignalSpy cancelled(mCreate->imageEngine(), &ui::ImageEngine::cancelled);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    QVERIFY(previews.wait(kPictureTimeoutMs));
    QVERIFY2(parameters().contains("Seed: 7"), qPrintable(parameters()));
    QVERIFY(!find<QWidget>("pictureActions")->isVisible()); // they would act on a picture not on show
    QVERIFY(!mCreate->hasPicture());
    QTest::mouseClick(find<QPushButton>("cancelButton"), Qt::LeftButton);
    QVERIFY(cancelled.wait(kPictureTimeoutMs));
    shoot("forming-cancelled");
    QCOMPARE(find<QLabel>("createStatus")->text(), QStringLiteral("Cancelled"));
    QCOMPARE(parameters(), diffusion::formatA1111(first.parameters));
    QCOMPARE(mCreate->pictureView()->image(), first.image);
    QVERIFY(find<QWidget>("pictureActions")->isVisible());
    QVERIFY(mCreate->hasPicture());
}

void TestCreateForming::aFailedRunGivesBackTheLastPicture()
{
    // A size the model refuses fails the run at its start: its banner, and the last finished
    // picture with its parameters, not the failed run's.
    const ui::ImageResult first = make("a red circle", 2, "5");
    fill("a yellow star", 2, "8");
    find<QSpinBox>("width")->setValue(80); // the golden UNet needs multiples of 32 pixels
    QSignalSpy failed(mCreate->imageEngine(), &ui::ImageEngine::failed);
    QTest::mouseClick(find<QPushButton>("generateButton"), Qt::LeftButton);
    QVERIFY(failed.wait(kPictureTimeoutMs));
    QTRY_VERIFY(find<QLabel>("createStatus")->text().contains("multiple of 32"));
    shoot("forming-failed");
    QCOMPARE(parameters(), diffusion::formatA1111(first.parameters));
    QCOMPARE(mCreate->pictureView()->image(), first.image);
    QVERIFY(find<QWidget>("pictureActions")->isVisible());
}

QTEST_MAIN(TestCreateForming)
#include "tst_create_forming.moc"

// The gallery as a user meets it: thumbnails newest first, the filter bar, delete and undo, the
// details pane's buttons, full size, drag out and drop in.

#include "file_dialog.h"
#include "tst_library.h"

#include "core/app_paths.h"
#include "create/create_workspace.h"
#include "create/image_engine.h"
#include "engine/compute_engine.h"
#include "io/png_text.h"
#include "library/library_workspace.h"
#include "library/picture_model.h"
#include "library/picture_viewer.h"
#include "library/thumbnail_cache.h"
#include "main_window.h"
#include "test_result.h"

#include <QtTest>
#include <QtWidgets>

using namespace atelier;

namespace {

QStringList promptsShown(QListView* grid)
{
    QStringList prompts;
    for (int row = 0; row < grid->model()->rowCount(); ++row)
        prompts << grid->model()->index(row, 0).data(Qt::AccessibleTextRole).toString();
    return prompts;
}

void clickRow(QListView* grid, int row, bool twice = false)
{
    const QModelIndex index = grid->model()->index(row, 0);
    QTRY_VERIFY(grid->isVisible());
    grid->scrollTo(index);
    const QPoint at = grid->visualRect(index).center();
    QTest::mouseClick(grid->viewport(), Qt::LeftButton, {}, at);
    if (twice) // Qt Test's double-click is the second click only
        QTest::mouseDClick(grid->viewport(), Qt::LeftButton, {}, at);
}

void click(QWidget* parent, const char* name)
{
    auto* button = parent->findChild<QAbstractButton*>(QString::fromLatin1(name));
    QVERIFY2(button, name);
    QTRY_VERIFY2(button->isVisible() && button->isEnabled(), name);
    QTest::mouseClick(button, Qt::LeftButton);
}


// The File menu, opened as a user opens it (its actions are brought up to date as it shows).
QMenu* openFileMenu(QMainWindow& window)
{
    QMenu* file = window.menuBar()->actions().first()->menu();
    file->popup(window.mapToGlobal(QPoint(10, 10)));
    QTest::qWaitFor([file] { return file->isVisible(); }, 2000);
    return file;
}

} // namespace

void TestLibrary::galleryShowsNewestFirst()
{
    QVERIFY(openWorkspace());
    auto* heading = find<QLabel>("emptyStateHeading");
    QVERIFY(heading && heading->isVisible()); // no pictures yet: the empty state says so
    addPicture(QStringLiteral("first"), QStringLiteral("sd15"), 1);
    addPicture(QStringLiteral("second"), QStringLiteral("sd15"), 2);
    addPicture(QStringLiteral("third"), QStringLiteral("sd21"), 3);
    auto* grid = find<QListView>("galleryView");
    QTRY_VERIFY(grid->isVisible());
    QCOMPARE(promptsShown(grid), (QStringList{"third", "second", "first"}));
    QCOMPARE(find<QLabel>("galleryCount")->text(), QStringLiteral("3 pictures"));

    // Thumbnails arrive from the workers and stay on disk for the next time.
    QTRY_COMPARE(mLibrary->thumbnails().made(), 3);
    for (int row = 0; row < 3; ++row)
        QVERIFY(QFile::exists(mLibrary->thumbnails().cachePath(grid->model()->index(row, 0).data(ui::PictureModel::IdRole).toLongLong())));

    // Clicking one shows what made it.
    clickRow(grid, 1);
    QTRY_COMPARE(find<QPlainTextEdit>("parametersText")->toPlainText(),
                 diffusion::formatA1111(test::parametersFor("second", "sd15", 2)));
    QVERIFY(find<QLabel>("pictureSummary")->text().contains("sd15"));
    QVERIFY(find<QLabel>("pictureSummary")->text().contains("1.5 s"));

    // Opened again, the gallery reads the same pictures and thumbnails from disk.
    mLibrary.reset();
    QVERIFY(openWorkspace());
    QCOMPARE(promptsShown(find<QListView>("galleryView")), (QStringList{"third", "second", "first"}));
}

void TestLibrary::filterByTextModelAndDate()
{
    QVERIFY(openWorkspace());
    addPicture(QStringLiteral("a black cat"), QStringLiteral("sd15"), 1);
    addPicture(QStringLiteral("a dog in the rain"), QStringLiteral("sd15"), 2);
    addPicture(QStringLiteral("Cat on a roof"), QStringLiteral("sd21"), 3);
    auto* grid = find<QListView>("galleryView");

    auto* search = find<QLineEdit>("gallerySearch");
    QTest::keyClicks(search, "cat");
    QTRY_COMPARE(promptsShown(grid), (QStringList{"Cat on a roof", "a black cat"}));
    QCOMPARE(find<QLabel>("galleryCount")->text(), QStringLiteral("2 pictures"));

    auto* models = find<QComboBox>("modelFilter");
    QCOMPARE(models->count(), 3); // All models, sd15, sd21
    models->setFocus();
    QTest::keyClick(models, Qt::Key_Down);
    QCOMPARE(models->currentText(), QStringLiteral("sd15"));
    QTRY_COMPARE(promptsShown(grid), QStringList{"a black cat"});

    search->clear();
    QTRY_COMPARE(promptsShown(grid), (QStringList{"a dog in the rain", "a black cat"}));

    // From tomorrow on: nothing, and the gallery says so.
    find<QDateEdit>("fromDate")->setDate(QDate::currentDate().addDays(1));
    QTRY_COMPARE(grid->model()->rowCount(), 0);
    QTRY_VERIFY(find<QLabel>("galleryEmpty")->isVisible());
    find<QDateEdit>("fromDate")->setDate(QDate::currentDate());
    QTRY_COMPARE(grid->model()->rowCount(), 2);
}

void TestLibrary::deleteAndUndo()
{
    QVERIFY(openWorkspace());
    addPicture(QStringLiteral("one"), QStringLiteral("sd15"), 1);
    const qint64 two = addPicture(QStringLiteral("two"), QStringLiteral("sd15"), 2);
    addPicture(QStringLiteral("three"), QStringLiteral("sd15"), 3);
    auto* grid = find<QListView>("galleryView");
    ASSIGN_OR_FAIL(const store::PictureRecord record, mStore->picture(two));
    const QString file = mStore->absolutePath(record.file);

    clickRow(grid, 1);
    click(mLibrary.get(), "deleteButton");
    QCOMPARE(promptsShown(grid), (QStringList{"three", "one"}));
    QVERIFY(find<QWidget>("undoBar")->isVisible());
    ASSIGN_OR_FAIL(const int left, mStore->count({}));
    QCOMPARE(left, 2);

    click(mLibrary.get(), "undoButton");
    QCOMPARE(promptsShown(grid), (QStringList{"three", "two", "one"}));
    QCOMPARE(grid->currentIndex().data(ui::PictureModel::IdRole).toLongLong(), two);
    QVERIFY(!find<QWidget>("undoBar")->isVisible());

    // Del on the grid, not undone: gone for good the next time the Library opens, file included.
    grid->setFocus();
    QTest::keyClick(grid, Qt::Key_Delete);
    QCOMPARE(promptsShown(grid), (QStringList{"three", "one"}));
    QVERIFY(QFile::exists(file));
    mLibrary.reset();
    QVERIFY(openWorkspace());
    QCOMPARE(promptsShown(find<QListView>("galleryView")), (QStringList{"three", "one"}));
    QVERIFY(!QFile::exists(file));
    QVERIFY(!mStore->picture(two).ok());
}

void TestLibrary::detailsButtons()
{
    QVERIFY(openWorkspace());
    const qint64 id = addPicture(QStringLiteral("a castle at dusk"), QStringLiteral("sd15"), 77);
    ASSIGN_OR_FAIL(const store::PictureRecord record, mStore->picture(id));
    const QString path = mStore->absolutePath(record.file);
    clickRow(find<QListView>("galleryView"), 0);

    QSignalSpy reuse(mLibrary.get(), &ui::LibraryWorkspace::reuseParameters);
    QSignalSpy img2img(mLibrary.get(), &ui::LibraryWorkspace::sendToImg2img);
    QSignalSpy inpaint(mLibrary.get(), &ui::LibraryWorkspace::sendToInpaint);
    click(mLibrary.get(), "reuseButton");
    QCOMPARE(reuse.size(), 1);
    const auto p = reuse.first().first().value<diffusion::GenerationParameters>();
    QVERIFY(p == test::parametersFor("a castle at dusk", "sd15", 77));
    click(mLibrary.get(), "img2imgButton");
    QCOMPARE(img2img.value(0).value(0).toString(), path);
    click(mLibrary.get(), "inpaintButton");
    QCOMPARE(inpaint.value(0).value(0).toString(), path);
    click(mLibrary.get(), "copyPromptButton");
    QCOMPARE(QGuiApplication::clipboard()->text(), QStringLiteral("a castle at dusk"));
}

void TestLibrary::sourceLinkSelectsTheSource()
{
    QVERIFY(openWorkspace());
    const qint64 source = addPicture(QStringLiteral("a red circle"), QStringLiteral("sd15"), 1);
    store::PictureRecord child =
        store::PictureRecord::fromParameters(test::parametersFor("a blue circle", "sd15", 2), store::PictureKind::Inpaint);
    child.parentId = source;
    ASSIGN_OR_FAIL(const store::PictureRecord added, mLibrary->addPicture(child, test::tinyPng(Qt::blue)));
    for (int i = 0; i < 3; ++i)
        addPicture(QStringLiteral("filler %1").arg(i), QStringLiteral("sd15"), 10 + i);

    // Only the inpaint is shown: the filter hides its source.
    auto* grid = find<QListView>("galleryView");
    find<QLineEdit>("gallerySearch")->setText(QStringLiteral("blue"));
    QTRY_COMPARE(promptsShown(grid), QStringList{"a blue circle"});
    clickRow(grid, 0);
    auto* summary = find<QLabel>("pictureSummary");
    QTRY_VERIFY(summary->text().contains(QStringLiteral("from picture %1").arg(source)));
    QVERIFY(summary->text().contains(QStringLiteral("href=\"picture:%1\"").arg(source)));

    // The link, followed from the keyboard (Tab to it, Enter): the source is chosen and shown.
    summary->setFocus();
    QTest::keyClick(summary, Qt::Key_Tab);
    QTest::keyClick(summary, Qt::Key_Return);
    QTRY_COMPARE(mLibrary->pictures().record(grid->currentIndex().row()).id, source);
    QCOMPARE(find<QLineEdit>("gallerySearch")->text(), QString());
    QCOMPARE(grid->model()->rowCount(), 5);
    QTRY_VERIFY(find<QLabel>("pictureSummary")->text().contains(QStringLiteral("seed 1")));
    QVERIFY(added.id != source);

    // A source deleted since is said, not followed.
    QVERIFY(!mLibrary->showSource(987654));
    QVERIFY(find<QLabel>("libraryMessage")->text().contains("987654"));
}

void TestLibrary::fileMenuExportsThePicture()
{
    QVERIFY(openDatabase());
    const qint64 id = addPicture(QStringLiteral("exported"), QStringLiteral("sd15"), 5);
    ASSIGN_OR_FAIL(const store::PictureRecord record, mStore->picture(id));
    const QString source = mStore->absolutePath(record.file);
    closeAll();
    const QString target = paths::dataDir() + QStringLiteral("/exported copy.png");
    QFile::remove(target);
    auto removeTarget = qScopeGuard([&] { QFile::remove(target); });

    engine::ComputeEngine engine; // never started: exporting needs no GPU
    ui::MainWindow window(engine);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto* exportPicture = window.findChild<QAction*>("exportPictureAction");
    QVERIFY(exportPicture);

    // In Chat there is no picture to export; in the Library the chosen one is.
    window.findChild<QAction*>("chatAction")->trigger();
    QMenu* file = openFileMenu(window);
    QVERIFY(file->actions().contains(exportPicture));
    QVERIFY(!exportPicture->isEnabled());
    file->hide();
    window.findChild<QAction*>("libraryAction")->trigger();
    auto* library = window.findChild<ui::LibraryWorkspace*>();
    clickRow(library->findChild<QListView*>("galleryView"), 0);
    QVERIFY(library->hasPicture());
    file = openFileMenu(window);
    QVERIFY(exportPicture->isEnabled());
    file->hide();

    test::answerFileDialog(target);
    exportPicture->trigger();
    QTRY_VERIFY(QFile::exists(target));
    QFile in(source), out(target);
    QVERIFY(in.open(QIODevice::ReadOnly) && out.open(QIODevice::ReadOnly));
    QCOMPARE(out.readAll(), in.readAll()); // the gallery's PNG, its parameters chunk included
}

void TestLibrary::opensFullSize()
{
    QVERIFY(openWorkspace());
    store::PictureRecord record =
        store::PictureRecord::fromParameters(test::parametersFor("big", "sd15", 5), store::PictureKind::Txt2Img);
    VERIFY_OK(mLibrary->addPicture(record, test::tinyPng(Qt::magenta, {1600, 1200})));
    clickRow(find<QListView>("galleryView"), 0, true);
    auto* viewer = find<ui::PictureViewer>("pictureViewer");
    QTRY_VERIFY(viewer->isVisible());
    QTRY_VERIFY(viewer->loaded());
    // Fitted: the whole picture in the window, smaller than its own pixels.
    QVERIFY2(viewer->zoom() < 1.0, qPrintable(QString::number(viewer->zoom())));
    const double fitted = viewer->zoom();
    QTest::keyClick(viewer, Qt::Key_1);
    QCOMPARE(viewer->zoom(), 1.0);
    QCOMPARE(find<QLabel>("zoomLabel")->text(), QStringLiteral("100 %"));
    QTest::keyClick(viewer, Qt::Key_0);
    QCOMPARE(viewer->zoom(), fitted);
    QTest::keyClick(viewer, Qt::Key_Escape);
    QTRY_VERIFY(find<QListView>("galleryView")->isVisible());
}

void TestLibrary::dragOutCarriesTheFile()
{
    QVERIFY(openWorkspace());
    const qint64 id = addPicture(QStringLiteral("dragged"), QStringLiteral("sd15"), 9);
    ASSIGN_OR_FAIL(const store::PictureRecord record, mStore->picture(id));
    auto* grid = find<QListView>("galleryView");
    QVERIFY(grid->dragEnabled());
    std::unique_ptr<QMimeData> mime(grid->model()->mimeData({grid->model()->index(0, 0)}));
    QVERIFY(mime);
    QCOMPARE(mime->urls(), QList<QUrl>{QUrl::fromLocalFile(mStore->absolutePath(record.file))});
    const QByteArray png = mime->data(QStringLiteral("image/png"));
    QVERIFY(png.startsWith("\x89PNG"));
    QVERIFY(io::readPngText(png).ok());
}

void TestLibrary::dropImportFillsCreate()
{
    QVERIFY(paths::ensureDir(paths::dataDir()));
    const QString source = paths::dataDir() + QStringLiteral("/from-a1111.png");
    {
        QFile file(source);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(test::tinyPng(Qt::darkGreen, {512, 512}, test::kA1111Text));
    }
    auto removeSource = qScopeGuard([&] { QFile::remove(source); });

    engine::ComputeEngine engine; // never started: dropping needs no GPU
    {
        ui::MainWindow window(engine);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QMimeData mime;
        mime.setUrls({QUrl::fromLocalFile(source), QUrl::fromLocalFile(paths::dataDir() + "/notes.txt")});
        const QPoint at = window.rect().center();
        QDragEnterEvent enter(at, Qt::CopyAction, &mime, Qt::LeftButton, {});
        QCoreApplication::sendEvent(&window, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(at, Qt::CopyAction, &mime, Qt::LeftButton, {});
        QCoreApplication::sendEvent(&window, &drop);
        QVERIFY(drop.isAccepted());

        auto* create = window.findChild<ui::CreateWorkspace*>();
        QCOMPARE(create->prompt(), QStringLiteral("a cat"));
        QVERIFY(create->isVisible());
        auto* library = window.findChild<ui::LibraryWorkspace*>();
        QCOMPARE(library->pictures().rowCount(), 1);
        QCOMPARE(library->pictures().record(0).model, QStringLiteral("sd15"));
        QCOMPARE(library->pictures().record(0).seed, quint64(42));
    }
    // It is in the database the chats use, for the next start too.
    QVERIFY(openDatabase());
    ASSIGN_OR_FAIL(const auto pictures, mStore->pictures({}, {}, 10));
    QCOMPARE(pictures.size(), 1);
    QCOMPARE(pictures.first().prompt, QStringLiteral("a cat"));
    QCOMPARE(pictures.first().negativePrompt, QStringLiteral("dog"));
}

void TestLibrary::finishedPicturesAreRecorded()
{
    engine::ComputeEngine engine; // never started: the picture stands for one Create finished
    ui::MainWindow window(engine);
    auto* create = window.findChild<ui::CreateWorkspace*>();
    auto* library = window.findChild<ui::LibraryWorkspace*>();
    QVERIFY(library->store());

    ui::ImageResult first;
    first.parameters = test::parametersFor(QStringLiteral("a harbour at dawn"), QStringLiteral("sd15"), 11);
    first.png = test::tinyPng(Qt::darkBlue);
    first.seconds = 2.5;
    emit create->pictureFinished(first);
    QCOMPARE(library->pictures().rowCount(), 1);
    const store::PictureRecord made = library->pictures().record(0);
    QCOMPARE(made.prompt, QStringLiteral("a harbour at dawn"));
    QCOMPARE(made.durationMs, qint64(2500));
    QCOMPARE(made.kind, store::PictureKind::Txt2Img);
    QVERIFY(QFile::exists(library->store()->absolutePath(made.file)));

    // An img2img picture made from it knows its parent.
    ui::ImageResult second = first;
    second.parameters.denoisingStrength = 0.5;
    second.request.initImagePath = library->store()->absolutePath(made.file);
    emit create->pictureFinished(second);
    QCOMPARE(library->pictures().rowCount(), 2);
    QCOMPARE(library->pictures().record(0).kind, store::PictureKind::Img2Img);
    QCOMPARE(library->pictures().record(0).parentId, made.id);
    QCOMPARE(library->pictures().record(0).strength.value_or(0), 0.5);
}

#include "main_window.h"

#include "chat/chat_workspace.h"
#include "core/app_paths.h"
#include "create/create_workspace.h"
#include "describe/picture_describer.h"
#include "docs/documents_dialog.h"
#include "engine_status.h"
#include "inpaint/inpaint_record.h"
#include "inpaint/inpaint_workspace.h"
#include "library/library_workspace.h"
#include "models/models_dialog.h"
#include "models/models_folder.h"
#include "preferences_dialog.h"
#include "store/chat_picture_cleanup.h"
#include "store/chat_store.h"
#include "store/database.h"
#include "widgets/navigation_rail.h"
#include "widgets/open_folder.h"
#include "widgets/tinted_icon.h"

#include <QActionGroup>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QFile>
#include <QFrame>
#include <QHBoxLayout>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QSettings>
#include <QStackedWidget>
#include <QStatusBar>
#include <QToolButton>

namespace atelier::ui {

namespace {
const QString geometryKey = QStringLiteral("mainWindow/geometry");
const QString workspaceKey = QStringLiteral("mainWindow/workspace");
const QString appIconPath = QStringLiteral(":/icons/atelier.svg");
} // namespace

MainWindow::MainWindow(engine::ComputeEngine& engine, QWidget* parent)
    : QMainWindow(parent)
    , mDatabase(nullptr)
    , mStack(new QStackedWidget(this))
    , mRail(new NavigationRail(this))
    , mWorkspaceGroup(new QActionGroup(this))
    , mEngineStatus(new EngineStatus(engine, this))
{
    setWindowTitle(tr("Atelier"));
    setWindowIcon(QIcon(appIconPath));
    mStack->setObjectName("workspaces");
    mWorkspaceGroup->setExclusive(true);
    // The Models dialog marks what fits the memory of the device the engine opens.
    connect(&engine, &engine::ComputeEngine::deviceReady, this, [](const engine::DeviceSummary& device) {
        models::rememberDevice(device.type, qint64(device.deviceLocalBytes));
    });

    if (paths::ensureDir(paths::dataDir())) {
        auto database = store::Database::open(paths::databasePath());
        if (database.ok())
            mDatabase = std::move(database).value();
        else
            mDatabaseError = QString::fromStdString(database.error().message);
    } else {
        mDatabaseError = tr("the data folder %1 cannot be created").arg(paths::dataDir());
    }
    mChat = new ChatWorkspace(engine, mDatabase.get(), mDatabaseError, mStack);
    if (mDatabase) // after Chat purged the conversations deleted last time: their pictures go too
        (void)store::removeUnusedChatPictures(*mDatabase, store::chatPicturesDir());
    mCreate = new CreateWorkspace(engine, mStack);
    connect(mChat, &ChatWorkspace::imagePromptRequested, this, &MainWindow::sendToCreate);
    addWorkspace(mChat, QStringLiteral("chat"), tr("&Chat"));
    addWorkspace(mCreate, QStringLiteral("create"), tr("C&reate"));
    mInpaint = new InpaintWorkspace(engine, mStack);
    addWorkspace(mInpaint, QStringLiteral("inpaint"), tr("&Inpaint"));
    mLibrary = new LibraryWorkspace(mDatabase.get(), mDatabaseError, mStack);
    connect(mCreate, &CreateWorkspace::pictureFinished, this, &MainWindow::recordPicture);
    connect(mLibrary, &LibraryWorkspace::reuseParameters, this, &MainWindow::reuseInCreate);
    connect(mLibrary, &LibraryWorkspace::sendToImg2img, this, [this](const QString& path) {
        mCreate->setInitImage(path);
        showWorkspace(mStack->indexOf(mCreate));
    });
    connect(mInpaint, &InpaintWorkspace::pictureFinished, this, &MainWindow::recordInpaint);
    connect(mCreate, &CreateWorkspace::sendToInpaint, this, [this](const QString& path) {
        mInpaint->setPicture(path);
        showWorkspace(mStack->indexOf(mInpaint));
    });
    connect(mLibrary, &LibraryWorkspace::askInChat, this, [this](const QString& path) {
        showWorkspace(mStack->indexOf(mChat));
        mChat->askAboutPicture(path);
    });
    connect(mLibrary, &LibraryWorkspace::sendToInpaint, this, [this](const QString& path) {
        mInpaint->setPicture(path);
        showWorkspace(mStack->indexOf(mInpaint));
    });
    connect(mLibrary, &LibraryWorkspace::promptChosen, this,
            [this](const QString& text, bool image) { image ? sendToCreate(text) : sendToChat(text); });
    connect(mLibrary, &LibraryWorkspace::statusMessage, this, [this](const QString& text) {
        statusBar()->showMessage(text, 10000);
    });
    addWorkspace(mLibrary, QStringLiteral("library"), tr("&Library"));
    // "Describe for Create": Chat's vision model writes Create's prompt from a picture (issue 22).
    auto* describer = new PictureDescriber(engine, mChat->chatEngine(), mChat->catalog(), this);
    mLibrary->setDescriber(describer);
    mCreate->setDescriber(describer);
    connect(describer, &PictureDescriber::finished, this, &MainWindow::sendToCreate);
    setAcceptDrops(true);
    updateIcons();

    auto* separator = new QFrame(this);
    separator->setFrameShape(QFrame::VLine);
    separator->setFrameShadow(QFrame::Plain);
    separator->setForegroundRole(QPalette::Mid);

    auto* central = new QWidget(this);
    auto* layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(mRail);
    layout->addWidget(separator);
    layout->addWidget(mStack, 1);
    setCentralWidget(central);

    statusBar()->addPermanentWidget(mEngineStatus);
    createMenus();
    if (auto* documents = findChild<DocumentsDialog*>()) // collections' embedding models run on the engine
        documents->setComputeEngine(&engine);
    restoreSettings();
}

MainWindow::~MainWindow()
{
    disconnect(mStack, nullptr, this, nullptr); // no export state updates from a half-deleted stack
    delete findChild<DocumentsDialog*>(); // it uses the database too
    delete mStack; // the workspaces use the database: they go first
    mStack = nullptr;
}

void MainWindow::addWorkspace(QWidget* page, const QString& key, const QString& title)
{
    const int index = mStack->addWidget(page);
    auto* action = new QAction(title, this);
    action->setObjectName(key + QStringLiteral("Action"));
    action->setCheckable(true);
    action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + index)));
    action->setToolTip(QStringLiteral("%1 (%2)").arg(action->iconText(),
                                                     action->shortcut().toString(QKeySequence::NativeText)));
    action->setChecked(index == 0);
    mWorkspaceGroup->addAction(action);
    connect(action, &QAction::triggered, this, [this, index] { showWorkspace(index); });
    mRail->addButton(action)->setObjectName(key + QStringLiteral("RailButton"));
    mWorkspaces.append({key, QStringLiteral(":/icons/%1.svg").arg(key), action});
}

void MainWindow::showWorkspace(int index)
{
    mStack->setCurrentIndex(index);
    mStack->currentWidget()->setFocus(Qt::OtherFocusReason); // a workspace with a focus proxy takes the keyboard
    mWorkspaces[index].action->setChecked(true);
    QSettings().setValue(workspaceKey, mWorkspaces[index].key);
}

void MainWindow::createMenus()
{
    QMenu* file = menuBar()->addMenu(tr("&File"));
    QAction* openModels = file->addAction(tr("&Open Models Folder"), this, [this] {
        if (!openFolder(paths::modelsDir()))
            statusBar()->showMessage(tr("Could not open %1").arg(paths::modelsDir()), 10000);
    });
    openModels->setObjectName("openModelsFolderAction");
    QAction* models = file->addAction(tr("&Models…"), this, [this] { showModelsDialog(this); });
    models->setObjectName("modelsAction");
    models->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_M));
    file->addSeparator();
    mExportConversation = file->addAction(tr("Export &Conversation…"), this, [this] {
        if (mChat->currentConversation() != 0)
            mChat->exportConversation(mChat->currentConversation());
    });
    mExportConversation->setObjectName("exportConversationAction");
    mExportConversation->setToolTip(tr("Save the conversation on show in Chat as Markdown or JSON"));
    mExportPicture = file->addAction(tr("Export &Picture…"), this, &MainWindow::exportPicture);
    mExportPicture->setObjectName("exportPictureAction");
    mExportPicture->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_S));
    mExportPicture->setToolTip(tr("Save Create's finished picture, or the Library's chosen one, as a PNG"));
    connect(file, &QMenu::aboutToShow, this, &MainWindow::updateExportActions);
    connect(mStack, &QStackedWidget::currentChanged, this, &MainWindow::updateExportActions);
    updateExportActions();
    file->addSeparator();
    QAction* quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setObjectName("quitAction");
    quit->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Q));
    quit->setMenuRole(QAction::QuitRole);

    QMenu* edit = menuBar()->addMenu(tr("&Edit"));
    QAction* preferences = edit->addAction(tr("&Preferences…"), this, &MainWindow::showPreferences);
    preferences->setObjectName("preferencesAction");
    preferences->setShortcut(QKeySequence::Preferences);
    preferences->setMenuRole(QAction::PreferencesRole);
    if (mDatabase) {
        // Made with the window, so that it watches the collections' folders while the window runs.
        auto* documents = new DocumentsDialog(*mDatabase, this);
        QAction* showDocuments = edit->addAction(tr("&Documents…"), documents, [documents] {
            documents->show();
            documents->raise();
            documents->activateWindow();
        });
        showDocuments->setObjectName("documentsAction");
        showDocuments->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_D));
    }

    QMenu* view = menuBar()->addMenu(tr("&View"));
    view->addActions(mWorkspaceGroup->actions());

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    QAction* about = help->addAction(tr("&About Atelier"), this, &MainWindow::showAbout);
    about->setObjectName("aboutAction");
    about->setMenuRole(QAction::AboutRole);
}

void MainWindow::updateIcons()
{
    for (const Workspace& workspace : std::as_const(mWorkspaces))
        workspace.action->setIcon(tintedIcon(workspace.iconPath, palette()));
}

void MainWindow::showAbout()
{
    auto* box = new QMessageBox(QMessageBox::NoIcon, tr("About Atelier"), {}, QMessageBox::Ok, this);
    box->setObjectName("aboutBox");
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setIconPixmap(QIcon(appIconPath).pixmap(64, 64));
    box->setTextFormat(Qt::PlainText);
    box->setText(tr("Atelier %1").arg(QStringLiteral(ATELIER_VERSION)));
    box->setInformativeText(tr("A local studio for generative AI: chat, create and inpaint on your "
                               "own GPU through Vulkan compute.\n\nGPU: %1\nData folder: %2")
                                .arg(mEngineStatus->deviceDescription(), paths::dataDir()));
    box->open(); // window-modal without a nested event loop
}

void MainWindow::showPreferences()
{
    auto* dialog = new PreferencesDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::updateExportActions()
{
    mExportConversation->setEnabled(mChat->currentConversation() != 0);
    const QWidget* shown = mStack->currentWidget();
    mExportPicture->setEnabled((shown == mCreate && mCreate->hasPicture()) ||
                               (shown == mLibrary && mLibrary->hasPicture()));
}

void MainWindow::exportPicture()
{
    // The picture of the workspace on show; the shortcut may fire while the menu's state is old.
    if (mStack->currentWidget() == mCreate && mCreate->hasPicture())
        mCreate->exportPicture();
    else if (mStack->currentWidget() == mLibrary && mLibrary->hasPicture())
        mLibrary->exportPicture();
    else
        statusBar()->showMessage(tr("No picture to export: finish one in Create or choose one in the Library"), 10000);
}

void MainWindow::sendToCreate(const QString& prompt)
{
    mCreate->setPrompt(prompt);
    showWorkspace(mStack->indexOf(mCreate));
}

void MainWindow::reuseInCreate(const diffusion::GenerationParameters& parameters)
{
    mCreate->setParameters(parameters);
    showWorkspace(mStack->indexOf(mCreate));
}

// Every finished picture goes to the Library at once: its PNG into the gallery folder, its row
// into the database.
void MainWindow::recordPicture(const ImageResult& result)
{
    const bool img2img = !result.request.initImagePath.isEmpty();
    store::PictureRecord record = store::PictureRecord::fromParameters(
        result.parameters, img2img ? store::PictureKind::Img2Img : store::PictureKind::Txt2Img);
    record.durationMs = qRound64(result.seconds * 1000);
    if (img2img && mLibrary->store()) {
        if (auto parent = mLibrary->store()->pictureAt(result.request.initImagePath); parent.ok())
            record.parentId = parent.value();
    }
    if (auto added = mLibrary->addPicture(record, result.png); !added.ok())
        statusBar()->showMessage(tr("The picture was not saved: %1").arg(QString::fromStdString(added.error().message)));
}

// An inpaint goes to the Library like Create's pictures, with its parent and its mask beside it.
void MainWindow::recordInpaint(const ImageResult& result, const QByteArray& maskPng)
{
    store::PictureStore* pictures = mLibrary->store();
    if (!pictures) {
        statusBar()->showMessage(tr("The picture was not saved: %1").arg(mDatabaseError));
        return;
    }
    auto record = inpaintRecord(*pictures, result, maskPng);
    std::string error;
    if (!record.ok()) {
        error = record.error().message;
    } else if (auto added = mLibrary->addPicture(record.value(), result.png); !added.ok()) {
        QFile::remove(pictures->absolutePath(record->maskFile)); // no mask without its picture
        error = added.error().message;
    }
    if (!error.empty())
        statusBar()->showMessage(tr("The picture was not saved: %1").arg(QString::fromStdString(error)));
}

void MainWindow::sendToChat(const QString& text)
{
    // The chat's input, left for the user to edit and send.
    if (auto* input = mChat->findChild<QPlainTextEdit*>(QStringLiteral("chatInput"))) {
        input->setPlainText(text);
        showWorkspace(mStack->indexOf(mChat));
        input->setFocus();
    }
}

namespace {
// Local PNG files among a drag's URLs; none when the drag began inside Atelier (the gallery's own).
QStringList droppedPngs(const QDropEvent* event)
{
    QStringList files;
    if (event->source() || !event->mimeData()->hasUrls())
        return files;
    for (const QUrl& url : event->mimeData()->urls()) {
        if (url.isLocalFile() && url.toLocalFile().endsWith(QStringLiteral(".png"), Qt::CaseInsensitive))
            files << url.toLocalFile();
    }
    return files;
}
} // namespace

void MainWindow::dragEnterEvent(QDragEnterEvent* event)
{
    if (!droppedPngs(event).isEmpty())
        event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event)
{
    const QStringList files = droppedPngs(event);
    if (files.isEmpty())
        return;
    event->acceptProposedAction();
    const QList<store::PictureRecord> imported = mLibrary->importFiles(files);
    if (!imported.isEmpty())
        reuseInCreate(imported.last().parameters());
}

void MainWindow::restoreSettings()
{
    const QSettings settings;
    if (!restoreGeometry(settings.value(geometryKey).toByteArray()))
        resize(1280, 800);
    const QString key = settings.value(workspaceKey).toString();
    for (int i = 0; i < mWorkspaces.size(); ++i) {
        if (mWorkspaces[i].key == key)
            showWorkspace(i);
    }
    mStack->currentWidget()->setFocus(Qt::OtherFocusReason); // Chat at first start: type straight away
}

void MainWindow::closeEvent(QCloseEvent* event)
{
    QSettings().setValue(geometryKey, saveGeometry());
    QMainWindow::closeEvent(event);
}

void MainWindow::changeEvent(QEvent* event)
{
    if (event->type() == QEvent::PaletteChange)
        updateIcons();
    QMainWindow::changeEvent(event);
}

} // namespace atelier::ui

#include "library/library_workspace.h"

#include "core/app_paths.h"
#include "library/gallery_delegate.h"
#include "library/gallery_filter_bar.h"
#include "library/picture_details.h"
#include "library/picture_model.h"
#include "library/picture_viewer.h"
#include "library/prompt_history.h"
#include "library/thumbnail_cache.h"
#include "model_files.h"
#include "widgets/open_folder.h"

#include <QClipboard>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QPushButton>
#include <QSaveFile>
#include <QScrollBar>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>

#include <spdlog/spdlog.h>

namespace atelier::ui {

namespace {

constexpr int kCell = 160; // thumbnail edge on screen; the cache keeps 256 for high-DPI screens
constexpr int kUndoMs = 10000;
enum Page { MainPage, ViewerPage };

QString text(const Error& error) { return QString::fromStdString(error.message); }

} // namespace

LibraryWorkspace::LibraryWorkspace(store::Database* database, const QString& databaseError, QWidget* parent)
    : QWidget(parent)
    , mThumbnails(new ThumbnailCache(paths::thumbnailsDir(), this))
    , mPages(new QStackedWidget(this))
    , mTabs(new QTabWidget(this))
    , mMessage(new QLabel(this))
{
    setObjectName("libraryWorkspace");
    qRegisterMetaType<diffusion::GenerationParameters>();
    if (database) {
        mStore = std::make_unique<store::PictureStore>(*database, paths::galleryDir());
        // What was deleted last time and not undone goes for good now, thumbnails too.
        if (auto purged = mStore->purgeRemoved(); purged.ok()) {
            for (qint64 id : purged.value())
                mThumbnails->forget(id);
        }
        // Pictures whose row a crash never committed get one now (or go, when nothing says what
        // made them); the gallery below shows the adopted ones.
        if (auto recovered = mStore->recoverOrphans(); !recovered.ok())
            spdlog::warn("Library: {}", recovered.error().message);
    }
    mModel = new PictureModel(mStore.get(), *mThumbnails, this);
    connect(mModel, &PictureModel::storeError, this, &LibraryWorkspace::showError);

    mHistory = new PromptHistory(mStore.get(), mTabs);
    connect(mHistory, &PromptHistory::promptChosen, this, &LibraryWorkspace::promptChosen);
    connect(mHistory, &PromptHistory::storeError, this, &LibraryWorkspace::showError);
    mTabs->setObjectName("libraryTabs");
    mTabs->setDocumentMode(true);
    mTabs->addTab(buildGallery(), tr("&Gallery"));
    mTabs->addTab(mHistory, tr("&Prompt history"));

    mPages->addWidget(mTabs);
    mPages->addWidget(buildViewer());

    mMessage->setObjectName("libraryMessage");
    mMessage->setWordWrap(true);
    mMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mMessage->setVisible(!mStore);
    if (!mStore)
        mMessage->setText(tr("The library cannot be shown: %1").arg(databaseError));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    layout->addWidget(mMessage);
    layout->addWidget(mPages, 1);
    layout->addWidget(buildUndoBar());

    refreshModels();
    updateCount();
}

LibraryWorkspace::~LibraryWorkspace() = default;

QWidget* LibraryWorkspace::buildGallery()
{
    auto* page = new QWidget(mTabs);
    mFilterBar = new GalleryFilterBar(page);
    connect(mFilterBar, &GalleryFilterBar::filterChanged, this, &LibraryWorkspace::applyFilter);

    mGrid = new QListView(page);
    mGrid->setObjectName("galleryView");
    mGrid->setViewMode(QListView::IconMode);
    mGrid->setMovement(QListView::Static);
    mGrid->setResizeMode(QListView::Adjust);
    mGrid->setUniformItemSizes(true);
    mGrid->setIconSize({kCell, kCell});
    mGrid->setGridSize({kCell + 12, kCell + 12});
    mGrid->setVerticalScrollMode(QAbstractItemView::ScrollPerPixel);
    mGrid->verticalScrollBar()->setSingleStep(kCell / 4);
    mGrid->setSelectionMode(QAbstractItemView::SingleSelection);
    mGrid->setDragEnabled(true);
    mGrid->setDragDropMode(QAbstractItemView::DragOnly);
    mGrid->setDefaultDropAction(Qt::CopyAction);
    mGrid->setItemDelegate(new GalleryDelegate(mGrid));
    mGrid->setMouseTracking(true);
    mGrid->setModel(mModel);
    mGrid->installEventFilter(this);
    connect(mGrid->selectionModel(), &QItemSelectionModel::currentChanged, this, &LibraryWorkspace::currentChanged);
    connect(mGrid, &QListView::activated, this, [this](const QModelIndex& index) {
        openPicture(index.data(PictureModel::IdRole).toLongLong());
    });
    connect(mModel, &QAbstractItemModel::modelReset, this, &LibraryWorkspace::updateCount);
    connect(mModel, &QAbstractItemModel::rowsInserted, this, &LibraryWorkspace::updateCount);
    connect(mModel, &QAbstractItemModel::rowsRemoved, this, &LibraryWorkspace::updateCount);

    mEmpty = new QLabel(page);
    mEmpty->setObjectName("galleryEmpty");
    mEmpty->setAlignment(Qt::AlignCenter);
    mEmpty->setText(tr("No picture matches."));

    mDetails = new PictureDetails(page);
    connect(mDetails, &PictureDetails::reuseRequested, this, [this] {
        if (const store::PictureRecord* r = current())
            emit reuseParameters(r->parameters());
    });
    connect(mDetails, &PictureDetails::img2imgRequested, this, [this] {
        if (const store::PictureRecord* r = current())
            emit sendToImg2img(mStore->absolutePath(r->file));
    });
    connect(mDetails, &PictureDetails::inpaintRequested, this, [this] {
        if (const store::PictureRecord* r = current())
            emit sendToInpaint(mStore->absolutePath(r->file));
    });
    connect(mDetails, &PictureDetails::askRequested, this, [this] {
        if (const store::PictureRecord* r = current())
            emit askInChat(mStore->absolutePath(r->file));
    });
    connect(mDetails, &PictureDetails::copyPromptRequested, this, &LibraryWorkspace::copyPrompt);
    connect(mDetails, &PictureDetails::revealRequested, this, &LibraryWorkspace::reveal);
    connect(mDetails, &PictureDetails::deleteRequested, this, &LibraryWorkspace::removeCurrent);
    connect(mDetails, &PictureDetails::openRequested, this, [this] { openPicture(mDetails->pictureId()); });
    connect(mDetails, &PictureDetails::sourceRequested, this, &LibraryWorkspace::showSource);

    // The grid or "no picture matches" beside the details; or, with no picture at all, the
    // empty state instead of both.
    mGridPages = new QStackedWidget(page);
    mGridPages->addWidget(mGrid);
    mGridPages->addWidget(mEmpty);
    auto* splitter = new QSplitter(page);
    splitter->addWidget(mGridPages);
    splitter->addWidget(mDetails);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({760, 340});
    mGalleryPages = new QStackedWidget(page);
    mGalleryPages->addWidget(splitter);
    mGalleryPages->addWidget(new EmptyState(QStringLiteral(":/icons/library.svg"), tr("Library"),
                                            tr("Every picture you make, with the prompt and settings that made it. "
                                               "Drop PNG files from AUTOMATIC1111, sd.cpp or Atelier onto the window "
                                               "to add them."),
                                            galleryPictures(), tr("Open gallery folder"), mGalleryPages));

    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 8, 0, 0);
    layout->addWidget(mFilterBar);
    layout->addWidget(mGalleryPages, 1);
    return page;
}

QWidget* LibraryWorkspace::buildViewer()
{
    auto* page = new QWidget(mPages);
    auto* back = new QPushButton(tr("Back to gallery"), page);
    back->setObjectName("backToGalleryButton");
    back->setToolTip(tr("Esc"));
    auto* fit = new QPushButton(tr("Fit"), page);
    fit->setObjectName("fitButton");
    fit->setToolTip(tr("Fit the picture to the window (0); 1 shows its actual pixels"));
    mZoom = new QLabel(page);
    mZoom->setObjectName("zoomLabel");
    mViewer = new PictureViewer(page);
    connect(back, &QPushButton::clicked, this, &LibraryWorkspace::showGallery);
    connect(fit, &QPushButton::clicked, mViewer, &PictureViewer::fit);
    connect(mViewer, &PictureViewer::closeRequested, this, &LibraryWorkspace::showGallery);
    connect(mViewer, &PictureViewer::zoomChanged, this,
            [this](double zoom) { mZoom->setText(QStringLiteral("%1 %").arg(qRound(zoom * 100))); });

    auto* bar = new QHBoxLayout;
    bar->addWidget(back);
    bar->addStretch(1);
    bar->addWidget(mZoom);
    bar->addWidget(fit);
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(mViewer, 1);
    return page;
}

QWidget* LibraryWorkspace::buildUndoBar()
{
    mUndoBar = new QWidget(this);
    mUndoBar->setObjectName("undoBar");
    mUndoText = new QLabel(mUndoBar);
    auto* undo = new QPushButton(tr("Undo"), mUndoBar);
    undo->setObjectName("undoButton");
    connect(undo, &QPushButton::clicked, this, &LibraryWorkspace::undoRemove);
    auto* layout = new QHBoxLayout(mUndoBar);
    layout->setContentsMargins(4, 2, 4, 2);
    layout->addWidget(mUndoText, 1);
    layout->addWidget(undo);
    mUndoBar->hide();
    mUndoTimer = new QTimer(this);
    mUndoTimer->setSingleShot(true);
    connect(mUndoTimer, &QTimer::timeout, mUndoBar, &QWidget::hide);
    return mUndoBar;
}

Result<store::PictureRecord> LibraryWorkspace::addPicture(const store::PictureRecord& record, const QByteArray& png)
{
    if (!mStore)
        return makeError(ErrorCode::Io, mMessage->text().toStdString());
    auto added = mStore->add(record, png);
    if (added.ok()) {
        mModel->insertPicture(added.value());
        refreshModels();
    }
    return added;
}

QList<store::PictureRecord> LibraryWorkspace::importFiles(const QStringList& paths)
{
    QList<store::PictureRecord> imported;
    if (!mStore) {
        showError(mMessage->text());
        return imported;
    }
    QStringList problems;
    for (const QString& path : paths) {
        auto added = mStore->importFile(path);
        if (!added.ok()) {
            problems << text(added.error());
            continue;
        }
        mModel->insertPicture(added.value());
        imported << added.value();
    }
    refreshModels();
    if (!imported.isEmpty())
        selectPicture(imported.last().id);
    mMessage->hide(); // an earlier problem is not this import's
    if (!problems.isEmpty())
        showError(problems.join(QLatin1Char('\n')));
    else
        emit statusMessage(imported.size() == 1 ? tr("Imported 1 picture into the Library.")
                                                : tr("Imported %1 pictures into the Library.").arg(imported.size()));
    return imported;
}

void LibraryWorkspace::applyFilter()
{
    mModel->setFilter(mFilterBar->filter());
    mDetails->clear();
    if (mModel->rowCount() > 0)
        mGrid->setCurrentIndex(mModel->index(0));
}

void LibraryWorkspace::refreshModels()
{
    if (!mStore)
        return;
    auto models = mStore->models();
    if (!models.ok())
        return showError(text(models.error()));
    mFilterBar->setModels(models.value());
    if (!(mFilterBar->filter() == mModel->filter())) // the model chosen is gone
        applyFilter();
}

void LibraryWorkspace::updateCount()
{
    const int total = mModel->total();
    mFilterBar->setCount(total);
    const bool filtered = !(mModel->filter() == store::PictureFilter{});
    mGridPages->setCurrentIndex(total > 0 || !mStore || !filtered ? 0 : 1);
    mGalleryPages->setCurrentIndex(total > 0 || !mStore || filtered ? 0 : 1);
    mFilterBar->setVisible(mGalleryPages->currentIndex() == 0); // nothing to filter yet
}

const store::PictureRecord* LibraryWorkspace::current() const
{
    const QModelIndex index = mGrid->currentIndex();
    return index.isValid() ? &mModel->record(index.row()) : nullptr;
}

void LibraryWorkspace::currentChanged()
{
    const store::PictureRecord* r = current();
    if (!r) {
        mDetails->clear();
        return;
    }
    mDetails->showPicture(*r, mStore->absolutePath(r->file), mThumbnails->thumbnail(r->id, mStore->absolutePath(r->file)));
}

void LibraryWorkspace::selectPicture(qint64 id)
{
    const int row = mModel->rowOf(id);
    if (row < 0)
        return;
    mGrid->setCurrentIndex(mModel->index(row));
    mGrid->scrollTo(mModel->index(row));
}

void LibraryWorkspace::exportPicture()
{
    const store::PictureRecord* r = current();
    if (!r)
        return;
    const QString source = mStore->absolutePath(r->file);
    const QString path = QFileDialog::getSaveFileName(this, tr("Export picture"),
                                                      QDir::home().filePath(QFileInfo(source).fileName()),
                                                      tr("PNG pictures (*.png)"));
    if (path.isEmpty())
        return;
    // The file as the gallery keeps it, its parameters chunk included.
    QFile in(source);
    QSaveFile out(path);
    const bool read = in.open(QIODevice::ReadOnly);
    const QByteArray bytes = read ? in.readAll() : QByteArray();
    if (!read || !out.open(QIODevice::WriteOnly) || out.write(bytes) != bytes.size() || !out.commit()) {
        showError(tr("Could not export to %1: %2")
                      .arg(QDir::toNativeSeparators(path), read ? out.errorString() : in.errorString()));
        return;
    }
    emit statusMessage(tr("Exported %1").arg(QDir::toNativeSeparators(path)));
}

bool LibraryWorkspace::showSource(qint64 id)
{
    // The source may be past the pages read so far, or hidden by the filter.
    auto rowOf = [this, id] {
        int row = mModel->rowOf(id);
        while (row < 0 && mModel->canFetchMore({})) {
            mModel->fetchMore({});
            row = mModel->rowOf(id);
        }
        return row;
    };
    if (rowOf() < 0 && !(mModel->filter() == store::PictureFilter{})) {
        mFilterBar->reset(); // applies the empty filter
    }
    if (rowOf() < 0) {
        showError(tr("Picture %1 is no longer in the Library.").arg(id));
        return false;
    }
    selectPicture(id);
    mGrid->setFocus();
    return true;
}

void LibraryWorkspace::openPicture(qint64 id)
{
    const int row = mModel->rowOf(id);
    if (row < 0)
        return;
    selectPicture(id);
    mViewer->open(mStore->absolutePath(mModel->record(row).file));
    mPages->setCurrentIndex(ViewerPage);
    mViewer->setFocus();
}

void LibraryWorkspace::setDescriber(PictureDescriber* describer) { mDetails->setDescriber(describer); }

void LibraryWorkspace::showGallery()
{
    mPages->setCurrentIndex(MainPage);
    mTabs->setCurrentIndex(0);
    mGrid->setFocus();
}

void LibraryWorkspace::showPromptHistory()
{
    mPages->setCurrentIndex(MainPage);
    mTabs->setCurrentWidget(mHistory);
}

void LibraryWorkspace::removeCurrent()
{
    const store::PictureRecord* r = current();
    if (!r || !mStore)
        return;
    const qint64 id = r->id;
    if (auto removed = mStore->remove(id); !removed.ok())
        return showError(text(removed.error()));
    mRemovedId = id;
    mModel->removePicture(id); // the next picture becomes the current one
    mUndoText->setText(tr("Picture deleted."));
    mUndoBar->show();
    mUndoTimer->start(kUndoMs);
    refreshModels();
}

void LibraryWorkspace::undoRemove()
{
    mUndoTimer->stop();
    mUndoBar->hide();
    if (!mStore || mRemovedId == 0)
        return;
    const qint64 id = std::exchange(mRemovedId, 0);
    if (auto restored = mStore->restore(id); !restored.ok())
        return showError(text(restored.error()));
    auto record = mStore->picture(id);
    if (!record.ok())
        return showError(text(record.error()));
    mModel->insertPicture(record.value());
    refreshModels();
    selectPicture(id);
}

void LibraryWorkspace::copyPrompt()
{
    if (const store::PictureRecord* r = current()) {
        QGuiApplication::clipboard()->setText(r->prompt);
        emit statusMessage(tr("Prompt copied."));
    }
}

void LibraryWorkspace::reveal()
{
    const store::PictureRecord* r = current();
    if (!r)
        return;
    const QString folder = QFileInfo(mStore->absolutePath(r->file)).absolutePath();
    if (!openFolder(folder))
        showError(tr("Could not open %1 in a file manager.").arg(folder));
}

void LibraryWorkspace::showError(const QString& message)
{
    mMessage->setText(message);
    mMessage->show();
    emit statusMessage(message);
}

bool LibraryWorkspace::eventFilter(QObject* watched, QEvent* event)
{
    if (watched == mGrid && event->type() == QEvent::KeyPress &&
        static_cast<QKeyEvent*>(event)->key() == Qt::Key_Delete) {
        removeCurrent();
        return true;
    }
    return QWidget::eventFilter(watched, event);
}

} // namespace atelier::ui

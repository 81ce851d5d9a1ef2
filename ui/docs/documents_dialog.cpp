#include "ui/docs/documents_dialog.h"

#include "docs/collection_store.h"
#include "store/database.h"
#include "ui/docs/compute_embedder.h"
#include "ui/docs/document_indexer.h"
#include "ui/docs/embedding_choice.h"
#include "ui/models/models_dialog.h"

#include <QDesktopServices>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace atelier::ui {

DocumentsDialog::DocumentsDialog(store::Database& db, QWidget* parent)
    : QDialog(parent), mDb(db), mStore(std::make_unique<docs::CollectionStore>(db))
{
    setWindowTitle(tr("Documents"));
    setObjectName(QStringLiteral("documentsDialog"));
    resize(860, 520);
    mIndexer = new DocumentIndexer(db.path(), this);

    mCollections = new QListWidget;
    mCollections->setObjectName(QStringLiteral("collections"));
    auto* create = new QPushButton(tr("New Collection…"));
    create->setObjectName(QStringLiteral("newCollection"));
    mRemove = new QPushButton(tr("Remove"));
    auto* left = new QVBoxLayout;
    left->addWidget(new QLabel(tr("Collections")));
    left->addWidget(mCollections, 1);
    auto* leftButtons = new QHBoxLayout;
    leftButtons->addWidget(create);
    leftButtons->addWidget(mRemove);
    left->addLayout(leftButtons);

    mRoots = new QListWidget;
    mRoots->setObjectName(QStringLiteral("roots"));
    mRoots->setMaximumHeight(110);
    mAddFolder = new QPushButton(tr("Add Folder…"));
    mAddFiles = new QPushButton(tr("Add Files…"));
    mReindex = new QPushButton(tr("Index Again"));
    mStatus = new QLabel;
    mStatus->setObjectName(QStringLiteral("indexStatus"));
    mStatus->setWordWrap(true);
    mProgress = new QProgressBar;
    mProgress->setVisible(false);
    mCancel = new QPushButton(tr("Cancel"));
    mCancel->setObjectName(QStringLiteral("cancelIndexing"));
    mCancel->setVisible(false);
    mChunkChars = new QSpinBox;
    mChunkChars->setObjectName(QStringLiteral("chunkChars"));
    mChunkChars->setRange(200, 8000);
    mChunkChars->setSingleStep(100);
    mChunkChars->setSuffix(tr(" characters"));
    mChunkChars->setToolTip(tr("The longest chunk a question can get from a file (code fences can be longer)"));
    mOverlapChars = new QSpinBox;
    mOverlapChars->setObjectName(QStringLiteral("overlapChars"));
    mOverlapChars->setRange(0, 2000);
    mOverlapChars->setSingleStep(50);
    mOverlapChars->setSuffix(tr(" characters"));
    mOverlapChars->setToolTip(tr("How much of a chunk's end the next chunk repeats"));
    mApplyChunking = new QPushButton(tr("Apply and Index Again"));
    mApplyChunking->setObjectName(QStringLiteral("applyChunking"));
    mSkipped = new QTreeWidget;
    mSkipped->setObjectName(QStringLiteral("skipped"));
    mSkipped->setHeaderLabels({tr("Skipped file"), tr("Reason")});
    mSkipped->setRootIsDecorated(false);
    mSkipped->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);

    auto* right = new QVBoxLayout;
    right->addWidget(new QLabel(tr("Folders and files")));
    right->addWidget(mRoots);
    auto* rootButtons = new QHBoxLayout;
    rootButtons->addWidget(mAddFolder);
    rootButtons->addWidget(mAddFiles);
    rootButtons->addWidget(mReindex);
    rootButtons->addStretch();
    right->addLayout(rootButtons);
    auto* chunkRow = new QHBoxLayout;
    chunkRow->addWidget(new QLabel(tr("Chunks of")));
    chunkRow->addWidget(mChunkChars);
    chunkRow->addWidget(new QLabel(tr("overlapping")));
    chunkRow->addWidget(mOverlapChars);
    chunkRow->addWidget(mApplyChunking);
    chunkRow->addStretch();
    right->addLayout(chunkRow);
    mEmbedding = new EmbeddingChoice;
    right->addWidget(mEmbedding);
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(mProgress, 1);
    progressRow->addWidget(mCancel);
    right->addLayout(progressRow);
    right->addWidget(mStatus);
    right->addWidget(mSkipped, 1);

    auto* columns = new QHBoxLayout;
    columns->addLayout(left, 2);
    columns->addLayout(right, 5);
    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto* layout = new QVBoxLayout(this);
    layout->addLayout(columns, 1);
    layout->addWidget(buttons);

    connect(create, &QPushButton::clicked, this, [this] {
        const QString name = QInputDialog::getText(this, tr("New Collection"), tr("Name:"));
        if (!name.trimmed().isEmpty())
            createCollection(name);
    });
    connect(mRemove, &QPushButton::clicked, this, [this] {
        const QString name = selectedCollection();
        if (!name.isEmpty() &&
            QMessageBox::question(this, tr("Remove Collection"),
                                  tr("Remove the collection %1? Its files stay where they are; only the index "
                                     "goes.").arg(name)) == QMessageBox::Yes)
            removeSelected();
    });
    connect(mAddFolder, &QPushButton::clicked, this, [this] {
        const QString dir = QFileDialog::getExistingDirectory(this, tr("Add Folder"));
        if (!dir.isEmpty())
            addPaths({dir});
    });
    connect(mAddFiles, &QPushButton::clicked, this, [this] {
        const QStringList files = QFileDialog::getOpenFileNames(
            this, tr("Add Files"), {},
            tr("Documents (*.txt *.md *.markdown *.pdf *.html *.htm *.rst *.py *.cpp *.h *.js *.ts *.java *.go *.rs);;All files (*)"));
        if (!files.isEmpty())
            addPaths(files);
    });
    connect(mReindex, &QPushButton::clicked, this, [this] {
        if (!selectedCollection().isEmpty())
            mIndexer->index(selectedCollection());
    });
    connect(mCancel, &QPushButton::clicked, mIndexer, &DocumentIndexer::cancel);
    connect(mApplyChunking, &QPushButton::clicked, this,
            [this] { setChunking(mChunkChars->value(), mOverlapChars->value()); });
    connect(mCollections, &QListWidget::currentRowChanged, this, &DocumentsDialog::showSelected);
    connect(mEmbedding, &EmbeddingChoice::applied, this, &DocumentsDialog::setEmbeddingModel);
    connect(mEmbedding, &EmbeddingChoice::catalogueWanted, this, [this](const QString& id) {
        auto* models = new ModelsDialog(this);
        models->setAttribute(Qt::WA_DeleteOnClose);
        models->selectModel(id);
        connect(models, &QDialog::finished, this, &DocumentsDialog::showSelected); // a model may have landed
        models->open();
    });
    connect(mIndexer, &DocumentIndexer::embedding, this, [this](const QString& collection, int embedded, int toEmbed) {
        mProgress->setRange(0, toEmbed);
        mProgress->setValue(embedded);
        mStatus->setText(tr("Embedding %1: %2 of %3 chunks").arg(collection).arg(embedded).arg(toEmbed));
    });
    connect(mSkipped, &QTreeWidget::itemActivated, this, [](QTreeWidgetItem* item) {
        QDesktopServices::openUrl(QUrl::fromLocalFile(QFileInfo(item->toolTip(0)).absolutePath()));
    });
    connect(mIndexer, &DocumentIndexer::started, this, [this](const QString& collection) {
        mProgress->setVisible(true);
        mProgress->setRange(0, 0);
        mCancel->setVisible(true);
        mStatus->setText(tr("Indexing %1…").arg(collection));
    });
    connect(mIndexer, &DocumentIndexer::progress, this,
            [this](const QString& collection, int done, int total, const QString& path) {
                mProgress->setRange(0, total);
                mProgress->setValue(done);
                mStatus->setText(tr("Indexing %1: %2 of %3, %4").arg(collection).arg(done + 1).arg(total)
                                     .arg(QFileInfo(path).fileName()));
            });
    connect(mIndexer, &DocumentIndexer::finished, this, &DocumentsDialog::indexFinished);
    connect(mIndexer, &DocumentIndexer::failed, this, [this](const QString& collection, const QString& message) {
        mProgress->setVisible(mIndexer->busy());
        mCancel->setVisible(mIndexer->busy());
        mStatus->setText(tr("%1 could not be indexed: %2").arg(collection, message));
    });

    reload();
    // Watch every collection while the window runs, and catch up with what changed while it did not.
    if (auto all = mStore->list(); all.ok()) {
        for (const docs::Collection& c : all.value()) {
            mIndexer->watch(c.name, c.roots);
            mIndexer->index(c.name);
        }
    }
}

DocumentsDialog::~DocumentsDialog() = default;

QString DocumentsDialog::selectedCollection() const
{
    const QListWidgetItem* item = mCollections->currentItem();
    return item ? item->data(Qt::UserRole).toString() : QString();
}

QString DocumentsDialog::embeddingModel() const
{
    if (auto all = mStore->list(); all.ok())
        for (const docs::Collection& c : all.value())
            if (!c.settings.embeddingModel.isEmpty() && QFileInfo(c.settings.embeddingModel).isFile())
                return c.settings.embeddingModel;
    return {};
}

bool DocumentsDialog::createCollection(const QString& name)
{
    auto created = mStore->create(name);
    if (!created.ok()) {
        mStatus->setText(QString::fromStdString(created.error().message));
        return false;
    }
    reload(created->name);
    emit collectionsChanged();
    return true;
}

void DocumentsDialog::addPaths(const QStringList& paths)
{
    const QString name = selectedCollection();
    auto c = mStore->find(name);
    if (!c.ok()) {
        mStatus->setText(tr("Create a collection first."));
        return;
    }
    QStringList absolute;
    for (const QString& p : paths)
        absolute << QFileInfo(p).absoluteFilePath();
    if (auto added = mStore->addRoots(c->id, absolute); !added.ok()) {
        mStatus->setText(QString::fromStdString(added.error().message));
        return;
    }
    reload(name);
    mIndexer->watch(name, c->roots + absolute);
    mIndexer->index(name);
}

void DocumentsDialog::removeSelected()
{
    const QString name = selectedCollection();
    if (name.isEmpty())
        return;
    if (auto removed = mStore->remove(name); !removed.ok()) {
        mStatus->setText(QString::fromStdString(removed.error().message));
        return;
    }
    mIndexer->watch(name, {});
    reload();
    emit collectionsChanged();
}

void DocumentsDialog::setChunking(int chunkChars, int overlapChars)
{
    const QString name = selectedCollection();
    auto c = mStore->find(name);
    if (!c.ok())
        return;
    docs::CollectionSettings settings = c->settings;
    settings.chunks.maxChars = chunkChars;
    settings.chunks.overlapChars = std::min(overlapChars, chunkChars / 2);
    if (auto set = mStore->setSettings(c->id, settings); !set.ok()) {
        mStatus->setText(QString::fromStdString(set.error().message));
        return;
    }
    showSelected();
    mIndexer->index(name);
}

void DocumentsDialog::setEmbeddingModel(const QString& path)
{
    const QString name = selectedCollection();
    auto c = mStore->find(name);
    if (!c.ok())
        return;
    docs::CollectionSettings settings = c->settings;
    settings.embeddingModel = path;
    if (auto set = mStore->setSettings(c->id, settings); !set.ok()) {
        mStatus->setText(QString::fromStdString(set.error().message));
        return;
    }
    showSelected();
    mIndexer->index(name); // files unchanged are not read again; chunks without vectors get them
}

void DocumentsDialog::setComputeEngine(engine::ComputeEngine* engine)
{
    mIndexer->setComputeEngine(engine);
    showSelected();
    if (auto all = mStore->list(); all.ok()) // vectors that were not made without it
        for (const docs::Collection& c : all.value())
            if (!c.settings.embeddingModel.isEmpty())
                mIndexer->index(c.name);
}

void DocumentsDialog::reload(const QString& select)
{
    const QString keep = select.isEmpty() ? selectedCollection() : select;
    QSignalBlocker blocker(mCollections);
    mCollections->clear();
    auto all = mStore->list();
    if (!all.ok()) {
        mStatus->setText(QString::fromStdString(all.error().message));
        return;
    }
    for (const docs::Collection& c : all.value()) {
        auto* item = new QListWidgetItem(tr("%1\n%2 files · %3 skipped · %4 chunks")
                                             .arg(c.name).arg(c.indexedFiles).arg(c.skippedFiles).arg(c.chunks));
        item->setData(Qt::UserRole, c.name);
        mCollections->addItem(item);
        if (c.name == keep)
            mCollections->setCurrentItem(item);
    }
    if (!mCollections->currentItem() && mCollections->count() > 0)
        mCollections->setCurrentRow(0);
    blocker.unblock();
    showSelected();
}

void DocumentsDialog::showSelected()
{
    const QString name = selectedCollection();
    const bool has = !name.isEmpty();
    for (QWidget* w : std::initializer_list<QWidget*>{mAddFolder, mAddFiles, mReindex, mRemove, mChunkChars,
                                                       mOverlapChars, mApplyChunking})
        w->setEnabled(has);
    mRoots->clear();
    mSkipped->clear();
    if (!has)
        return;
    auto c = mStore->find(name);
    if (!c.ok())
        return;
    for (const QString& root : c->roots)
        mRoots->addItem(QDir::toNativeSeparators(root));
    mChunkChars->setValue(c->settings.chunks.maxChars);
    mOverlapChars->setValue(c->settings.chunks.overlapChars);
    mEmbedding->show(c->settings.embeddingModel, mIndexer->canEmbed());
    if (mIndexer->canEmbed()) {
        const QString model = c->settings.embeddingModel;
        const auto vectors = model.isEmpty() ? Result<int>(0) : mStore->vectorCount(c->id, embeddingModelId(model));
        mEmbedding->setVectors(vectors.ok() ? vectors.value() : 0, c->chunks);
    }
    if (auto skipped = mStore->skippedFiles(c->id); skipped.ok()) {
        for (const docs::FileRecord& f : skipped.value()) {
            auto* item = new QTreeWidgetItem(mSkipped, {QFileInfo(f.path).fileName(), f.reason});
            item->setToolTip(0, f.path);
            item->setToolTip(1, f.reason);
        }
    }
}

void DocumentsDialog::indexFinished(const QString& collection, const docs::IndexReport& report)
{
    mProgress->setVisible(mIndexer->busy());
    mCancel->setVisible(mIndexer->busy());
    mStatus->setText(tr("%1: %2 added, %3 changed, %4 unchanged, %5 skipped, %6 removed in %7 s%8")
                         .arg(collection)
                         .arg(report.added)
                         .arg(report.updated)
                         .arg(report.unchanged)
                         .arg(report.skipped)
                         .arg(report.removed)
                         .arg(report.seconds, 0, 'f', 1)
                         .arg(report.cancelled ? tr(" (cancelled)") : QString()) +
                     (report.vectors > 0 ? tr("; %1 chunks embedded").arg(report.vectors) : QString()) +
                     (report.embedError.isEmpty() ? QString() : tr("; no vectors: %1").arg(report.embedError)));
    if (auto c = mStore->find(collection); c.ok())
        mIndexer->watch(collection, c->roots); // folders made since are watched too
    reload();
    emit collectionsChanged();
}

} // namespace atelier::ui

#include "models_dialog.h"

#include "core/app_paths.h"
#include "models/model_download.h"
#include "models/models_folder.h"
#include "widgets/open_folder.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QNetworkAccessManager>
#include <QProgressBar>
#include <QPushButton>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace atelier::ui {

using models::CatalogueModel;
using models::formatDownloadSize;
using models::ModelDownload;

namespace {

enum Column { NameColumn, KindColumn, SizeColumn, NeedsColumn, StatusColumn };
constexpr int kIdRole = Qt::UserRole;        // catalogue id; empty for other files
constexpr int kFileRole = Qt::UserRole + 1;  // file name in the models folder

QString kindLabel(models::ModelKind kind)
{
    switch (kind) {
    case models::ModelKind::Chat: return QObject::tr("Chat");
    case models::ModelKind::Image: return QObject::tr("Image");
    case models::ModelKind::Embedding: return QObject::tr("Embedding");
    case models::ModelKind::VisionProjector: return QObject::tr("Vision projector");
    }
    return {};
}

} // namespace

ModelsDialog::ModelsDialog(QWidget* parent)
    : QDialog(parent), mNetwork(new QNetworkAccessManager(this))
{
    setObjectName("modelsDialog");
    setWindowTitle(tr("Models"));
    resize(900, 560);

    mSummary = new QLabel(this);
    mSummary->setObjectName("modelsSummary");
    mSummary->setWordWrap(true);

    mTree = new QTreeWidget(this);
    mTree->setObjectName("modelsList");
    mTree->setHeaderLabels({tr("Model"), tr("Kind"), tr("Download"), tr("Needs"), tr("Status")});
    mTree->setRootIsDecorated(false);
    mTree->setUniformRowHeights(true);
    mTree->header()->setStretchLastSection(true);
    mTree->header()->setSectionResizeMode(NameColumn, QHeaderView::ResizeToContents);
    connect(mTree, &QTreeWidget::currentItemChanged, this, [this] {
        updateDetails();
        updateButtons();
    });
    connect(mTree, &QTreeWidget::itemDoubleClicked, this, [this] {
        if (mDownload->isEnabled())
            mDownload->click();
    });

    mDetails = new QLabel(this);
    mDetails->setObjectName("modelDetails");
    mDetails->setWordWrap(true);
    mDetails->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mDetails->setMinimumHeight(64);
    mDetails->setAlignment(Qt::AlignTop | Qt::AlignLeft);

    mProgress = new QProgressBar(this);
    mProgress->setObjectName("downloadProgress");
    mProgress->setTextVisible(false);
    mProgressText = new QLabel(this);
    mProgressText->setObjectName("downloadProgressText");
    mMessage = new QLabel(this);
    mMessage->setObjectName("modelsMessage");
    mMessage->setWordWrap(true);
    mMessage->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto button = [this](const QString& text, const char* name) {
        auto* b = new QPushButton(text, this);
        b->setObjectName(QString::fromLatin1(name));
        b->setAutoDefault(false);
        return b;
    };
    mDownload = button(tr("&Download"), "downloadButton");
    mPause = button(tr("&Pause"), "pauseButton");
    mResume = button(tr("&Resume"), "resumeButton");
    mCancel = button(tr("&Cancel download"), "cancelButton");
    mDelete = button(tr("De&lete"), "deleteButton");
    mReveal = button(tr("Show in &folder"), "revealButton");
    mImport = button(tr("&Import file…"), "importButton");

    connect(mDownload, &QPushButton::clicked, this, [this] {
        if (const CatalogueModel* m = selectedModel())
            startDownload(m->id);
    });
    connect(mPause, &QPushButton::clicked, this, [this] {
        if (const CatalogueModel* m = selectedModel(); m && download(m->id))
            download(m->id)->pause();
    });
    connect(mResume, &QPushButton::clicked, this, [this] {
        const CatalogueModel* m = selectedModel();
        if (m && download(m->id))
            download(m->id)->resume();
        else if (m)
            startDownload(m->id); // a .part from an earlier run
    });
    connect(mCancel, &QPushButton::clicked, this, [this] {
        const CatalogueModel* m = selectedModel();
        if (m && download(m->id))
            download(m->id)->cancel();
        else if (m)
            QFile::remove(models::installPath(*m) + QStringLiteral(".part"));
        if (QTreeWidgetItem* item = mTree->currentItem())
            updateRow(item);
        updateDetails();
        updateButtons();
    });
    connect(mDelete, &QPushButton::clicked, this, &ModelsDialog::deleteSelected);
    connect(mReveal, &QPushButton::clicked, this, [this] {
        if (!openFolder(paths::modelsDir()))
            showMessage(tr("Could not open %1.").arg(QDir::toNativeSeparators(paths::modelsDir())), true);
    });
    connect(mImport, &QPushButton::clicked, this, &ModelsDialog::chooseImport);
    connect(&mImportWatcher, &QFutureWatcher<QString>::finished, this, &ModelsDialog::onImported);

    auto* actions = new QHBoxLayout;
    for (QPushButton* b : {mDownload, mPause, mResume, mCancel, mDelete})
        actions->addWidget(b);
    actions->addStretch();
    actions->addWidget(mReveal);
    actions->addWidget(mImport);

    auto* close = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(close, &QDialogButtonBox::rejected, this, &QDialog::hide);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(mSummary);
    layout->addWidget(mTree, 1);
    layout->addWidget(mDetails);
    layout->addWidget(mProgress);
    layout->addWidget(mProgressText);
    layout->addWidget(mMessage);
    layout->addLayout(actions);
    layout->addWidget(close);
    refresh();
}

ModelsDialog::~ModelsDialog()
{
    mImportWatcher.waitForFinished(); // a copy in progress finishes; downloads are children, their .part stays
}

void ModelsDialog::showEvent(QShowEvent* event)
{
    refresh();
    QDialog::showEvent(event);
}

void ModelsDialog::refresh()
{
    auto catalogue = models::loadCatalogue();
    mCatalogueError = catalogue ? QString() : QString::fromStdString(catalogue.error().message);
    if (catalogue)
        mCatalogue = catalogue.value();
    mBudget = models::deviceMemoryBudget();
    buildRows();
    QString summary = mBudget > 0 ? tr("Models that fit this device's %1 of memory are marked; the others may not load "
                                       "or may run slowly.").arg(formatDownloadSize(mBudget))
                                  : tr("This device's memory is not known.");
    summary += ' ' + tr("Downloads go to %1.").arg(QDir::toNativeSeparators(paths::modelsDir()));
    if (!mCatalogueError.isEmpty())
        summary += ' ' + tr("The catalogue could not be read: %1").arg(mCatalogueError);
    mSummary->setText(summary);
    updateDetails();
    updateButtons();
}

void ModelsDialog::buildRows()
{
    const QString current = mTree->currentItem() ? mTree->currentItem()->data(NameColumn, kFileRole).toString() : QString();
    mTree->clear();
    for (const CatalogueModel& m : mCatalogue.models) {
        auto* item = new QTreeWidgetItem(mTree);
        item->setData(NameColumn, kIdRole, m.id);
        item->setData(NameColumn, kFileRole, m.file);
        item->setText(NameColumn, m.name);
        item->setText(KindColumn, kindLabel(m.kind));
        item->setText(SizeColumn, m.size > 0 ? formatDownloadSize(m.size) : tr("unknown"));
        item->setText(NeedsColumn, formatDownloadSize(m.memory));
        updateRow(item);
    }
    for (const models::InstalledFile& f : models::installedFiles()) {
        if (f.partial || mCatalogue.findByFile(f.fileName))
            continue;
        auto* item = new QTreeWidgetItem(mTree);
        item->setData(NameColumn, kFileRole, f.fileName);
        item->setText(NameColumn, f.fileName);
        item->setText(KindColumn, f.fileName.endsWith(".safetensors", Qt::CaseInsensitive) ? tr("Image") : tr("Chat"));
        item->setText(SizeColumn, formatDownloadSize(f.size));
        item->setText(StatusColumn, tr("Installed (not in the catalogue)"));
    }
    for (int i = 0; i < mTree->topLevelItemCount(); ++i)
        if (mTree->topLevelItem(i)->data(NameColumn, kFileRole).toString() == current)
            mTree->setCurrentItem(mTree->topLevelItem(i));
    if (!mTree->currentItem() && mTree->topLevelItemCount() > 0)
        mTree->setCurrentItem(mTree->topLevelItem(0));
}

void ModelsDialog::updateRow(QTreeWidgetItem* item)
{
    const CatalogueModel* m = mCatalogue.find(item->data(NameColumn, kIdRole).toString());
    if (!m || item->data(NameColumn, kIdRole).toString().isEmpty())
        return;
    QString status;
    const ModelDownload* d = download(m->id);
    const bool fits = m->fits(mBudget);
    if (d && d->state() == ModelDownload::State::Downloading)
        status = d->total() > 0 ? tr("Downloading %1%").arg(100 * d->received() / d->total()) : tr("Downloading");
    else if (d && d->state() == ModelDownload::State::Verifying)
        status = tr("Checking sha256…");
    else if (d && d->state() == ModelDownload::State::Paused)
        status = tr("Paused at %1").arg(formatDownloadSize(d->received()));
    else if (d && d->state() == ModelDownload::State::Failed)
        status = tr("Failed");
    else if (models::isInstalled(*m))
        status = tr("Installed");
    else if (QFileInfo::exists(models::installPath(*m) + QStringLiteral(".part")))
        status = tr("Partly downloaded");
    else
        status = fits ? tr("Fits this device") : tr("Needs more memory than this device has");
    item->setText(StatusColumn, status);
    const QColor muted = palette().color(QPalette::Disabled, QPalette::Text);
    for (int c = 0; c <= StatusColumn; ++c)
        item->setForeground(c, fits || models::isInstalled(*m) ? palette().color(QPalette::Text) : muted);
}

QTreeWidgetItem* ModelsDialog::itemFor(const QString& id) const
{
    for (int i = 0; i < mTree->topLevelItemCount(); ++i)
        if (mTree->topLevelItem(i)->data(NameColumn, kIdRole).toString() == id)
            return mTree->topLevelItem(i);
    return nullptr;
}

const CatalogueModel* ModelsDialog::selectedModel() const
{
    const QTreeWidgetItem* item = mTree->currentItem();
    if (!item || item->data(NameColumn, kIdRole).toString().isEmpty())
        return nullptr;
    return mCatalogue.find(item->data(NameColumn, kIdRole).toString());
}

QString ModelsDialog::selectedFile() const
{
    const QTreeWidgetItem* item = mTree->currentItem();
    return item ? item->data(NameColumn, kFileRole).toString() : QString();
}

void ModelsDialog::selectModel(const QString& id)
{
    if (QTreeWidgetItem* item = itemFor(id))
        mTree->setCurrentItem(item);
}

void ModelsDialog::updateButtons()
{
    const CatalogueModel* m = selectedModel();
    const ModelDownload* d = m ? download(m->id) : nullptr;
    const auto state = d ? d->state() : ModelDownload::State::Idle;
    const bool installed = !selectedFile().isEmpty() && QFileInfo(QDir(paths::modelsDir()).filePath(selectedFile())).isFile();
    const bool active = state == ModelDownload::State::Downloading || state == ModelDownload::State::Verifying;
    const bool partial = m && QFileInfo::exists(models::installPath(*m) + QStringLiteral(".part"));
    mDownload->setEnabled(m && !installed && !active && !partial && state != ModelDownload::State::Paused);
    mPause->setEnabled(state == ModelDownload::State::Downloading);
    mResume->setEnabled(m && !active && !installed && (state == ModelDownload::State::Paused || partial));
    mCancel->setEnabled(m && (active || state == ModelDownload::State::Paused || partial) && state != ModelDownload::State::Verifying);
    mDelete->setEnabled(installed && !active);
}

void ModelsDialog::updateDetails()
{
    const CatalogueModel* m = selectedModel();
    const ModelDownload* d = m ? download(m->id) : nullptr;
    if (m) {
        QStringList facts{kindLabel(m->kind), m->architecture};
        if (!m->quantization.isEmpty())
            facts << m->quantization;
        if (m->contextLength > 0)
            facts << tr("%1 tokens of context").arg(m->contextLength);
        facts << tr("licence: %1").arg(m->licence);
        mDetails->setText(QStringLiteral("<b>%1</b> — %2<br>%3<br><small>%4 · %5</small>")
                              .arg(m->name.toHtmlEscaped(), m->description.toHtmlEscaped(), facts.join(QStringLiteral(" · ")).toHtmlEscaped(),
                                   m->file.toHtmlEscaped(),
                                   m->sha256.isEmpty() ? tr("no checksum in the catalogue: a download is not verified")
                                                       : tr("sha256 %1").arg(m->sha256)));
    } else if (!selectedFile().isEmpty()) {
        mDetails->setText(tr("<b>%1</b><br>A file in the models folder that the catalogue does not list.")
                              .arg(selectedFile().toHtmlEscaped()));
    } else {
        mDetails->clear();
    }
    const bool showProgress = d && d->state() != ModelDownload::State::Finished && d->state() != ModelDownload::State::Cancelled;
    mProgress->setVisible(showProgress);
    mProgressText->setVisible(showProgress);
    if (!showProgress)
        return;
    mProgress->setRange(0, d->total() > 0 ? 1000 : 0);
    if (d->total() > 0)
        mProgress->setValue(int(1000 * d->received() / d->total()));
    QString text = d->total() > 0 ? tr("%1 of %2").arg(formatDownloadSize(d->received()), formatDownloadSize(d->total()))
                                  : formatDownloadSize(d->received());
    if (d->state() == ModelDownload::State::Downloading && d->bytesPerSecond() > 0) {
        text += tr(" · %1/s").arg(formatDownloadSize(qint64(d->bytesPerSecond())));
        if (d->total() > 0) {
            const qint64 seconds = qint64(double(d->total() - d->received()) / d->bytesPerSecond());
            text += tr(" · %1 left").arg(seconds >= 120 ? tr("%1 min").arg(seconds / 60) : tr("%1 s").arg(seconds));
        }
    } else if (d->state() == ModelDownload::State::Paused) {
        text += tr(" · paused");
    } else if (d->state() == ModelDownload::State::Verifying) {
        text += tr(" · checking sha256");
    }
    mProgressText->setText(text);
}

void ModelsDialog::showMessage(const QString& text, bool error)
{
    mMessage->setText(text);
    mMessage->setStyleSheet(error ? QStringLiteral("color: #c0392b;") : QString());
}

QString ModelsDialog::message() const { return mMessage->text(); }

void ModelsDialog::startDownload(const QString& id)
{
    const CatalogueModel* m = mCatalogue.find(id);
    if (!m || models::isInstalled(*m))
        return;
    ModelDownload* d = download(id);
    if (!d) {
        models::DownloadRequest request;
        for (const QString& u : m->urls)
            request.urls << QUrl(u);
        request.destination = models::installPath(*m);
        request.sha256 = m->sha256;
        request.size = m->size;
        d = new ModelDownload(mNetwork, request, this);
        mDownloads.insert(id, d);
        auto changed = [this, id] {
            if (QTreeWidgetItem* item = itemFor(id))
                updateRow(item);
            if (const CatalogueModel* s = selectedModel(); s && s->id == id) {
                updateDetails();
                updateButtons();
            }
        };
        connect(d, &ModelDownload::progress, this, changed);
        connect(d, &ModelDownload::stateChanged, this, changed);
        connect(d, &ModelDownload::notice, this, [this](const QString& text) { showMessage(text, false); });
        connect(d, &ModelDownload::failed, this, [this, id](const QString& text) {
            const CatalogueModel* failedModel = mCatalogue.find(id);
            showMessage(tr("%1: %2").arg(failedModel ? failedModel->name : id, text), true);
        });
        connect(d, &ModelDownload::finished, this, [this, id] { downloadFinished(id); });
    }
    selectModel(id);
    showMessage(QString(), false);
    if (d->state() == ModelDownload::State::Paused || d->state() == ModelDownload::State::Failed)
        d->resume();
    else
        d->start();
}

void ModelsDialog::downloadFinished(const QString& id)
{
    const CatalogueModel* m = mCatalogue.find(id);
    ModelDownload* d = mDownloads.take(id);
    if (m)
        showMessage(m->sha256.isEmpty() ? tr("%1 is installed, not verified (no checksum in the catalogue); its sha256 is recorded beside the file "
                                             "for later checks.").arg(m->name)
                                        : tr("%1 is installed; its sha256 matches.").arg(m->name),
                    false);
    if (d)
        d->deleteLater();
    if (QTreeWidgetItem* item = itemFor(id))
        updateRow(item);
    updateDetails();
    updateButtons();
    emit modelsChanged();
    emit models::folderEvents()->changed();
}

void ModelsDialog::deleteSelected()
{
    const QString file = selectedFile();
    if (file.isEmpty())
        return;
    QMessageBox box(QMessageBox::Question, tr("Delete model"),
                    tr("Delete %1 from the models folder?").arg(file), QMessageBox::Yes | QMessageBox::Cancel, this);
    box.setObjectName("deleteModelQuestion");
    box.setInformativeText(tr("The file is removed from disk; downloading it again takes time."));
    if (box.exec() != QMessageBox::Yes)
        return;
    const Status removed = models::removeModelFile(file);
    if (!removed) {
        showMessage(QString::fromStdString(removed.error().message), true);
        return;
    }
    showMessage(tr("Deleted %1.").arg(file), false);
    buildRows();
    updateDetails();
    updateButtons();
    emit modelsChanged();
    emit models::folderEvents()->changed();
}

void ModelsDialog::importFile(const QString& path)
{
    if (mImportWatcher.isRunning())
        return;
    mImporting = path;
    mImport->setEnabled(false);
    showMessage(tr("Importing %1…").arg(QFileInfo(path).fileName()), false);
    mImportWatcher.setFuture(QtConcurrent::run([path]() -> QString {
        auto imported = models::importModelFile(path);
        return imported ? imported.value() : QStringLiteral("!") + QString::fromStdString(imported.error().message);
    }));
}

void ModelsDialog::onImported()
{
    mImport->setEnabled(true);
    const QString result = mImportWatcher.result();
    if (result.startsWith('!')) {
        showMessage(result.mid(1), true);
        emit importFinished(false);
        return;
    }
    const QString name = QFileInfo(result).fileName();
    showMessage(tr("Imported %1 into the models folder.").arg(name), false);
    buildRows();
    for (int i = 0; i < mTree->topLevelItemCount(); ++i)
        if (mTree->topLevelItem(i)->data(NameColumn, kFileRole).toString() == name)
            mTree->setCurrentItem(mTree->topLevelItem(i));
    emit modelsChanged();
    emit models::folderEvents()->changed();
    emit importFinished(true);
}

void ModelsDialog::chooseImport()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Import a model file"), QString(),
                                                      tr("Model files (*.gguf *.safetensors)"));
    if (!path.isEmpty())
        importFile(path);
}

ModelsDialog* showModelsDialog(QWidget* window)
{
    QWidget* top = window ? window->window() : nullptr;
    auto* dialog = top ? top->findChild<ModelsDialog*>(QStringLiteral("modelsDialog"), Qt::FindDirectChildrenOnly) : nullptr;
    if (!dialog)
        dialog = new ModelsDialog(top);
    dialog->show();
    dialog->raise();
    dialog->activateWindow();
    return dialog;
}

} // namespace atelier::ui

#include "model_offer.h"

#include "llm/model_file_info.h"
#include "models/catalogue.h"
#include "models/model_download.h"
#include "models/models_dialog.h"
#include "models/models_folder.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>
#include <QtConcurrent/QtConcurrentRun>

namespace atelier::ui {

namespace {
const char* kDismissedKey = "models/offerDismissed";
}

ModelOffer::ModelOffer(QWidget* parent) : QFrame(parent)
{
    setObjectName("modelOffer");
    setFrameShape(QFrame::StyledPanel);
    setAutoFillBackground(true);
    setBackgroundRole(QPalette::AlternateBase);
    mText = new QLabel(this);
    mText->setObjectName("modelOfferText");
    mText->setWordWrap(true);
    mText->setMinimumWidth(120);
    mText->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    mDownload = new QPushButton(tr("Download"), this); // short: the bar must not widen the window
    mDownload->setObjectName("modelOfferDownload");
    mBrowse = new QPushButton(tr("Other models…"), this);
    mBrowse->setObjectName("modelOfferBrowse");
    mDismiss = new QPushButton(tr("Not now"), this);
    mDismiss->setObjectName("modelOfferDismiss");
    mDismiss->setFlat(true);
    connect(mDownload, &QPushButton::clicked, this, &ModelOffer::downloadOffered);
    connect(mBrowse, &QPushButton::clicked, this, [this] {
        ModelsDialog* dialog = showModelsDialog(this);
        if (!mOfferedId.isEmpty())
            dialog->selectModel(mOfferedId);
    });
    connect(mDismiss, &QPushButton::clicked, this, &ModelOffer::dismiss);

    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(12, 6, 12, 6);
    layout->addWidget(mText, 1);
    layout->addWidget(mDownload);
    layout->addWidget(mBrowse);
    layout->addWidget(mDismiss);
    connect(models::folderEvents(), &models::FolderEvents::changed, this, &ModelOffer::refresh);
    connect(&mScan, &QFutureWatcher<bool>::finished, this, &ModelOffer::decide);
    hide();
    refresh();
}

void ModelOffer::refresh()
{
    if (mScan.isRunning()) {
        mRefreshAgain = true;
        return;
    }
    QStringList ggufs;
    for (const models::InstalledFile& f : models::installedFiles())
        if (!f.partial && f.fileName.endsWith(QLatin1String(".gguf"), Qt::CaseInsensitive))
            ggufs << f.path;
    mScan.setFuture(QtConcurrent::run([ggufs] {
        for (const QString& path : ggufs) {
            auto info = llm::readModelFileInfo(path.toStdString());
            if (info && info->problem.empty() && info->hasChatTemplate)
                return true;
        }
        return false;
    }));
}

void ModelOffer::decide()
{
    if (mRefreshAgain) {
        mRefreshAgain = false;
        refresh();
        return;
    }
    mOfferedId.clear();
    auto catalogue = models::loadCatalogue();
    bool instructionModel = mScan.result();
    if (catalogue)
        for (const models::CatalogueModel& m : catalogue->models)
            instructionModel = instructionModel || (m.kind == models::ModelKind::Chat && models::isInstalled(m));
    const models::CatalogueModel* best =
        catalogue ? catalogue->bestChatModel(models::deviceMemoryBudget(), models::suggestionCap()) : nullptr;
    if (!best || instructionModel || QSettings().value(kDismissedKey).toBool()) {
        hide();
        emit checked();
        return;
    }
    mOfferedId = best->id;
    const QString size = best->size > 0 ? models::formatDownloadSize(best->size) : tr("size unknown");
    mText->setText(tr("The offline default model continues text but does not follow instructions. "
                      "<b>%1</b> (%2, %3) fits this device and answers questions.")
                       .arg(best->name.toHtmlEscaped(), size, best->licence.toHtmlEscaped()));
    mDownload->setToolTip(tr("Download %1 into the models folder").arg(best->name));
    show();
    emit checked();
}

void ModelOffer::downloadOffered()
{
    if (mOfferedId.isEmpty())
        return;
    showModelsDialog(this)->startDownload(mOfferedId);
}

void ModelOffer::dismiss()
{
    QSettings().setValue(kDismissedKey, true);
    hide();
}

} // namespace atelier::ui

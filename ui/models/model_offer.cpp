#include "model_offer.h"

#include "models/catalogue.h"
#include "models/model_download.h"
#include "models/models_dialog.h"
#include "models/models_folder.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>

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
    mDownload = new QPushButton(this);
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
    hide();
    refresh();
}

void ModelOffer::refresh()
{
    mOfferedId.clear();
    auto catalogue = models::loadCatalogue();
    if (!catalogue || QSettings().value(kDismissedKey).toBool()) {
        hide();
        return;
    }
    for (const models::CatalogueModel& m : catalogue->models)
        if (m.kind == models::ModelKind::Chat && models::isInstalled(m)) {
            hide(); // an instruction-following model is there already
            return;
        }
    const models::CatalogueModel* best = catalogue->bestChatModel(models::deviceMemoryBudget(), models::suggestionCap());
    if (!best) {
        hide();
        return;
    }
    mOfferedId = best->id;
    const QString size = best->size > 0 ? models::formatDownloadSize(best->size) : tr("size unknown");
    mText->setText(tr("The offline default model continues text but does not follow instructions. "
                      "<b>%1</b> (%2, %3) fits this device and answers questions.")
                       .arg(best->name.toHtmlEscaped(), size, best->licence.toHtmlEscaped()));
    mDownload->setText(tr("Download %1").arg(best->name));
    setVisible(true);
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

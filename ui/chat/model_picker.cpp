#include "chat/model_picker.h"

#include "chat/chat_engine.h"
#include "chat/model_catalog.h"
#include "chat/remote_model_dialog.h"
#include "chat/remote_models.h"
#include "core/app_paths.h"
#include "models/models_dialog.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QMenu>
#include <QProgressBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace atelier::ui {

ModelPicker::ModelPicker(ModelCatalog& catalog, QWidget* parent)
    : QWidget(parent)
    , mCatalog(catalog)
    , mCombo(new QComboBox(this))
    , mOpen(new QToolButton(this))
    , mUnload(new QToolButton(this))
    , mSettings(new QToolButton(this))
    , mProgress(new QProgressBar(this))
    , mStatus(new QLabel(this))
{
    setObjectName("modelPicker");
    mCombo->setObjectName("modelCombo");
    mCombo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    mCombo->setMinimumContentsLength(18);
    mOpen->setObjectName("openModelButton");
    mOpen->setText(tr("Open…"));
    mOpen->setToolTip(tr("Open a model file from anywhere"));
    mUnload->setObjectName("unloadModelButton");
    mUnload->setText(tr("Unload"));
    mUnload->setToolTip(tr("Free the memory the model holds"));
    mSettings->setObjectName("chatSettingsButton");
    mSettings->setText(tr("Settings"));
    mSettings->setToolTip(tr("System prompt and sampling for this conversation"));
    mSettings->setCheckable(true);
    mProgress->setObjectName("modelLoadProgress");
    mProgress->setRange(0, 1000);
    mProgress->setMaximumWidth(120);
    mProgress->setTextVisible(false);
    mProgress->hide();
    mStatus->setObjectName("modelStatus");
    mStatus->setForegroundRole(QPalette::PlaceholderText);
    mStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mStatus->setWordWrap(true);

    connect(mCombo, &QComboBox::activated, this, [this](int index) {
        const QString path = mCombo->itemData(index).toString();
        if (path.isEmpty() || path == mPath)
            return;
        if (const ModelEntry* e = mCatalog.find(path); e && !e->usable()) {
            refuse(*e); // the model in use stays chosen and loaded
            return;
        }
        mPath = path;
        describeCurrent();
        emit modelChosen(path);
    });
    connect(mOpen, &QToolButton::clicked, this, &ModelPicker::openFile);
    // Open…'s menu: a model behind an OpenAI-compatible endpoint instead of a file.
    auto* openMenu = new QMenu(mOpen);
    QAction* remote = openMenu->addAction(tr("Remote model…"), this, [this] {
        auto* dialog = new RemoteModelDialog(this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::accepted, this, [this, dialog] {
            mPath = dialog->endpoint().modelPath();
            fill();
            emit modelChosen(mPath);
        });
        dialog->open();
    });
    remote->setObjectName("remoteModelAction");
    remote->setToolTip(tr("Chat with a model on another computer or service (OpenAI-compatible API)"));
    QAction* download = openMenu->addAction(tr("Download models…"), this, [this] { showModelsDialog(this); });
    download->setObjectName("downloadModelsAction"); // the catalogue (issue 19)
    mOpen->setMenu(openMenu);
    mOpen->setPopupMode(QToolButton::MenuButtonPopup);
    connect(mUnload, &QToolButton::clicked, this, &ModelPicker::unloadRequested);
    connect(mSettings, &QToolButton::toggled, this, &ModelPicker::settingsToggled);
    connect(&mCatalog, &ModelCatalog::changed, this, &ModelPicker::fill);

    auto* row = new QHBoxLayout;
    row->addWidget(mCombo);
    row->addWidget(mOpen);
    row->addWidget(mProgress);
    row->addStretch(1);
    row->addWidget(mUnload);
    row->addWidget(mSettings);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 8, 12, 4);
    layout->setSpacing(2);
    layout->addLayout(row);
    layout->addWidget(mStatus);
    fill();
    showUnloaded();
}

void ModelPicker::fill()
{
    mFilling = true;
    mCombo->clear();
    // Models that can run first; files that cannot are listed after them, greyed and marked, so
    // the user sees why a file in the folder is not offered.
    for (const bool usable : {true, false}) {
        for (const ModelEntry& e : mCatalog.models()) {
            if (e.usable() != usable)
                continue;
            const int row = mCombo->count();
            mCombo->addItem(usable ? e.displayName() : tr("%1 — cannot be used").arg(e.displayName()), e.path);
            mCombo->setItemData(row, e.path + QLatin1Char('\n') + e.summary(), Qt::ToolTipRole);
            if (!usable)
                mCombo->setItemData(row, palette().brush(QPalette::Disabled, QPalette::Text), Qt::ForegroundRole);
        }
    }
    addRemoteModels(*mCombo);
    if (!mPath.isEmpty() && mCombo->findData(mPath) < 0)
        mCombo->addItem(QFileInfo(mPath).completeBaseName(), mPath); // listed once the scan catches up
    if (mCombo->count() == 0)
        mCombo->addItem(tr("No models in %1").arg(paths::modelsDir()), QString());
    mCombo->setCurrentIndex(std::max(0, int(mCombo->findData(mPath))));
    mFilling = false;
    if (!mLoaded && mProgress->isHidden())
        describeCurrent();
    takeOpenedFile();
}

void ModelPicker::takeOpenedFile()
{
    // A file from Open… is used only once its header has been read and found runnable.
    if (mOpened.isEmpty() || mCatalog.scanning())
        return;
    const ModelEntry* e = mCatalog.find(mOpened);
    if (!e)
        return;
    mOpened.clear();
    if (!e->usable()) {
        refuse(*e);
        return;
    }
    mPath = e->path;
    mCombo->setCurrentIndex(std::max(0, int(mCombo->findData(mPath))));
    describeCurrent();
    emit modelChosen(mPath);
}

void ModelPicker::refuse(const ModelEntry& entry)
{
    mCombo->setCurrentIndex(std::max(0, int(mCombo->findData(mPath))));
    QString text = tr("%1 cannot be used: %2").arg(QFileInfo(entry.path).fileName(), entry.reason());
    if (mLoaded && !mPath.isEmpty())
        text += tr(" · %1 stays loaded").arg(mCombo->currentText());
    mStatus->setText(text);
}

void ModelPicker::setCurrentPath(const QString& path)
{
    if (path == mPath)
        return;
    mPath = path;
    fill();
}

QString ModelPicker::currentPath() const { return mPath; }

void ModelPicker::openFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a language model"), paths::modelsDir(),
                                                      tr("GGUF models (*.gguf);;All files (*)"));
    if (path.isEmpty())
        return;
    mOpened = QFileInfo(path).absoluteFilePath();
    mStatus->setText(tr("Reading %1…").arg(QFileInfo(path).fileName()));
    mCatalog.addFile(mOpened); // its header is read on a worker; takeOpenedFile() goes on from there
}

void ModelPicker::describeCurrent()
{
    if (const QString remote = describeRemoteModel(mPath); !remote.isEmpty()) {
        mStatus->setText(remote);
        return;
    }
    // With nothing chosen (no usable model), say what is wrong with the one listed first.
    const ModelEntry* e = mCatalog.find(mPath.isEmpty() ? mCombo->currentData().toString() : mPath);
    mStatus->setText(e ? e->summary() : QString());
}

void ModelPicker::showLoading(const QString& path)
{
    mLoaded = false;
    mProgress->setValue(0);
    mProgress->show();
    mUnload->setEnabled(false);
    mStatus->setText(tr("Loading %1…").arg(QFileInfo(path).fileName()));
}

void ModelPicker::showProgress(double fraction) { mProgress->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000)); }

void ModelPicker::showLoaded(const LoadedModelInfo& info)
{
    mLoaded = true;
    mProgress->hide();
    mUnload->setEnabled(true);
    if (const QString remote = describeRemoteModel(info.path); !remote.isEmpty()) {
        mStatus->setText(remote);
        return;
    }
    const ModelEntry* e = mCatalog.find(info.path);
    QString text = tr("Loaded with %1 tokens of context").arg(info.contextLength);
    if (e)
        text = e->summary() + QStringLiteral(" · ") + text;
    if (!info.templateError.isEmpty())
        text += tr(" · its chat template could not be read (%1): it completes text, one line per answer")
                    .arg(info.templateError);
    else if (info.completesText && !(e && e->summary().contains(baseModelNote())))
        text += QStringLiteral(" · ") + baseModelNote(); // once: the catalogue's summary may say it already
    mStatus->setText(text);
}

void ModelPicker::showFailed(const QString& message)
{
    mLoaded = false;
    mProgress->hide();
    mUnload->setEnabled(false);
    mStatus->setText(tr("Could not load the model: %1").arg(message));
}

void ModelPicker::showUnloaded()
{
    mLoaded = false;
    mProgress->hide();
    mUnload->setEnabled(false);
    describeCurrent();
}

} // namespace atelier::ui

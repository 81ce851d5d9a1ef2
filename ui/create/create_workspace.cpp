#include "create/create_workspace.h"

#include "create/create_form.h"
#include "create/layout_mode.h"
#include "create/picture_actions.h"
#include "create/picture_parameters.h"
#include "create/picture_png.h"
#include "create/picture_view.h"
#include "describe/describe_button.h"
#include "describe/describe_status.h"
#include "diffusion/sampling/sampler_names.h"
#include "model_files.h"
#include "widgets/empty_state.h"
#include "widgets/form_scroll_area.h"

#include <QDir>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QShortcut>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QVBoxLayout>

namespace atelier::ui {

CreateWorkspace::CreateWorkspace(engine::ComputeEngine& engine, QWidget* parent)
    : QWidget(parent)
    , mEngine(new ImageEngine(engine, this))
{
    setObjectName("createWorkspace");
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    mPages = new QStackedWidget(this);
    outer->addWidget(mPages);
    mEmpty = new EmptyState(QStringLiteral(":/icons/create.svg"), tr("Create"),
                            tr("Turn a text prompt into a picture with a Stable Diffusion model on your GPU."),
                            imageCheckpoints(), tr("Open models folder"), this);

    auto* splitter = new QSplitter(this);
    mForm = new CreateForm(this);
    auto* column = new FormScrollArea(mForm, this);
    splitter->addWidget(column);
    splitter->setCollapsible(0, false);

    auto* center = new QWidget(this);
    auto* centerLayout = new QVBoxLayout(center);
    mView = new PictureView(center);
    mView->setPlaceholder(tr("Write a prompt and press Generate (Ctrl+Enter).\nThe picture forms here, step by step."));
    // The picture and the Layout mode (regional prompts) share the middle as tabs.
    mCenterTabs = new QTabWidget(center);
    mCenterTabs->setObjectName("createTabs");
    mCenterTabs->setDocumentMode(true);
    mCenterTabs->addTab(mView, tr("Picture"));
    mLayout = new LayoutMode(center);
    mCenterTabs->addTab(mLayout, tr("Layout"));
    mCenterTabs->setTabToolTip(1, tr("Boxes with prompts of their own: where things go in the picture"));
    centerLayout->addWidget(mCenterTabs, 1);
    // Under the picture, from the first run or picture on, one row of one height so the picture
    // never moves: the finished picture's actions, or while one forms, its progress.
    mUnderPicture = new QStackedWidget(center);
    mUnderPicture->setObjectName("underPicture");
    auto* actionsPage = new QWidget(mUnderPicture);
    auto* actionsRow = new QVBoxLayout(actionsPage);
    actionsRow->setContentsMargins(0, 0, 0, 0);
    mActions = new PictureActions(actionsPage);
    actionsRow->addWidget(mActions);
    mUnderPicture->addWidget(actionsPage);
    auto* progressPage = new QWidget(mUnderPicture);
    auto* progressRow = new QVBoxLayout(progressPage);
    progressRow->setContentsMargins(0, 0, 0, 0);
    mProgress = new QProgressBar(progressPage);
    mProgress->setObjectName("createProgress");
    mProgress->setRange(0, 1000);
    mProgress->setTextVisible(true);
    mProgress->setFormat(QString());
    progressRow->addWidget(mProgress, 0, Qt::AlignVCenter);
    mUnderPicture->addWidget(progressPage);
    mUnderPicture->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Fixed);
    // As tall without a picture as with its actions (which, hidden, take no width).
    mUnderPicture->setMinimumHeight(std::max(mActions->sizeHint().height(), progressPage->sizeHint().height()));
    mUnderPicture->hide(); // nothing to say yet: the window's smallest size stays as it was
    connect(mActions, &PictureActions::pictureChanged, this, [this] {
        if (!mActions->picture().image.isNull())
            mUnderPicture->show();
    });
    centerLayout->addWidget(mUnderPicture);
    connect(mActions, &PictureActions::useAsInitPicture, this, &CreateWorkspace::setInitImage);
    connect(mActions, &PictureActions::sendToInpaint, this, &CreateWorkspace::sendToInpaint);
    connect(mActions, &PictureActions::message, this, [this](const QString& text) {
        mStatus->setStyleSheet({});
        mShowingError = false;
        mStatus->setText(text);
    });
    mStatus = new QLabel(center);
    mStatus->setObjectName("createStatus");
    mStatus->setWordWrap(true);
    mStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mStatus->setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Minimum); // an error is never squeezed out of sight
    // One line even when empty: a word-wrapped label emptied by clear() is 0 px high, so "Made in"
    // at the end of a run pushed the picture up.
    mStatus->setMinimumHeight(mStatus->sizeHint().height());
    centerLayout->addWidget(mStatus);

    // Below the picture: the queue and the finished picture's parameters, side by side.
    auto* below = new QWidget(this);
    auto* belowLayout = new QHBoxLayout(below);
    const QMargins aside = centerLayout->contentsMargins(); // lined up with the picture above, off the window's edge
    belowLayout->setContentsMargins(aside.left(), 0, aside.right(), 0);
    auto* queueColumn = new QVBoxLayout;
    auto* side = below;
    queueColumn->addWidget(new QLabel(tr("Queue"), side));
    mQueue = new QListWidget(side);
    mQueue->setObjectName("queue");
    // Room for four two-line pictures before it scrolls.
    mQueue->setMinimumHeight(8 * mQueue->fontMetrics().lineSpacing() + 2 * mQueue->frameWidth() + 8);
    queueColumn->addWidget(mQueue, 1);
    auto* buttons = new QHBoxLayout;
    mCancel = new QPushButton(tr("Cancel"), side);
    mCancel->setObjectName("cancelButton");
    mCancel->setToolTip(tr("Remove the selected picture from the queue, or stop it if it is running; "
                           "with none selected, stop the running one (Esc)"));
    mCancelAll = new QPushButton(tr("Cancel all"), side);
    mCancelAll->setObjectName("cancelAllButton");
    buttons->addWidget(mCancel);
    buttons->addWidget(mCancelAll);
    queueColumn->addLayout(buttons);
    mParameters = new PictureParameters(side);
    belowLayout->addLayout(queueColumn, 1);
    belowLayout->addWidget(mParameters, 1);

    auto* centerSplitter = new QSplitter(Qt::Vertical, this);
    centerSplitter->addWidget(center);
    centerSplitter->addWidget(below);
    centerSplitter->setStretchFactor(0, 3);
    centerSplitter->setStretchFactor(1, 1);
    centerSplitter->setCollapsible(1, false);
    splitter->addWidget(centerSplitter);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({column->sizeHint().width(), 700}); // the form unclipped where there is room

    mPages->addWidget(mEmpty);
    mPages->addWidget(splitter);

    connect(mForm, &CreateForm::generateRequested, this, &CreateWorkspace::generate);
    connect(mForm, &CreateForm::edited, this, [this] {
        if (mShowingError) { // the value it was about has changed
            mStatus->clear();
            mStatus->setStyleSheet({});
            mShowingError = false;
        }
    });
    auto followSize = [this] {
        const CreateSettings s = mForm->settings();
        mLayout->setPictureSize(QSize(s.width, s.height));
        mLayout->setInitPicture(s.initImagePath); // img2img: the regions are drawn over it
    };
    followSize();
    connect(mForm, &CreateForm::edited, this, followSize);
    connect(mLayout, &LayoutMode::edited, this, [this] {
        showLayoutCount();
        if (mShowingError) { // about the old regions
            mStatus->clear();
            mStatus->setStyleSheet({});
            mShowingError = false;
        }
    });
    connect(mLayout, &LayoutMode::message, this, [this](const QString& text, bool error) {
        if (error)
            return showError(text);
        mStatus->setStyleSheet({});
        mShowingError = false;
        mStatus->setText(text);
    });
    showLayoutCount();
    connect(mCancel, &QPushButton::clicked, this, &CreateWorkspace::cancelSelected);
    connect(mQueue, &QListWidget::itemSelectionChanged, this, [this] {
        mCancel->setEnabled(mEngine->busy() || !mQueue->selectedItems().isEmpty());
    });
    auto* removeShortcut = new QShortcut(QKeySequence::Delete, mQueue);
    removeShortcut->setContext(Qt::WidgetShortcut);
    connect(removeShortcut, &QShortcut::activated, this, &CreateWorkspace::cancelSelected);
    connect(mCancelAll, &QPushButton::clicked, mEngine, &ImageEngine::cancelAll);
    auto* generateShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Return), this);
    generateShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(generateShortcut, &QShortcut::activated, this, &CreateWorkspace::generate);
    auto* enterShortcut = new QShortcut(QKeySequence(Qt::CTRL | Qt::Key_Enter), this);
    enterShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(enterShortcut, &QShortcut::activated, this, &CreateWorkspace::generate);
    auto* cancelShortcut = new QShortcut(QKeySequence(Qt::Key_Escape), this);
    cancelShortcut->setContext(Qt::WidgetWithChildrenShortcut);
    connect(cancelShortcut, &QShortcut::activated, this, &CreateWorkspace::cancelRunning);

    connect(mEngine, &ImageEngine::queueChanged, this, &CreateWorkspace::updateQueue);
    connect(mEngine, &ImageEngine::started, this, &CreateWorkspace::jobStarted);
    connect(mEngine, &ImageEngine::progress, this, &CreateWorkspace::jobProgress);
    connect(mEngine, &ImageEngine::preview, this, &CreateWorkspace::jobPreview);
    connect(mEngine, &ImageEngine::finished, this, &CreateWorkspace::jobFinished);
    connect(mEngine, &ImageEngine::failed, this, &CreateWorkspace::jobFailed);
    connect(mEngine, &ImageEngine::cancelled, this, &CreateWorkspace::jobCancelled);
    updateQueue();
    mPages->setCurrentIndex(mForm->settings().modelPath.isEmpty() ? 0 : 1);
}

void CreateWorkspace::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    mForm->refreshModels();
    mPages->setCurrentIndex(mForm->settings().modelPath.isEmpty() ? 0 : 1);
}

void CreateWorkspace::setPrompt(const QString& prompt) { mForm->setPrompt(prompt); }

void CreateWorkspace::setDescriber(PictureDescriber* describer)
{
    mActions->describeButton()->setDescriber(describer);
    mForm->describeInitButton()->setDescriber(describer);
    auto* column = qobject_cast<QVBoxLayout*>(mUnderPicture->parentWidget()->layout());
    if (describer && column && !findChild<DescribeStatus*>())
        column->insertWidget(column->indexOf(mUnderPicture) + 1,
                             new DescribeStatus(*describer, mUnderPicture->parentWidget()));
}

QString CreateWorkspace::prompt() const { return mForm->settings().prompt; }

void CreateWorkspace::setParameters(const diffusion::GenerationParameters& parameters)
{
    mForm->setParameters(parameters);
    // The picture's regions replace the layout (one undo step brings the old one back).
    auto regions = diffusion::regionsOf(parameters);
    mLayout->setPictureSize(QSize(parameters.width, parameters.height));
    mLayout->setRegions(regions ? *regions : std::vector<diffusion::Region>{}, QSize(parameters.width, parameters.height),
                        tr("Reuse a picture's regions"));
    // The last picture and its parameters belong to other settings: they go (a cancelled run no
    // longer gives them back), while a picture forming stays on show.
    mActions->setPicture({});
    mLayout->setBackground({});
    mView->setPlaceholder(tr("The parameters are in the form.\nPress Generate (Ctrl+Enter) to make the picture."));
    if (!mForming) {
        showLastPicture();
        mStatus->setStyleSheet({});
        mShowingError = false;
        mStatus->clear();
    }
}

void CreateWorkspace::setInitImage(const QString& path) { mForm->setInitImage(path); }

bool CreateWorkspace::hasPicture() const
{
    return !mForming && !mActions->picture().image.isNull() && !mView->image().isNull();
}

void CreateWorkspace::exportPicture()
{
    if (hasPicture())
        mActions->saveAs();
}

bool CreateWorkspace::generate()
{
    const CreateSettings s = mForm->settings();
    mForm->remember();
    if (s.modelPath.isEmpty()) {
        showError(tr("No model is chosen. Put a Stable Diffusion .safetensors checkpoint in the models folder."));
        return false;
    }
    auto sampler = diffusion::parseA1111Sampler(s.sampler.toStdString(),
                                                s.schedule == QLatin1String("Automatic") ? "" : s.schedule.toStdString());
    if (!sampler) {
        showError(QString::fromStdString(sampler.error().message));
        return false;
    }
    ImageRequest request;
    request.modelPath = s.modelPath;
    diffusion::GenerationRequest& g = request.generation;
    g.prompt = s.prompt;
    g.negativePrompt = s.negativePrompt;
    g.width = s.width;
    g.height = s.height;
    g.steps = s.steps;
    g.cfgScale = s.cfgScale;
    g.sampler = *sampler;
    g.regions = mLayout->regions();
    if (Status fits = diffusion::checkRegions(g.regions, g.width, g.height); !fits) {
        mCenterTabs->setCurrentWidget(mLayout);
        showError(tr("Layout: %1").arg(QString::fromStdString(fits.error().message)));
        return false;
    }
    if (!s.initImagePath.isEmpty()) {
        auto init = loadInitImage(s.initImagePath, s.width, s.height);
        if (!init) {
            showError(QString::fromStdString(init.error().message));
            return false;
        }
        request.initImagePath = s.initImagePath;
        g.initImage = std::move(*init);
        g.strength = s.strength;
    }
    // A1111: a random seed is drawn once per batch; the batch's pictures take the next seeds.
    const quint64 base = s.seed >= 0 ? quint64(s.seed) : QRandomGenerator::global()->bounded(quint64(4294967295u));
    for (int i = 0; i < s.batchCount; ++i) {
        g.seed = base + quint64(i);
        mEngine->enqueue(request);
    }
    mStatus->clear();
    mShowingError = false;
    mCenterTabs->setCurrentWidget(mView); // the picture forms there
    return true;
}

void CreateWorkspace::cancelRunning()
{
    for (const ImageEngine::Ticket& t : mEngine->queue())
        if (t.running)
            mEngine->cancel(t.id);
}

void CreateWorkspace::cancelSelected()
{
    const QList<QListWidgetItem*> selected = mQueue->selectedItems();
    if (selected.isEmpty()) {
        cancelRunning();
        return;
    }
    for (QListWidgetItem* item : selected)
        mEngine->cancel(item->data(Qt::UserRole).value<engine::JobId>());
}

void CreateWorkspace::updateQueue()
{
    // Rebuilt on every change; the selection follows its pictures.
    QList<engine::JobId> selected;
    for (QListWidgetItem* item : mQueue->selectedItems())
        selected.append(item->data(Qt::UserRole).value<engine::JobId>());
    const QSignalBlocker quiet(mQueue);
    mQueue->clear();
    for (const ImageEngine::Ticket& t : mEngine->queue()) {
        const diffusion::GenerationRequest& g = t.request.generation;
        QString prompt = g.prompt.simplified();
        if (prompt.size() > 40)
            prompt = prompt.left(39) + QStringLiteral("…");
        // Words, not symbols: not every font has a glyph for ▶ or ⏳.
        auto* item = new QListWidgetItem(tr("%1 · %2\nseed %3 · %4×%5 · %6 steps")
                                             .arg(t.running ? tr("Running") : tr("Waiting"),
                                                  prompt.isEmpty() ? tr("(no prompt)") : prompt)
                                             .arg(g.seed)
                                             .arg(g.width)
                                             .arg(g.height)
                                             .arg(g.steps) +
                                             (g.regions.empty() ? QString()
                                              : g.regions.size() == 1 ? tr(" · 1 region")
                                                                      : tr(" · %1 regions").arg(g.regions.size())),
                                         mQueue);
        item->setData(Qt::UserRole, QVariant::fromValue(t.id));
        item->setSelected(selected.contains(t.id));
    }
    const bool busy = mEngine->busy();
    mCancel->setEnabled(busy || !mQueue->selectedItems().isEmpty());
    mCancelAll->setEnabled(mEngine->queue().size() > 1);
}

void CreateWorkspace::showLayoutCount()
{
    const int count = int(mLayout->regions().size());
    mCenterTabs->setTabText(mCenterTabs->indexOf(mLayout), count ? tr("Layout (%1)").arg(count) : tr("Layout"));
}

void CreateWorkspace::showError(const QString& message)
{
    mStatus->setStyleSheet(QStringLiteral("color: palette(highlighted-text); background: #b3261e; padding: 6px;"));
    mStatus->setText(message);
    mShowingError = true;
}

void CreateWorkspace::jobStarted(engine::JobId ticket)
{
    for (const ImageEngine::Ticket& t : mEngine->queue())
        if (t.id == ticket) {
            mRunningSize = QSize(t.request.generation.width, t.request.generation.height);
            mParameters->showForming(t.request);
        }
    mForming = ticket;
    mProgress->setValue(0);
    mProgress->setFormat(tr("Starting…"));
    mUnderPicture->setCurrentIndex(1);
    mUnderPicture->show();
}

void CreateWorkspace::jobProgress(engine::JobId, double fraction, const QString& text)
{
    mProgress->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000));
    mProgress->setFormat(text);
}

void CreateWorkspace::jobPreview(engine::JobId, int step, int steps, const QImage& image)
{
    mView->setImage(image, mRunningSize);
    mProgress->setValue(int(1000.0 * (step + 1) / steps));
    mProgress->setFormat(tr("Step %1 of %2").arg(step + 1).arg(steps));
}

void CreateWorkspace::jobFinished(engine::JobId, const ImageResult& result)
{
    mForming = 0;
    mLayout->setBackground(result.image);
    mActions->setPicture(result);
    showLastPicture();
    mForm->setLastSeed(result.parameters.seed);
    mStatus->setStyleSheet({});
    mShowingError = false;
    mStatus->setText(tr("Made in %1 s").arg(result.seconds, 0, 'f', 1));
    emit pictureFinished(result);
}

void CreateWorkspace::jobFailed(engine::JobId ticket, const QString& message)
{
    if (ticket == mForming) {
        mForming = 0;
        showLastPicture();
    }
    showError(message);
}

void CreateWorkspace::jobCancelled(engine::JobId ticket)
{
    if (ticket == mForming) { // not a waiting picture taken out of the queue
        mForming = 0;
        showLastPicture();
    }
    mStatus->setStyleSheet({});
    mShowingError = false;
    mStatus->setText(tr("Cancelled"));
}

void CreateWorkspace::showLastPicture()
{
    const ImageResult& last = mActions->picture();
    mView->setImage(last.image);
    if (last.image.isNull())
        mParameters->clear();
    else
        mParameters->showFinished(last.parameters);
    mUnderPicture->setCurrentIndex(0);
}

} // namespace atelier::ui

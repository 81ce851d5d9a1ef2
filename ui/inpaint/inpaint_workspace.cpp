#include "inpaint/inpaint_workspace.h"

#include "core/app_paths.h"
#include "create/layout_mode.h"
#include "create/region_layout.h"
#include "diffusion/regions.h"
#include "diffusion/generation_parameters.h"
#include "io/png_text.h"
#include "diffusion/sampling/sampler_names.h"
#include "inpaint/inpaint_form.h"
#include "inpaint/mask_canvas.h"
#include "inpaint/region_shift.h"
#include "inpaint/mask_shaping.h"
#include "model_files.h"
#include "widgets/empty_state.h"
#include "widgets/form_scroll_area.h"

#include <QBuffer>
#include <QClipboard>
#include <QDir>
#include <QDragEnterEvent>
#include <QFile>
#include <QFileInfo>
#include <QFileDialog>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QImageReader>
#include <QLabel>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QRandomGenerator>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QToolBar>
#include <QUndoStack>
#include <QVBoxLayout>

namespace atelier::ui {

namespace {

// RGB [height, width, 3] in [-1, 1], as GenerationRequest::initImage wants it.
std::vector<float> pictureToFloats(const QImage& picture)
{
    const QImage rgb = picture.convertToFormat(QImage::Format_RGB888);
    std::vector<float> out(size_t(rgb.width()) * size_t(rgb.height()) * 3);
    for (int y = 0; y < rgb.height(); ++y) {
        const uchar* row = rgb.constScanLine(y);
        for (int i = 0; i < rgb.width() * 3; ++i)
            out[(size_t(y) * size_t(rgb.width())) * 3 + size_t(i)] = row[i] / 127.5f - 1.0f;
    }
    return out;
}

QByteArray pngBytes(const QImage& image)
{
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return png;
}

// The first local picture file among a drag's or the clipboard's URLs.
QString pictureFile(const QMimeData* data)
{
    if (!data || !data->hasUrls())
        return {};
    for (const QUrl& url : data->urls())
        if (url.isLocalFile() && !QImageReader::imageFormat(url.toLocalFile()).isEmpty())
            return url.toLocalFile();
    return {};
}

QShortcut* shortcut(const QKeySequence& keys, QWidget* parent)
{
    auto* s = new QShortcut(keys, parent);
    s->setContext(Qt::WidgetWithChildrenShortcut);
    return s;
}

} // namespace

InpaintWorkspace::InpaintWorkspace(engine::ComputeEngine& engine, QWidget* parent)
    : QWidget(parent)
    , mEngine(new ImageEngine(engine, this))
{
    setObjectName("inpaintWorkspace");
    setAcceptDrops(true);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    mPages = new QStackedWidget(this);
    outer->addWidget(mPages);
    mEmpty = new EmptyState(QStringLiteral(":/icons/inpaint.svg"), tr("Inpaint"),
                            tr("Paint a mask over part of a picture and have the model redraw only that part."),
                            imageCheckpoints(), tr("Open models folder"), this);
    auto* splitter = new QSplitter(this);
    mPages->addWidget(mEmpty);
    mPages->addWidget(splitter);

    mForm = new InpaintForm(this);
    auto* column = new FormScrollArea(mForm, this);
    splitter->addWidget(column);
    splitter->setCollapsible(0, false);

    auto* center = new QWidget(this);
    auto* centerLayout = new QVBoxLayout(center);
    mCanvas = new MaskCanvas(center);
    mCanvas->setBrushSize(mForm->brushSize());
    mCanvas->setHardness(mForm->hardness());
    mCanvas->setOverlayOpacity(mForm->overlayOpacity());
    mCanvas->setShapingPreview(mForm->settings().grow, mForm->settings().feather);
    centerLayout->addWidget(toolBar());
    // The mask and the regional prompts over the same picture share the middle as tabs (issue 20).
    mTabs = new QTabWidget(center);
    mTabs->setObjectName("inpaintTabs");
    mTabs->addTab(mCanvas, tr("Mask"));
    mLayout = new LayoutMode(center, QStringLiteral("inpaint"));
    mTabs->addTab(mLayout, tr("Regions"));
    centerLayout->addWidget(mTabs, 1);
    connect(mTabs, &QTabWidget::currentChanged, this, [this] {
        for (QAction* a : std::as_const(mMaskTools))
            a->setVisible(mTabs->currentWidget() == mCanvas); // E, Invert, Clear… mean nothing over the regions
    });
    mProgress = new QProgressBar(center);
    mProgress->setObjectName("inpaintProgress");
    mProgress->setRange(0, 1000);
    mProgress->setMinimumWidth(56); // narrow windows keep it beside Cancel and the result's tools (640 px wide)
    mProgress->hide();
    mCancel = new QPushButton(tr("Cancel"), center);
    mCancel->setObjectName("inpaintCancel");
    mCancel->setToolTip(tr("Stop at the next step (Esc)"));
    mCancel->hide();
    for (QWidget* w : {static_cast<QWidget*>(mProgress), static_cast<QWidget*>(mCancel)}) {
        QSizePolicy policy = w->sizePolicy();
        policy.setRetainSizeWhenHidden(true); // the canvas keeps its size while a job runs
        w->setSizePolicy(policy);
    }
    auto* progressRow = new QHBoxLayout;
    progressRow->addWidget(mProgress, 1);
    progressRow->addWidget(mCancel);
    progressRow->addWidget(mResultTools);
    centerLayout->addLayout(progressRow);
    mStatus = new QLabel(center);
    mStatus->setObjectName("inpaintStatus");
    mStatus->setWordWrap(true);
    mStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
    centerLayout->addWidget(mStatus);
    splitter->addWidget(center);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({column->sizeHint().width(), 720}); // the form unclipped where there is room

    connect(mForm, &InpaintForm::generateRequested, this, &InpaintWorkspace::generate);
    connect(mForm, &InpaintForm::brushChanged, this, [this](int size, double hardness) {
        mCanvas->setBrushSize(size);
        mCanvas->setHardness(hardness);
    });
    connect(mForm, &InpaintForm::overlayOpacityChanged, mCanvas, &MaskCanvas::setOverlayOpacity);
    connect(mForm, &InpaintForm::shapingChanged, mCanvas, &MaskCanvas::setShapingPreview);
    connect(mForm, &InpaintForm::extendRequested, this, [this](Qt::Edge edge, int pixels) {
        // The regions stay on what they cover: moved with the picture, not stretched with it, in
        // the same undo step as the extension (so Undo puts both back).
        const QSize before = mCanvas->picture().size();
        if (mLayout->layout()->count() == 0 || before.isEmpty() || pixels <= 0) {
            mCanvas->extend(edge, pixels); // does nothing without a picture
            return;
        }
        QUndoStack* undo = mCanvas->undoStack();
        undo->beginMacro(tr("Extend by %1 px").arg(pixels));
        mCanvas->extend(edge, pixels);
        const QSize after = mCanvas->picture().size();
        const QPointF offset(edge == Qt::LeftEdge ? after.width() - before.width() : 0,
                             edge == Qt::TopEdge ? after.height() - before.height() : 0);
        undo->push(new RegionShift(mLayout->layout(), before, after, offset));
        undo->endMacro();
    });
    connect(mCanvas, &MaskCanvas::maskChanged, this, &InpaintWorkspace::updateActions);
    connect(mCanvas, &MaskCanvas::pictureChanged, this, [this] {
        mResult = {};
        // The regions are drawn over the picture (as fractions of it, so they follow an extension).
        mLayout->setPictureSize(mCanvas->picture().size());
        mLayout->setBackground(mCanvas->picture());
        updateActions();
    });
    connect(mLayout, &LayoutMode::edited, this, [this] {
        showRegionCount();
        if (mStatus->text().startsWith(tr("Regions: "))) // an error about the old regions
            showStatus({});
    });
    connect(mLayout, &LayoutMode::message, this,
            [this](const QString& text, bool error) { error ? showError(text) : showStatus(text); });
    showRegionCount();
    connect(mCancel, &QPushButton::clicked, this, &InpaintWorkspace::cancelRunning);
    for (auto keys : {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)})
        connect(shortcut(keys, this), &QShortcut::activated, this, &InpaintWorkspace::generate);
    connect(shortcut(Qt::Key_Escape, this), &QShortcut::activated, this, &InpaintWorkspace::cancelRunning);
    connect(shortcut(QKeySequence::Open, this), &QShortcut::activated, this, &InpaintWorkspace::openFile);
    connect(shortcut(QKeySequence::Paste, this), &QShortcut::activated, this, &InpaintWorkspace::paste);

    connect(mEngine, &ImageEngine::started, this, &InpaintWorkspace::jobStarted);
    connect(mEngine, &ImageEngine::progress, this, &InpaintWorkspace::jobProgress);
    connect(mEngine, &ImageEngine::preview, this, &InpaintWorkspace::jobPreview);
    connect(mEngine, &ImageEngine::finished, this, &InpaintWorkspace::jobFinished);
    connect(mEngine, &ImageEngine::failed, this, &InpaintWorkspace::jobFailed);
    connect(mEngine, &ImageEngine::cancelled, this, &InpaintWorkspace::jobCancelled);
    updateActions();
    updatePage();
}

// Without a checkpoint and without a picture, the empty state says where checkpoints go.
void InpaintWorkspace::updatePage()
{
    const bool editor = mCanvas->hasPicture() || !mForm->settings().modelPath.isEmpty();
    mPages->setCurrentIndex(editor ? 1 : 0);
}

// A QToolBar: what does not fit in a narrow window goes into its » menu.
QWidget* InpaintWorkspace::toolBar()
{
    auto* bar = new QToolBar(this);
    bar->setObjectName("inpaintTools");
    bar->setToolButtonStyle(Qt::ToolButtonTextOnly);
    QToolBar* into = bar; // where action() adds
    auto action = [&into](const QString& name, const QString& text, const QString& tip) {
        QAction* a = into->addAction(text);
        a->setObjectName(name);
        a->setToolTip(tip);
        into->widgetForAction(a)->setObjectName(name);
        return a;
    };
    connect(action("openPicture", tr("Open…"), tr("Open a picture (Ctrl+O)")), &QAction::triggered, this,
            &InpaintWorkspace::openFile);
    connect(action("pastePicture", tr("Paste"), tr("Paste a picture from the clipboard (Ctrl+V)")),
            &QAction::triggered, this, &InpaintWorkspace::paste);
    mMaskTools.append(bar->addSeparator());
    mEraser = action("eraser", tr("Eraser"), tr("Erase the mask instead of painting it (E)"));
    mEraser->setCheckable(true);
    mEraser->setShortcut(Qt::Key_E);
    mEraser->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(mEraser);
    connect(mEraser, &QAction::toggled, mCanvas, &MaskCanvas::setErasing);
    QUndoStack* undo = mCanvas->undoStack();
    QAction* undoAction = action("undoMask", tr("Undo"), tr("Undo the last stroke (Ctrl+Z)"));
    connect(undoAction, &QAction::triggered, undo, &QUndoStack::undo);
    connect(undo, &QUndoStack::canUndoChanged, undoAction, &QAction::setEnabled);
    QAction* redoAction = action("redoMask", tr("Redo"), tr("Redo (Ctrl+Shift+Z)"));
    connect(redoAction, &QAction::triggered, undo, &QUndoStack::redo);
    connect(undo, &QUndoStack::canRedoChanged, redoAction, &QAction::setEnabled);
    undoAction->setEnabled(false);
    redoAction->setEnabled(false);
    connect(shortcut(QKeySequence::Undo, this), &QShortcut::activated, undo, &QUndoStack::undo);
    // Ctrl+Shift+Z and Ctrl+Y on every platform, as one shortcut so they never clash.
    QList<QKeySequence> redoKeys = QKeySequence::keyBindings(QKeySequence::Redo);
    for (const QKeySequence& keys : {QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)})
        if (!redoKeys.contains(keys))
            redoKeys.append(keys);
    QShortcut* redoShortcut = shortcut({}, this);
    redoShortcut->setKeys(redoKeys);
    connect(redoShortcut, &QShortcut::activated, undo, &QUndoStack::redo);
    connect(action("invertMask", tr("Invert"), tr("Mask what is not masked and the other way round")),
            &QAction::triggered, mCanvas, &MaskCanvas::invertMask);
    connect(action("clearMask", tr("Clear"), tr("Clear the mask")), &QAction::triggered, mCanvas,
            &MaskCanvas::clearMask);
    connect(action("fillMask", tr("Fill"), tr("Mask the whole picture")), &QAction::triggered, mCanvas,
            &MaskCanvas::fillMask);
    connect(action("fitPicture", tr("Fit"), tr("Fit the picture to the view")), &QAction::triggered, mCanvas,
            &MaskCanvas::fit);
    // Everything after Open… and Paste works on the mask: shown with the Mask tab only.
    const QList<QAction*> all = bar->actions();
    for (qsizetype i = all.indexOf(mMaskTools.first()) + 1; i < all.size(); ++i)
        mMaskTools.append(all[i]);
    // The result's own actions sit under the canvas, in the progress bar's row, so the tools above
    // need no » menu in a 1024-pixel window (issue 18: it hid Continue from result).
    auto* results = new QToolBar(this);
    results->setObjectName("inpaintResultTools");
    results->setToolButtonStyle(Qt::ToolButtonTextOnly);
    mResultTools = results;
    into = results;
    mBeforeAfter = action("beforeAfter", tr("Result"), tr("Flip between the result and the picture it was made from"));
    mBeforeAfter->setCheckable(true);
    connect(mBeforeAfter, &QAction::toggled, this, &InpaintWorkspace::showResult);
    mKeepResult = action("keepResult", tr("Continue from result"),
                         tr("Make the result the picture to paint on, keeping the mask"));
    connect(mKeepResult, &QAction::triggered, this, [this] {
        if (!mResult.isNull())
            mCanvas->replacePictureKeepingMask(mResult);
    });
    return bar;
}

void InpaintWorkspace::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    mForm->refreshModels();
    updatePage();
}

namespace {
constexpr qint64 kMaxTextScanBytes = qint64(256) << 20; // larger files are opened without their prompt
} // namespace

bool InpaintWorkspace::setPicture(const QString& path)
{
    QImageReader reader(path);
    reader.setAutoTransform(true);
    // A1111's `parameters` text (Atelier's pictures carry it too): the prompt comes along, as
    // A1111's Send to inpaint does, and Atelier's regions.
    const QImage picture = reader.read();
    QString parameters; // Qt's own PNG reader folds its line breaks into spaces
    if (QFile file(path); file.size() <= kMaxTextScanBytes && file.open(QIODevice::ReadOnly)) {
        if (auto chunks = io::readPngText(file.readAll()); chunks) {
            for (const io::PngTextChunk& chunk : chunks.value())
                if (chunk.keyword == QLatin1String("parameters"))
                    parameters = chunk.text;
        }
    }
    if (picture.isNull()) {
        showError(tr("Cannot open %1: %2").arg(QDir::toNativeSeparators(path), reader.errorString()));
        return false;
    }
    setPictureImage(picture);
    if (auto made = diffusion::parseA1111(parameters); !parameters.isEmpty() && made) {
        if (!made->prompt.isEmpty())
            mForm->setPrompt(made->prompt);
        // So do its regions (issue 20), one undo step away from the layout before.
        if (auto regions = diffusion::regionsOf(*made); regions && !regions->empty() && made->width > 0 && made->height > 0)
            mLayout->setRegions(*regions, QSize(made->width, made->height), tr("Regions of %1").arg(QFileInfo(path).fileName()));
    }
    mSourcePath = QFileInfo(path).absoluteFilePath();
    showStatus(tr("%1 (%2 × %3). Paint over what should change.")
                   .arg(QFileInfo(path).fileName())
                   .arg(picture.width())
                   .arg(picture.height()));
    return true;
}

void InpaintWorkspace::setPictureImage(const QImage& picture)
{
    mSourcePath.clear();
    mCanvas->setPicture(picture);
    // A brush wider than a tenth of the picture paints half of a small one at a stroke (48 pixels
    // were 40% of a 128-pixel picture): it shrinks to fit, and never grows on its own.
    const int fitting = std::max(4, std::min(picture.width(), picture.height()) / 10);
    if (mForm->brushSize() > fitting)
        mForm->setBrushSize(fitting);
    mBeforeAfter->setChecked(false);
    updatePage();
    showStatus(tr("A picture of %1 × %2. Paint over what should change.").arg(picture.width()).arg(picture.height()));
}

void InpaintWorkspace::openFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a picture to inpaint"), paths::galleryDir(),
                                                      tr("Pictures (*.png *.jpg *.jpeg *.webp *.bmp)"));
    if (!path.isEmpty())
        setPicture(path);
}

void InpaintWorkspace::paste()
{
    const QMimeData* data = QGuiApplication::clipboard()->mimeData();
    if (const QString file = pictureFile(data); !file.isEmpty())
        setPicture(file);
    else if (data && data->hasImage())
        setPictureImage(qvariant_cast<QImage>(data->imageData()));
    else
        showError(tr("The clipboard holds no picture."));
}

void InpaintWorkspace::dragEnterEvent(QDragEnterEvent* event)
{
    if (!pictureFile(event->mimeData()).isEmpty() || event->mimeData()->hasImage())
        event->acceptProposedAction();
}

void InpaintWorkspace::dropEvent(QDropEvent* event)
{
    event->acceptProposedAction();
    if (const QString file = pictureFile(event->mimeData()); !file.isEmpty())
        setPicture(file);
    else
        setPictureImage(qvariant_cast<QImage>(event->mimeData()->imageData()));
}

bool InpaintWorkspace::generate()
{
    if (mRunning) {
        showError(tr("An inpaint is running: wait for it, or cancel it (Esc)."));
        return false;
    }
    if (!mCanvas->hasPicture()) {
        showError(tr("Open a picture first: Open…, paste one (Ctrl+V) or drop it here."));
        return false;
    }
    if (mCanvas->maskIsEmpty()) {
        showError(tr("Paint over what should change first."));
        return false;
    }
    const InpaintSettings s = mForm->settings();
    mForm->remember();
    if (s.modelPath.isEmpty()) {
        showError(tr("No model is chosen. Put a Stable Diffusion .safetensors checkpoint in the models folder."));
        return false;
    }
    auto sampler = diffusion::parseA1111Sampler(s.sampler.toStdString());
    if (!sampler) {
        showError(QString::fromStdString(sampler.error().message));
        return false;
    }
    // The model works in multiples of 8 pixels: an odd-sized picture is scaled to the nearest below.
    QImage picture = mCanvas->picture();
    QImage mask = mCanvas->mask();
    const QSize size(std::max(64, picture.width() / 8 * 8), std::max(64, picture.height() / 8 * 8));
    if (size != picture.size()) {
        picture = picture.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
        mask = mask.scaled(size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    }
    ImageRequest request;
    request.modelPath = s.modelPath;
    request.initImagePath = mSourcePath;
    diffusion::GenerationRequest& g = request.generation;
    g.prompt = s.prompt;
    g.negativePrompt = s.negativePrompt;
    g.width = size.width();
    g.height = size.height();
    g.steps = s.steps;
    g.cfgScale = s.cfgScale;
    g.sampler = *sampler;
    g.seed = s.seed >= 0 ? quint64(s.seed) : QRandomGenerator::global()->bounded(quint64(4294967295u));
    g.initImage = pictureToFloats(picture);
    g.strength = s.strength;
    g.regions = mLayout->layout()->toPixels(size); // in pixels of the picture as sent
    if (Status fits = diffusion::checkRegions(g.regions, g.width, g.height); !fits) {
        mTabs->setCurrentWidget(mLayout);
        showError(tr("Regions: %1").arg(QString::fromStdString(fits.error().message)));
        return false;
    }
    InpaintPart part;
    part.mask = maskToFloats(mask);
    part.grow = s.grow;
    part.feather = s.feather;
    part.onlyMasked = s.onlyMasked;
    part.padding = s.padding;
    part.fill = s.fill;
    request.inpaint = std::move(part);
    mRunningMask = pngBytes(mask);
    mRunningSteps = g.steps;
    mRunningStrength = g.strength;
    // Previews cover the whole picture unless only a crop is repainted; they are shown through the
    // feathered mask, so what is kept stays in view.
    mPreviewBase = s.onlyMasked ? QImage() : picture.convertToFormat(QImage::Format_RGB32);
    mPreviewMask = s.onlyMasked ? QImage() : shapeMask(mask, s.grow, s.feather);
    mRunning = mEngine->enqueue(request);
    showStatus(tr("Queued"));
    updateActions();
    return true;
}

void InpaintWorkspace::cancelRunning()
{
    if (mRunning)
        mEngine->cancel(mRunning);
}

void InpaintWorkspace::showResult(bool result)
{
    if (result && mResult.isNull())
        result = false;
    mCanvas->setShownResult(result ? mResult : QImage());
    QSignalBlocker block(mBeforeAfter);
    mBeforeAfter->setChecked(result);
    mBeforeAfter->setText(result ? tr("Result") : tr("Original"));
}

void InpaintWorkspace::updateActions()
{
    const bool busy = mRunning != 0;
    mBeforeAfter->setEnabled(!mResult.isNull() && !busy);
    mKeepResult->setEnabled(!mResult.isNull() && !busy && mResult.size() == mCanvas->picture().size());
    if (!mCanvas->hasPicture() || mCanvas->picture().size() != mResult.size())
        mBeforeAfter->setChecked(false);
    mCancel->setVisible(busy);
}

void InpaintWorkspace::showRegionCount()
{
    const int count = mLayout->layout()->count();
    mTabs->setTabText(mTabs->indexOf(mLayout), count ? tr("Regions (%1)").arg(count) : tr("Regions"));
}

void InpaintWorkspace::showError(const QString& message)
{
    mStatus->setStyleSheet(QStringLiteral("color: palette(highlighted-text); background: #b3261e; padding: 6px;"));
    mStatus->setText(message);
}

void InpaintWorkspace::showStatus(const QString& message)
{
    mStatus->setStyleSheet({});
    mStatus->setText(message);
}

void InpaintWorkspace::jobStarted(engine::JobId)
{
    showStatus(tr("Inpainting… (Esc cancels)"));
    mProgress->setValue(0);
    mProgress->setFormat(tr("Starting…"));
    mProgress->show();
    mStepShown = false;
}

void InpaintWorkspace::jobProgress(engine::JobId, double fraction, const QString& text)
{
    mProgress->setValue(int(std::clamp(fraction, 0.0, 1.0) * 1000));
    if (!mStepShown) // the steps' own text says more (stepText)
        mProgress->setFormat(text);
}

void InpaintWorkspace::jobPreview(engine::JobId, int step, int steps, const QImage& image)
{
    mCanvas->setShownResult(previewOverPicture(image));
    mProgress->setValue(int(1000.0 * (step + 1) / steps));
    mProgress->setFormat(stepText(step, steps));
    mStepShown = true;
}

QString InpaintWorkspace::stepText(int step, int steps) const
{
    QString text = tr("Step %1 of %2").arg(step + 1).arg(steps);
    // A strength below 1 starts part of the way down the schedule, so fewer steps run than Steps says.
    if (mRunningSteps > 0 && steps != mRunningSteps)
        text += tr(" (%1 of %2 steps at strength %3)")
                    .arg(steps)
                    .arg(mRunningSteps)
                    .arg(QString::number(mRunningStrength, 'g', 3));
    return text;
}

// The step's preview (latent resolution) scaled up and laid over the picture where the mask is.
QImage InpaintWorkspace::previewOverPicture(const QImage& preview) const
{
    if (mPreviewBase.isNull())
        return preview;
    const QImage scaled = preview.scaled(mPreviewBase.size(), Qt::IgnoreAspectRatio, Qt::SmoothTransformation)
                              .convertToFormat(QImage::Format_RGB32);
    QImage out = mPreviewBase.copy();
    for (int y = 0; y < out.height(); ++y) {
        auto* row = reinterpret_cast<QRgb*>(out.scanLine(y));
        const auto* over = reinterpret_cast<const QRgb*>(scaled.constScanLine(y));
        const uchar* m = mPreviewMask.constScanLine(y);
        for (int x = 0; x < out.width(); ++x) {
            const int a = m[x];
            auto mix = [a](int keep, int paint) { return (keep * (255 - a) + paint * a + 127) / 255; };
            row[x] = qRgb(mix(qRed(row[x]), qRed(over[x])), mix(qGreen(row[x]), qGreen(over[x])),
                          mix(qBlue(row[x]), qBlue(over[x])));
        }
    }
    return out;
}

void InpaintWorkspace::jobFinished(engine::JobId, const ImageResult& result)
{
    mRunning = 0;
    mProgress->hide();
    mResult = result.image;
    mForm->setLastSeed(result.parameters.seed);
    showStatus(tr("Inpainted in %1 s. Flip Result/Original to compare.")
                   .arg(result.seconds, 0, 'f', 1));
    updateActions();
    showResult(true);
    emit pictureFinished(result, mRunningMask);
}

void InpaintWorkspace::jobFailed(engine::JobId, const QString& message)
{
    mRunning = 0;
    mProgress->hide();
    mCanvas->setShownResult({});
    showError(message);
    updateActions();
}

void InpaintWorkspace::jobCancelled(engine::JobId)
{
    mRunning = 0;
    mProgress->hide();
    mCanvas->setShownResult({});
    showStatus(tr("Cancelled"));
    updateActions();
}

} // namespace atelier::ui

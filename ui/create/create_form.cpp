#include "create/create_form.h"

#include "core/app_paths.h"
#include "create/image_form_parts.h"
#include "create/lora_picker.h"
#include "describe/describe_button.h"
#include "diffusion/clip_tokenizer.h"
#include "diffusion/default_image_model.h"
#include "diffusion/lora_prompt.h"
#include "diffusion/prompt_chunks.h"
#include "models/models_dialog.h"
#include "models/models_folder.h"

#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QMenu>
#include <QImageReader>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSettings>
#include <QSpinBox>
#include <QTimer>
#include <QToolButton>

namespace atelier::ui {

namespace {

constexpr int kMaxSide = 2048;

const diffusion::ClipTokenizer* tokenizer()
{
    static auto loaded = diffusion::ClipTokenizer::builtIn();
    return loaded ? &*loaded : nullptr;
}

} // namespace

CreateForm::CreateForm(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("createForm");
    auto* outer = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    outer->addLayout(form);
    outer->addStretch(1);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);

    mModel = new QComboBox(this);
    mModel->setObjectName("imageModel");
    mModel->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    mModel->setMinimumContentsLength(16);
    auto* openModel = new QToolButton(this);
    openModel->setObjectName("openModelButton");
    openModel->setText(tr("Open…"));
    openModel->setToolTip(tr("Open a model file from anywhere"));
    connect(openModel, &QToolButton::clicked, this, &CreateForm::chooseModelFile);
    auto* openMenu = new QMenu(openModel); // the catalogue (issue 19)
    openMenu->addAction(tr("Download models…"), this, [this] { showModelsDialog(this); })->setObjectName("downloadModelsAction");
    openModel->setMenu(openMenu);
    openModel->setPopupMode(QToolButton::MenuButtonPopup);
    connect(models::folderEvents(), &models::FolderEvents::changed, this, &CreateForm::refreshModels);
    auto* modelRow = new QHBoxLayout;
    modelRow->addWidget(mModel, 1);
    modelRow->addWidget(openModel);
    form->addRow(tr("Model"), modelRow);
    mModelNote = new QLabel(this);
    mModelNote->setObjectName("modelNote");
    mModelNote->setWordWrap(true);
    mModelNote->setTextInteractionFlags(Qt::TextSelectableByMouse);
    mModelNote->hide();
    form->addRow(QString(), mModelNote);

    mPrompt = makePromptEditor("prompt", tr("What the picture shows, e.g. a small red circle at the top left on a blue "
                                       "background. (word:1.3) weighs a word more, [word] less."),
                           4, this);
    mTokens = new QLabel(this);
    mTokens->setObjectName("tokenCount");
    mTokens->setAlignment(Qt::AlignRight);
    connect(mPrompt, &QPlainTextEdit::textChanged, this, &CreateForm::updateTokenCount);
    connect(mPrompt, &QPlainTextEdit::textChanged, this, &CreateForm::edited);
    auto* promptColumn = new QVBoxLayout;
    promptColumn->addWidget(mPrompt);
    auto* promptFooter = new QHBoxLayout;
    promptFooter->addWidget(new LoraPicker(mPrompt, this));
    promptFooter->addWidget(mTokens, 1);
    promptColumn->addLayout(promptFooter);
    form->addRow(tr("Prompt"), promptColumn);
    mNegative = makePromptEditor("negativePrompt", tr("What to keep out of the picture"), 2, this);
    form->addRow(tr("Negative"), mNegative);

    mSizePreset = new QComboBox(this);
    mSizePreset->setObjectName("sizePreset");
    mWidth = new QSpinBox(this);
    mHeight = new QSpinBox(this);
    for (QSpinBox* side : {mWidth, mHeight}) {
        side->setRange(mModelSize.multiple, kMaxSide);
        side->setSingleStep(mModelSize.multiple);
        side->setValue(512);
        side->setSuffix(tr(" px"));
        connect(side, &QSpinBox::valueChanged, this, &CreateForm::sizeEdited);
    }
    mWidth->setObjectName("width");
    mHeight->setObjectName("height");
    connect(mSizePreset, &QComboBox::activated, this, &CreateForm::sizePresetChosen);
    auto* sizeRow = new QHBoxLayout;
    sizeRow->addWidget(mSizePreset, 1);
    sizeRow->addWidget(mWidth);
    sizeRow->addWidget(new QLabel(QStringLiteral("×"), this));
    sizeRow->addWidget(mHeight);
    form->addRow(tr("Size"), sizeRow);

    mSteps = new QSpinBox(this);
    mSteps->setObjectName("steps");
    mSteps->setRange(1, 150);
    mSteps->setValue(20);
    connect(mSteps, &QSpinBox::valueChanged, this, &CreateForm::edited);
    mCfg = new QDoubleSpinBox(this);
    mCfg->setObjectName("cfgScale");
    mCfg->setRange(1.0, 30.0);
    mCfg->setSingleStep(0.5);
    mCfg->setDecimals(1);
    mCfg->setValue(7.0);
    mCfg->setToolTip(tr("How closely the picture follows the prompt (classifier-free guidance); 1 turns it off"));
    auto* stepsRow = new QHBoxLayout;
    stepsRow->addWidget(mSteps);
    stepsRow->addWidget(new QLabel(tr("CFG scale"), this));
    stepsRow->addWidget(mCfg);
    form->addRow(tr("Steps"), stepsRow);

    mSampler = new QComboBox(this);
    mSampler->setObjectName("sampler");
    mSampler->addItems(samplerNames());
    mSchedule = new QComboBox(this);
    mSchedule->setObjectName("schedule");
    mSchedule->addItems(scheduleNames());
    auto* samplerRow = new QHBoxLayout;
    samplerRow->addWidget(mSampler, 1);
    samplerRow->addWidget(mSchedule, 1);
    form->addRow(tr("Sampler"), samplerRow);

    mSeed = new QLineEdit(QStringLiteral("-1"), this);
    mSeed->setObjectName("seed");
    mSeed->setValidator(new QRegularExpressionValidator(QRegularExpression("-1|[0-9]{1,19}"), mSeed));
    mSeed->setToolTip(tr("-1 picks a new random seed for every picture"));
    // Room for a ten-digit seed (A1111's seeds reach 4294967295) without clipping.
    mSeed->setMinimumWidth(mSeed->fontMetrics().horizontalAdvance(QStringLiteral("4294967295")) + 16);
    mRandomSeed = new QToolButton(this);
    mRandomSeed->setObjectName("randomSeed");
    mRandomSeed->setText(tr("Random"));
    mRandomSeed->setToolTip(tr("Random seed (-1)"));
    connect(mRandomSeed, &QToolButton::clicked, this, [this] { mSeed->setText(QStringLiteral("-1")); });
    mLastSeed = new QToolButton(this);
    mLastSeed->setObjectName("reuseSeed");
    mLastSeed->setText(tr("Last"));
    mLastSeed->setToolTip(tr("Reuse the last picture's seed"));
    mLastSeed->setEnabled(false);
    connect(mLastSeed, &QToolButton::clicked, this, [this] { mSeed->setText(QString::number(mLastSeedValue)); });
    mBatch = new QSpinBox(this);
    mBatch->setObjectName("batchCount");
    mBatch->setRange(1, 64);
    mBatch->setToolTip(tr("Pictures to make one after another, each with the next seed"));
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(mSeed, 1);
    seedRow->addWidget(mRandomSeed);
    seedRow->addWidget(mLastSeed);
    seedRow->addWidget(new QLabel(tr("Batch"), this));
    seedRow->addWidget(mBatch);
    form->addRow(tr("Seed"), seedRow);

    mInitImage = new QLabel(tr("None: a new picture from noise"), this);
    mInitImage->setObjectName("initImage");
    mInitImage->setWordWrap(true);
    mChooseInit = new QPushButton(tr("Choose…"), this);
    connect(mChooseInit, &QPushButton::clicked, this, &CreateForm::chooseInitImage);
    mClearInit = new QToolButton(this);
    mClearInit->setText(QStringLiteral("✕"));
    mClearInit->setToolTip(tr("Start from noise again"));
    mClearInit->setEnabled(false);
    connect(mClearInit, &QToolButton::clicked, this, [this] { setInitImage({}); });
    mDescribeInit = new DescribeButton(tr("Describe"), this);
    mDescribeInit->setObjectName("describeInitButton");
    mDescribeInit->setPictureSource([this] { return mInitPath; });
    mDescribeInit->setPictureAvailable(false);
    mStrength = new QDoubleSpinBox(this);
    mStrength->setObjectName("strength");
    mStrength->setRange(0.01, 1.0);
    mStrength->setSingleStep(0.05);
    mStrength->setValue(0.75);
    mStrength->setEnabled(false);
    mStrength->setToolTip(tr("Denoising strength: how much of the init picture is repainted"));
    // The picture's name above its buttons, so the form stays as narrow as its other rows.
    auto* initButtons = new QHBoxLayout;
    initButtons->addWidget(mChooseInit);
    initButtons->addWidget(mDescribeInit);
    initButtons->addWidget(mClearInit);
    initButtons->addStretch(1);
    auto* initRow = new QVBoxLayout;
    initRow->addWidget(mInitImage);
    initRow->addLayout(initButtons);
    form->addRow(tr("Init picture"), initRow);
    form->addRow(tr("Strength"), mStrength);

    auto* generate = new QPushButton(tr("Generate"), this);
    generate->setObjectName("generateButton");
    generate->setDefault(true);
    generate->setToolTip(tr("Generate (Ctrl+Enter)"));
    connect(generate, &QPushButton::clicked, this, &CreateForm::generateRequested);
    form->addRow(generate);

    refreshModels();
    followModelSize(true); // a first run: the default model's own size
    restore();
    connect(mModel, &QComboBox::activated, this, [this] {
        mModelNote->hide();
        followModelSize(true);
    });
    updateTokenCount();

    // What is on screen is what the next start shows.
    mRememberDelay = new QTimer(this);
    mRememberDelay->setSingleShot(true);
    mRememberDelay->setInterval(300);
    connect(mRememberDelay, &QTimer::timeout, this, &CreateForm::remember);
    auto later = [this] { mRememberDelay->start(); };
    connect(this, &CreateForm::edited, mRememberDelay, later);
    connect(mNegative, &QPlainTextEdit::textChanged, mRememberDelay, later);
    connect(mCfg, &QDoubleSpinBox::valueChanged, mRememberDelay, later);
    connect(mSampler, &QComboBox::currentIndexChanged, mRememberDelay, later);
    connect(mSchedule, &QComboBox::currentIndexChanged, mRememberDelay, later);
    connect(mSeed, &QLineEdit::textChanged, mRememberDelay, later);
    connect(mBatch, &QSpinBox::valueChanged, mRememberDelay, later);
    connect(mStrength, &QDoubleSpinBox::valueChanged, mRememberDelay, later);
    connect(mModel, &QComboBox::currentIndexChanged, mRememberDelay, later);
}

CreateForm::~CreateForm()
{
    if (mRememberDelay->isActive())
        remember();
}

void CreateForm::sizeEdited()
{
    const int preset = mPresets.indexOf(QSize(mWidth->value(), mHeight->value()));
    QSignalBlocker block(mSizePreset);
    mSizePreset->setCurrentIndex(preset >= 0 ? preset : mSizePreset->count() - 1);
    emit edited();
}

void CreateForm::remember() const
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("create"));
    const CreateSettings s = this->settings();
    settings.setValue("model", s.modelPath);
    settings.setValue("prompt", s.prompt);
    settings.setValue("negativePrompt", s.negativePrompt);
    settings.setValue("width", s.width);
    settings.setValue("height", s.height);
    settings.setValue("steps", s.steps);
    settings.setValue("cfgScale", s.cfgScale);
    settings.setValue("sampler", s.sampler);
    settings.setValue("schedule", s.schedule);
    settings.setValue("seed", mSeed->text());
    settings.setValue("batchCount", s.batchCount);
    settings.setValue("strength", s.strength);
}

bool CreateForm::restore()
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("create"));
    if (!settings.contains("steps"))
        return false;
    const int model = mModel->findData(settings.value("model").toString());
    if (model >= 0 && isUsableCheckpoint(mModel, model)) {
        mModel->setCurrentIndex(model);
        followModelSize(false);
    }
    mPrompt->setPlainText(settings.value("prompt").toString());
    mNegative->setPlainText(settings.value("negativePrompt").toString());
    // A size this model cannot make (typed, or kept from another model) comes back as the nearest it can.
    mWidth->setValue(snapToMultiple(settings.value("width", mModelSize.native).toInt(), mModelSize.multiple));
    mHeight->setValue(snapToMultiple(settings.value("height", mModelSize.native).toInt(), mModelSize.multiple));
    mSteps->setValue(settings.value("steps", 20).toInt());
    mCfg->setValue(settings.value("cfgScale", 7.0).toDouble());
    if (mSampler->findText(settings.value("sampler").toString()) >= 0)
        mSampler->setCurrentText(settings.value("sampler").toString());
    if (mSchedule->findText(settings.value("schedule").toString()) >= 0)
        mSchedule->setCurrentText(settings.value("schedule").toString());
    mSeed->setText(settings.value("seed", "-1").toString());
    mBatch->setValue(settings.value("batchCount", 1).toInt());
    mStrength->setValue(settings.value("strength", 0.75).toDouble());
    return true;
}

void CreateForm::refreshModels() { listCheckpoints(mModel, mModel->currentData().toString()); }

void CreateForm::chooseModelFile()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Open a Stable Diffusion checkpoint"), paths::modelsDir(),
                                                      tr("Checkpoints (*.safetensors)"));
    if (path.isEmpty())
        return;
    // A file whose headers say it cannot be used is refused before anything else changes.
    if (const QString problem = checkpointProblem(path); !problem.isEmpty()) {
        mModelNote->setText(tr("%1 cannot be used: %2 · %3 stays chosen")
                                .arg(QFileInfo(path).fileName(), problem, mModel->currentText()));
        mModelNote->show();
        return;
    }
    mModelNote->hide();
    int index = mModel->findData(path);
    if (index >= 0 && !isUsableCheckpoint(mModel, index)) { // listed as broken, now mended
        refreshModels();
        index = mModel->findData(path);
    }
    if (index < 0) {
        mModel->addItem(QFileInfo(path).completeBaseName(), path);
        index = mModel->count() - 1;
    }
    mModel->setCurrentIndex(index);
    followModelSize(true);
}

void CreateForm::followModelSize(bool useNativeSize)
{
    const std::optional<ModelSize> read = readModelSize(mModel->currentData().toString());
    mModelSize = read.value_or(ModelSize{});
    mPresets = sizePresets(mModelSize);
    {
        const QSignalBlocker block(mSizePreset);
        mSizePreset->clear();
        for (const QSize& s : std::as_const(mPresets))
            mSizePreset->addItem(QStringLiteral("%1 × %2").arg(s.width()).arg(s.height()), s);
        mSizePreset->addItem(tr("Custom"));
    }
    const QString rule = tr("Multiples of %1 pixels; this model was trained at %2 × %2")
                             .arg(mModelSize.multiple)
                             .arg(mModelSize.native);
    for (QSpinBox* side : {mWidth, mHeight}) {
        const QSignalBlocker block(side);
        side->setRange(mModelSize.multiple, kMaxSide / mModelSize.multiple * mModelSize.multiple);
        side->setSingleStep(mModelSize.multiple);
        side->setToolTip(rule);
        if (useNativeSize && read)
            side->setValue(mModelSize.native);
    }
    mSizePreset->setToolTip(rule);
    sizeEdited();
}

void CreateForm::sizePresetChosen(int index)
{
    const QSize size = mSizePreset->itemData(index).toSize();
    if (size.isValid()) {
        mWidth->setValue(size.width());
        mHeight->setValue(size.height());
    }
}

void CreateForm::chooseInitImage()
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Start from a picture"), paths::galleryDir(),
                                                      tr("Pictures (*.png *.jpg *.jpeg *.webp *.bmp)"));
    if (!path.isEmpty())
        setInitImage(path);
}

void CreateForm::setInitImage(const QString& path)
{
    mInitPath = path;
    mClearInit->setEnabled(!path.isEmpty());
    mStrength->setEnabled(!path.isEmpty());
    mDescribeInit->setPictureAvailable(!path.isEmpty());
    if (path.isEmpty()) {
        mInitImage->setText(tr("None: a new picture from noise"));
        mInitImage->setToolTip({});
        emit edited(); // the Layout mode draws over the init picture
        return;
    }
    const QSize size = QImageReader(path).size();
    mInitImage->setText(tr("%1 (%2 × %3)").arg(QFileInfo(path).fileName()).arg(size.width()).arg(size.height()));
    mInitImage->setToolTip(QDir::toNativeSeparators(path));
    emit edited();
}

void CreateForm::setLastSeed(quint64 seed)
{
    mLastSeedValue = seed;
    mHasLastSeed = true;
    mLastSeed->setEnabled(true);
    mLastSeed->setToolTip(tr("Reuse the last picture's seed (%1)").arg(seed));
}

void CreateForm::setPrompt(const QString& prompt) { mPrompt->setPlainText(prompt); }

void CreateForm::updateTokenCount()
{
    const diffusion::ClipTokenizer* clip = tokenizer();
    if (!clip)
        return;
    const diffusion::ChunkedPrompt chunks =
        diffusion::chunkPrompt(*clip, diffusion::extractLoraTags(mPrompt->toPlainText()).prompt);
    const int limit = int(chunks.chunks.size()) * diffusion::kChunkPromptTokens;
    mTokens->setText(tr("%1/%2 tokens").arg(chunks.tokenCount).arg(limit));
}

CreateSettings CreateForm::settings() const
{
    CreateSettings s;
    s.modelPath = mModel->currentData().toString();
    s.prompt = mPrompt->toPlainText();
    s.negativePrompt = mNegative->toPlainText();
    s.width = mWidth->value();
    s.height = mHeight->value();
    s.steps = mSteps->value();
    s.cfgScale = mCfg->value();
    s.sampler = mSampler->currentText();
    s.schedule = mSchedule->currentText();
    bool ok = false;
    s.seed = mSeed->text().toLongLong(&ok);
    if (!ok)
        s.seed = -1;
    s.batchCount = mBatch->value();
    s.initImagePath = mInitPath;
    s.strength = mStrength->value();
    return s;
}

void CreateForm::setParameters(const diffusion::GenerationParameters& p)
{
    mPrompt->setPlainText(p.prompt);
    mNegative->setPlainText(p.negativePrompt);
    mWidth->setValue(p.width);
    mHeight->setValue(p.height);
    mSteps->setValue(p.steps);
    mCfg->setValue(p.cfgScale);
    // "DPM++ 2M Karras" (older files) names the schedule in the sampler.
    QString sampler = p.sampler;
    QString schedule = p.scheduleType.isEmpty() ? QStringLiteral("Automatic") : p.scheduleType;
    if (sampler.endsWith(QLatin1String(" Karras"))) {
        sampler.chop(7);
        schedule = QStringLiteral("Karras");
    }
    if (mSampler->findText(sampler) >= 0)
        mSampler->setCurrentText(sampler);
    if (mSchedule->findText(schedule) >= 0)
        mSchedule->setCurrentText(schedule);
    mSeed->setText(QString::number(p.seed));
    if (p.denoisingStrength)
        mStrength->setValue(*p.denoisingStrength);
    if (!p.model.isEmpty()) {
        const int index = mModel->findText(p.model);
        if (index >= 0)
            mModel->setCurrentIndex(index);
    }
}

} // namespace atelier::ui

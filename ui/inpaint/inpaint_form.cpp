#include "inpaint/inpaint_form.h"

#include "core/app_paths.h"
#include "create/image_form_parts.h"
#include "diffusion/default_image_model.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpressionValidator>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>

#include <algorithm>

namespace atelier::ui {

namespace {


QSpinBox* pixels(const QString& objectName, int from, int to, int value, QWidget* parent)
{
    auto* spin = new QSpinBox(parent);
    spin->setObjectName(objectName);
    spin->setRange(from, to);
    spin->setValue(value);
    spin->setSuffix(QObject::tr(" px"));
    return spin;
}

QSlider* percent(const QString& objectName, int value, QWidget* parent)
{
    auto* slider = new QSlider(Qt::Horizontal, parent);
    slider->setObjectName(objectName);
    slider->setRange(0, 100);
    slider->setValue(value);
    return slider;
}

} // namespace

InpaintForm::InpaintForm(QWidget* parent)
    : QWidget(parent)
{
    setObjectName("inpaintForm");
    auto* outer = new QVBoxLayout(this);
    auto* form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    outer->addLayout(form);

    mModel = new QComboBox(this);
    mModel->setObjectName("inpaintModel");
    mModel->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    mModel->setMinimumContentsLength(16);
    form->addRow(tr("Model"), mModel);
    mPrompt = makePromptEditor("inpaintPrompt", tr("What the masked area should show"), 3, this);
    form->addRow(tr("Prompt"), mPrompt);
    mNegative = makePromptEditor("inpaintNegativePrompt", tr("What to keep out of it"), 2, this);
    form->addRow(tr("Negative"), mNegative);

    mSteps = new QSpinBox(this);
    mSteps->setObjectName("inpaintSteps");
    mSteps->setRange(1, 150);
    mSteps->setValue(20);
    mCfg = new QDoubleSpinBox(this);
    mCfg->setObjectName("inpaintCfgScale");
    mCfg->setRange(1.0, 30.0);
    mCfg->setSingleStep(0.5);
    mCfg->setDecimals(1);
    mCfg->setValue(7.0);
    auto* stepsRow = new QHBoxLayout;
    stepsRow->addWidget(mSteps);
    stepsRow->addWidget(new QLabel(tr("CFG"), this));
    stepsRow->addWidget(mCfg);
    form->addRow(tr("Steps"), stepsRow);

    mSampler = new QComboBox(this);
    mSampler->setObjectName("inpaintSampler");
    mSampler->addItems(samplerNames());
    form->addRow(tr("Sampler"), mSampler);

    mSeed = new QLineEdit(QStringLiteral("-1"), this);
    mSeed->setObjectName("inpaintSeed");
    mSeed->setValidator(new QRegularExpressionValidator(QRegularExpression("-1|[0-9]{1,19}"), mSeed));
    auto* random = new QToolButton(this);
    random->setText(tr("Random"));
    connect(random, &QToolButton::clicked, this, [this] { mSeed->setText(QStringLiteral("-1")); });
    auto* last = new QToolButton(this);
    last->setObjectName("inpaintReuseSeed");
    last->setText(tr("Last"));
    last->setEnabled(false);
    connect(last, &QToolButton::clicked, this, [this] { mSeed->setText(QString::number(mLastSeed)); });
    auto* seedRow = new QHBoxLayout;
    seedRow->addWidget(mSeed, 1);
    seedRow->addWidget(random);
    seedRow->addWidget(last);
    form->addRow(tr("Seed"), seedRow);

    mStrength = new QDoubleSpinBox(this);
    mStrength->setObjectName("inpaintStrength");
    mStrength->setRange(0.01, 1.0);
    mStrength->setSingleStep(0.05);
    mStrength->setValue(0.75);
    mStrength->setToolTip(tr("Denoising strength: how far the masked area may move from what is there"));
    form->addRow(tr("Strength"), mStrength);

    outer->addWidget(maskBox());
    outer->addWidget(brushBox());
    outer->addWidget(outpaintBox());

    auto* generate = new QPushButton(tr("Inpaint"), this);
    generate->setObjectName("inpaintButton");
    generate->setDefault(true);
    generate->setToolTip(tr("Repaint the masked area (Ctrl+Enter)"));
    connect(generate, &QPushButton::clicked, this, &InpaintForm::generateRequested);
    outer->addWidget(generate);
    outer->addStretch(1);
    refreshModels();
    restore();
}

void InpaintForm::remember() const
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("inpaint"));
    const InpaintSettings s = this->settings();
    settings.setValue("model", s.modelPath);
    settings.setValue("prompt", s.prompt);
    settings.setValue("negativePrompt", s.negativePrompt);
    settings.setValue("steps", s.steps);
    settings.setValue("cfgScale", s.cfgScale);
    settings.setValue("sampler", s.sampler);
    settings.setValue("seed", mSeed->text());
    settings.setValue("strength", s.strength);
    settings.setValue("feather", s.feather);
    settings.setValue("grow", s.grow);
    settings.setValue("onlyMasked", s.onlyMasked);
    settings.setValue("padding", s.padding);
    settings.setValue("fill", mFill->currentIndex());
    settings.setValue("brushSize", mBrushSize->value());
    settings.setValue("hardness", mHardness->value());
    settings.setValue("overlay", mOpacity->value());
}

void InpaintForm::restore()
{
    QSettings settings;
    settings.beginGroup(QStringLiteral("inpaint"));
    if (!settings.contains("steps"))
        return;
    const int model = mModel->findData(settings.value("model").toString());
    if (model >= 0)
        mModel->setCurrentIndex(model);
    mPrompt->setPlainText(settings.value("prompt").toString());
    mNegative->setPlainText(settings.value("negativePrompt").toString());
    mSteps->setValue(settings.value("steps", mSteps->value()).toInt());
    mCfg->setValue(settings.value("cfgScale", mCfg->value()).toDouble());
    if (mSampler->findText(settings.value("sampler").toString()) >= 0)
        mSampler->setCurrentText(settings.value("sampler").toString());
    mSeed->setText(settings.value("seed", "-1").toString());
    mStrength->setValue(settings.value("strength", mStrength->value()).toDouble());
    mFeather->setValue(settings.value("feather", mFeather->value()).toInt());
    mGrow->setValue(settings.value("grow", mGrow->value()).toInt());
    mOnlyMasked->setChecked(settings.value("onlyMasked", false).toBool());
    mPadding->setValue(settings.value("padding", mPadding->value()).toInt());
    mFill->setCurrentIndex(std::clamp(settings.value("fill", 0).toInt(), 0, mFill->count() - 1));
    mBrushSize->setValue(settings.value("brushSize", mBrushSize->value()).toInt());
    mHardness->setValue(settings.value("hardness", mHardness->value()).toInt());
    mOpacity->setValue(settings.value("overlay", mOpacity->value()).toInt());
}

QWidget* InpaintForm::maskBox()
{
    auto* box = new QGroupBox(tr("Mask"), this);
    auto* form = new QFormLayout(box);
    mFeather = pixels("feather", 0, 64, 4, box);
    mFeather->setToolTip(tr("Blurs the mask's edge so the repainted area blends in"));
    mGrow = pixels("grow", -64, 64, 0, box);
    mGrow->setToolTip(tr("Grows the mask by this many pixels; a negative number shrinks it"));
    auto* shapeRow = new QHBoxLayout;
    shapeRow->addWidget(mFeather);
    shapeRow->addWidget(new QLabel(tr("Grow"), box));
    shapeRow->addWidget(mGrow);
    form->addRow(tr("Feather"), shapeRow);
    for (QSpinBox* spin : {mFeather, mGrow})
        connect(spin, &QSpinBox::valueChanged, this, [this] { emit shapingChanged(mGrow->value(), mFeather->value()); });

    mOnlyMasked = new QCheckBox(tr("Only the masked area"), box);
    mOnlyMasked->setObjectName("onlyMasked");
    mOnlyMasked->setToolTip(tr("Repaints a crop around the mask at full resolution, then pastes it back"));
    mPadding = pixels("padding", 0, 256, 32, box);
    mPadding->setEnabled(false);
    connect(mOnlyMasked, &QCheckBox::toggled, mPadding, &QWidget::setEnabled);
    auto* onlyRow = new QHBoxLayout;
    onlyRow->addWidget(mOnlyMasked, 1);
    onlyRow->addWidget(new QLabel(tr("Padding"), box));
    onlyRow->addWidget(mPadding);
    form->addRow(onlyRow);

    mFill = new QComboBox(box);
    mFill->setObjectName("maskedFill");
    mFill->addItem(tr("Original"), int(diffusion::MaskedFill::Original));
    mFill->addItem(tr("Noise"), int(diffusion::MaskedFill::Noise));
    mFill->addItem(tr("Blur"), int(diffusion::MaskedFill::Blur));
    mFill->setToolTip(tr("What the masked area starts from: the picture, noise, or the picture blurred"));
    form->addRow(tr("Start from"), mFill);
    return box;
}

QWidget* InpaintForm::brushBox()
{
    auto* box = new QGroupBox(tr("Brush"), this);
    auto* form = new QFormLayout(box);
    mBrushSize = pixels("brushSize", 1, 512, 48, box);
    mBrushSize->setToolTip(tr("Brush diameter in picture pixels; a pen's pressure scales it"));
    form->addRow(tr("Size"), mBrushSize);
    mHardness = percent("hardness", 70, box);
    mHardness->setToolTip(tr("0: soft to the centre, 100: a hard edge"));
    form->addRow(tr("Hardness"), mHardness);
    mOpacity = percent("overlayOpacity", 50, box);
    mOpacity->setToolTip(tr("How strongly the mask tints the picture"));
    form->addRow(tr("Overlay"), mOpacity);
    connect(mBrushSize, &QSpinBox::valueChanged, this, [this] { emit brushChanged(brushSize(), hardness()); });
    connect(mHardness, &QSlider::valueChanged, this, [this] { emit brushChanged(brushSize(), hardness()); });
    connect(mOpacity, &QSlider::valueChanged, this, [this] { emit overlayOpacityChanged(overlayOpacity()); });
    return box;
}

QWidget* InpaintForm::outpaintBox()
{
    auto* box = new QGroupBox(tr("Outpaint"), this);
    auto* row = new QHBoxLayout(box);
    mEdge = new QComboBox(box);
    mEdge->setObjectName("outpaintEdge");
    mEdge->addItem(tr("Left"), int(Qt::LeftEdge));
    mEdge->addItem(tr("Right"), int(Qt::RightEdge));
    mEdge->addItem(tr("Top"), int(Qt::TopEdge));
    mEdge->addItem(tr("Bottom"), int(Qt::BottomEdge));
    row->addWidget(mEdge, 1);
    for (int amount : {64, 128}) {
        auto* button = new QToolButton(box);
        button->setObjectName(QStringLiteral("extend%1").arg(amount));
        button->setText(tr("+%1 px").arg(amount));
        button->setToolTip(tr("Extend the canvas on that side and mask the new area"));
        connect(button, &QToolButton::clicked, this,
                [this, amount] { emit extendRequested(Qt::Edge(mEdge->currentData().toInt()), amount); });
        row->addWidget(button);
    }
    return box;
}

void InpaintForm::refreshModels()
{
    listCheckpoints(mModel, mModel->currentData().toString(), QStringLiteral("inpaint")); // inpainting models first
}

void InpaintForm::setPrompt(const QString& prompt) { mPrompt->setPlainText(prompt); }

void InpaintForm::setLastSeed(quint64 seed)
{
    mLastSeed = seed;
    if (auto* last = findChild<QToolButton*>(QStringLiteral("inpaintReuseSeed"))) {
        last->setEnabled(true);
        last->setToolTip(tr("Reuse the last inpaint's seed (%1)").arg(seed));
    }
}

int InpaintForm::brushSize() const { return mBrushSize->value(); }
double InpaintForm::hardness() const { return mHardness->value() / 100.0; }
double InpaintForm::overlayOpacity() const { return mOpacity->value() / 100.0; }
void InpaintForm::setBrushSize(int size) { mBrushSize->setValue(size); }

InpaintSettings InpaintForm::settings() const
{
    InpaintSettings s;
    s.modelPath = mModel->currentData().toString();
    s.prompt = mPrompt->toPlainText();
    s.negativePrompt = mNegative->toPlainText();
    s.steps = mSteps->value();
    s.cfgScale = mCfg->value();
    s.sampler = mSampler->currentText();
    bool ok = false;
    s.seed = mSeed->text().toLongLong(&ok);
    if (!ok)
        s.seed = -1;
    s.strength = mStrength->value();
    s.feather = mFeather->value();
    s.grow = mGrow->value();
    s.onlyMasked = mOnlyMasked->isChecked();
    s.padding = mPadding->value();
    s.fill = diffusion::MaskedFill(mFill->currentData().toInt());
    return s;
}

} // namespace atelier::ui

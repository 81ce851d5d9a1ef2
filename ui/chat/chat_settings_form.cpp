#include "chat/chat_settings_form.h"

#include "chat/lora_list.h"
#include "ui/docs/chat_documents.h"

#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QPlainTextEdit>
#include <QSpinBox>

#include <algorithm>
#include <limits>

namespace atelier::ui {

ChatSettingsForm::ChatSettingsForm(QWidget* parent) : QWidget(parent), mSystemPrompt(new QPlainTextEdit(this))
{
    setObjectName("chatSettingsForm");
    mSystemPrompt->setObjectName("systemPromptEdit");
    mSystemPrompt->setPlaceholderText(tr("You are a helpful assistant."));
    mSystemPrompt->setTabChangesFocus(true);
    mSystemPrompt->setMaximumHeight(fontMetrics().lineSpacing() * 6 + 12);
    connect(mSystemPrompt, &QPlainTextEdit::textChanged, this, [this] {
        if (!mFilling)
            emit edited();
    });

    mTemperature = addDouble("temperatureSpin", 0, 2, 0.05, 2);
    mTemperature->setSpecialValueText(tr("0 (greedy)"));
    mTopK = addInt("topKSpin", 0, 1000, 1);
    mTopK->setSpecialValueText(tr("off"));
    mTopP = addDouble("topPSpin", 0.01, 1, 0.01, 2);
    mMinP = addDouble("minPSpin", 0, 1, 0.01, 2);
    mMinP->setSpecialValueText(tr("off"));
    mRepeatPenalty = addDouble("repeatPenaltySpin", 1, 2, 0.05, 2);
    mRepeatPenalty->setSpecialValueText(tr("off"));
    mRepeatLastN = addInt("repeatLastNSpin", 0, 4096, 16);
    mMaxTokens = addInt("maxTokensSpin", 1, 32768, 64);
    mSeed = addInt("seedSpin", -1, std::numeric_limits<int>::max(), 1);
    mSeed->setSpecialValueText(tr("random"));
    mContext = addInt("contextSpin", 256, 131072, 1024);
    mContext->setSuffix(tr(" tokens"));
    // What each sampling value does, in the words LM Studio and llama.cpp users know them by.
    mTemperature->setToolTip(tr("How adventurous the choice of each next token is: 0 always takes the most "
                                "likely one; above 1 gets erratic"));
    mTopK->setToolTip(tr("Choose only among the k most likely next tokens (off: among all)"));
    mTopP->setToolTip(tr("Choose only among the most likely next tokens whose probabilities add up to this "
                         "(nucleus sampling; 1: off)"));
    mMinP->setToolTip(tr("Leave out tokens less likely than this share of the most likely one's probability"));
    mRepeatPenalty->setToolTip(tr("Make tokens that appeared recently less likely: their scores are divided by "
                                  "this (off: 1)"));
    mRepeatLastN->setToolTip(tr("How many of the latest tokens the repeat penalty looks at"));
    mMaxTokens->setToolTip(tr("The longest answer, in tokens"));
    mSeed->setToolTip(tr("The same seed, settings and question give the same answer (random: a new one each time)"));
    mContext->setToolTip(tr("How many tokens of the conversation the model sees; older turns are left out "
                            "beyond it"));

    mLoras = new LoraList(this);
    connect(mLoras, &LoraList::edited, this, [this] {
        if (!mFilling)
            emit edited();
    });

    auto* form = new QFormLayout(this);
    form->setContentsMargins(8, 8, 8, 8);
    form->addRow(tr("System prompt"), mSystemPrompt);
    form->addRow(tr("Temperature"), mTemperature);
    form->addRow(tr("Top-k"), mTopK);
    form->addRow(tr("Top-p"), mTopP);
    form->addRow(tr("Min-p"), mMinP);
    form->addRow(tr("Repetition penalty"), mRepeatPenalty);
    form->addRow(tr("Penalty looks back"), mRepeatLastN);
    form->addRow(tr("Maximum tokens"), mMaxTokens);
    form->addRow(tr("Seed"), mSeed);
    form->addRow(tr("Context length"), mContext);
    form->addRow(tr("LoRA adapters"), mLoras);
    mForm = form;
    setSettings({});
}

QDoubleSpinBox* ChatSettingsForm::addDouble(const char* name, double min, double max, double step, int decimals)
{
    auto* spin = new QDoubleSpinBox(this);
    spin->setObjectName(name);
    spin->setRange(min, max);
    spin->setSingleStep(step);
    spin->setDecimals(decimals);
    connect(spin, &QDoubleSpinBox::valueChanged, this, [this] {
        if (!mFilling)
            emit edited();
    });
    return spin;
}

QSpinBox* ChatSettingsForm::addInt(const char* name, int min, int max, int step)
{
    auto* spin = new QSpinBox(this);
    spin->setObjectName(name);
    spin->setRange(min, max);
    spin->setSingleStep(step);
    connect(spin, &QSpinBox::valueChanged, this, [this] {
        if (!mFilling)
            emit edited();
    });
    return spin;
}

void ChatSettingsForm::setSettings(const store::ChatSettings& s)
{
    mFilling = true;
    mSettings = s;
    if (mSystemPrompt->toPlainText() != s.systemPrompt)
        mSystemPrompt->setPlainText(s.systemPrompt);
    mTemperature->setValue(s.temperature);
    mTopK->setValue(s.topK);
    mTopP->setValue(s.topP);
    mMinP->setValue(s.minP);
    mRepeatPenalty->setValue(s.repeatPenalty);
    mRepeatLastN->setValue(s.repeatLastN);
    mMaxTokens->setValue(s.maxTokens);
    mSeed->setValue(int(std::clamp<qint64>(s.seed, -1, std::numeric_limits<int>::max())));
    mContext->setValue(s.contextLength);
    mLoras->setChoices(s.loras);
    if (mDocuments) {
        mDocuments->setSelected(s.documents);
        mDocumentSources->setValue(s.documentSources);
        mDocumentSources->setEnabled(!s.documents.isEmpty());
    }
    mFilling = false;
}

store::ChatSettings ChatSettingsForm::settings() const
{
    store::ChatSettings s = mSettings;
    s.systemPrompt = mSystemPrompt->toPlainText();
    s.temperature = mTemperature->value();
    s.topK = mTopK->value();
    s.topP = mTopP->value();
    s.minP = mMinP->value();
    s.repeatPenalty = mRepeatPenalty->value();
    s.repeatLastN = mRepeatLastN->value();
    s.maxTokens = mMaxTokens->value();
    s.seed = mSeed->value();
    s.contextLength = mContext->value();
    s.loras = mLoras->choices();
    if (mDocuments) {
        s.documents = mDocuments->selected();
        s.documentSources = mDocumentSources->value();
    }
    return s;
}

void ChatSettingsForm::setDocumentCollections(std::function<QStringList()> names)
{
    if (!mDocuments) {
        mDocuments = new DocumentsButton(this);
        mDocuments->setSelected(mSettings.documents);
        connect(mDocuments, &DocumentsButton::edited, this, [this] {
            mDocumentSources->setEnabled(!mDocuments->selected().isEmpty());
            if (!mFilling)
                emit edited();
        });
        mForm->addRow(tr("Documents"), mDocuments);
        mDocumentSources = addInt("documentSourcesSpin", 1, store::kMostDocumentSources, 1);
        mDocumentSources->setValue(mSettings.documentSources);
        mDocumentSources->setEnabled(!mSettings.documents.isEmpty());
        mDocumentSources->setSuffix(tr(" passages"));
        mDocumentSources->setToolTip(tr("How many of the documents' best passages go with each question, as "
                                        "numbered sources the answer cites. More gives the model more to draw "
                                        "on and takes more of its context."));
        mForm->addRow(tr("Sources"), mDocumentSources);
    }
    mDocuments->setCollections(std::move(names));
}

} // namespace atelier::ui

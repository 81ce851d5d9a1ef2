#pragma once
// The settings that shape answers: system prompt, sampling, answer length, seed, context and the
// LoRA adapters on the model.
// Used per conversation in the Chat workspace and for the defaults in Preferences.

#include "store/chat_store.h"

#include <QWidget>

#include <functional>

class QDoubleSpinBox;
class QPlainTextEdit;
class QSpinBox;
class QFormLayout;

namespace atelier::ui {

class ChatSettingsForm : public QWidget {
    Q_OBJECT
public:
    explicit ChatSettingsForm(QWidget* parent = nullptr);

    // modelPath is not edited here; it passes through unchanged.
    void setSettings(const store::ChatSettings& settings);
    store::ChatSettings settings() const;
    // Shows the Documents row (the collections answers draw on), listing what `names` returns.
    void setDocumentCollections(std::function<QStringList()> names);

signals:
    void edited(); // the user changed a value

private:
    QDoubleSpinBox* addDouble(const char* name, double min, double max, double step, int decimals);
    QSpinBox* addInt(const char* name, int min, int max, int step);

    store::ChatSettings mSettings;
    bool mFilling = false;
    QPlainTextEdit* mSystemPrompt = nullptr;
    QDoubleSpinBox* mTemperature = nullptr;
    QSpinBox* mTopK = nullptr;
    QDoubleSpinBox* mTopP = nullptr;
    QDoubleSpinBox* mMinP = nullptr;
    QDoubleSpinBox* mRepeatPenalty = nullptr;
    QSpinBox* mRepeatLastN = nullptr;
    QSpinBox* mMaxTokens = nullptr;
    QSpinBox* mSeed = nullptr;
    QSpinBox* mContext = nullptr;
    class DocumentsButton* mDocuments = nullptr;
    QSpinBox* mDocumentSources = nullptr; // top-k, beside the documents
    class LoraList* mLoras = nullptr;
    QFormLayout* mForm = nullptr;
};

} // namespace atelier::ui

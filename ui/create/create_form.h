#pragma once
// Everything a picture is made from: prompt and negative prompt (with the weighting syntax
// highlighted and the token count), checkpoint, size, steps, CFG scale, sampler and schedule, seed
// (fixed or random, with a dice and a "reuse last seed" button), batch count and, for img2img, an
// init picture with its denoising strength.

#include "create/model_size.h"
#include "diffusion/generation_parameters.h"

#include <QWidget>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTimer;
class QToolButton;

namespace atelier::ui {

class DescribeButton;

// What the form asks for.
struct CreateSettings {
    QString modelPath;
    QString prompt;
    QString negativePrompt;
    int width = 512;
    int height = 512;
    int steps = 20;
    double cfgScale = 7.0;
    QString sampler = QStringLiteral("Euler a");    // A1111 names
    QString schedule = QStringLiteral("Automatic");
    qint64 seed = -1;                                // -1: a random seed per picture
    int batchCount = 1;
    QString initImagePath;                           // empty: txt2img
    double strength = 0.75;
};

class CreateForm : public QWidget {
    Q_OBJECT
public:
    explicit CreateForm(QWidget* parent = nullptr);
    ~CreateForm() override;

    CreateSettings settings() const;
    // Fills the form from a picture's parameters (Reuse parameters, a dropped PNG); the model is
    // chosen by name when a checkpoint of that name is in the models folder.
    void setParameters(const diffusion::GenerationParameters& parameters);
    void setPrompt(const QString& prompt);
    void setInitImage(const QString& path);
    // The seed of the last picture made, for "reuse last seed".
    void setLastSeed(quint64 seed);
    // Lists the models folder again, keeping the choice when it is still there.
    void refreshModels();
    // The form as it is on screen, kept in QSettings across runs (group "create"): written a
    // moment after every change and when the form goes.
    void remember() const;
    bool restore();  // false when nothing was remembered (a first run)
    QPlainTextEdit* promptEdit() const { return mPrompt; }
    // The init picture's "Describe" (its prompt from Chat's vision model), enabled with a picture.
    DescribeButton* describeInitButton() const { return mDescribeInit; }

signals:
    void generateRequested();
    // The user changed a value (size, steps, seed, prompt...): an error about the old one is stale.
    void edited();

private:
    void sizePresetChosen(int index);
    void chooseInitImage();
    void chooseModelFile();
    // The chosen checkpoint's size rule: the fields step by its multiple and the presets start at
    // its own side; `useNativeSize` also sets the size to that side (a model chosen, a first run).
    void followModelSize(bool useNativeSize);
    void sizeEdited();
    void updateTokenCount();
    void updateSizeLimits();

    QComboBox* mModel = nullptr;
    QLabel* mModelNote = nullptr; // why a file from Open… was not taken
    QPlainTextEdit* mPrompt = nullptr;
    QLabel* mTokens = nullptr;
    QPlainTextEdit* mNegative = nullptr;
    QComboBox* mSizePreset = nullptr;
    QSpinBox* mWidth = nullptr;
    QSpinBox* mHeight = nullptr;
    QSpinBox* mSteps = nullptr;
    QDoubleSpinBox* mCfg = nullptr;
    QComboBox* mSampler = nullptr;
    QComboBox* mSchedule = nullptr;
    QLineEdit* mSeed = nullptr;
    QToolButton* mRandomSeed = nullptr;
    QToolButton* mLastSeed = nullptr;
    QSpinBox* mBatch = nullptr;
    QLabel* mInitImage = nullptr;
    QPushButton* mChooseInit = nullptr;
    QToolButton* mClearInit = nullptr;
    DescribeButton* mDescribeInit = nullptr;
    QDoubleSpinBox* mStrength = nullptr;
    ModelSize mModelSize;
    QList<QSize> mPresets;
    QTimer* mRememberDelay = nullptr;
    QString mInitPath;
    quint64 mLastSeedValue = 0;
    bool mHasLastSeed = false;
};

} // namespace atelier::ui

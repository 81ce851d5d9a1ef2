#pragma once
// What an inpaint is made from: prompt and negative prompt, checkpoint (an inpainting one first
// when the models folder has one), steps, CFG, sampler, seed and denoising strength; how the mask
// is used (feather, grow or shrink, only the masked area plus padding, what fills it first); the
// brush (size, hardness) and the overlay's opacity; and outpainting's "extend the canvas" buttons.

#include "diffusion/inpaint.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QPlainTextEdit;
class QSlider;
class QSpinBox;

namespace atelier::ui {

struct InpaintSettings {
    QString modelPath;
    QString prompt;
    QString negativePrompt;
    int steps = 20;
    double cfgScale = 7.0;
    QString sampler = QStringLiteral("Euler a"); // A1111 names
    qint64 seed = -1;                            // -1: a random seed
    double strength = 0.75;
    int feather = 4;      // pixels of blur on the mask's edge
    int grow = 0;         // pixels; negative shrinks
    bool onlyMasked = false;
    int padding = 32;     // pixels around the masked area when onlyMasked
    diffusion::MaskedFill fill = diffusion::MaskedFill::Original;
};

class InpaintForm : public QWidget {
    Q_OBJECT
public:
    explicit InpaintForm(QWidget* parent = nullptr);

    InpaintSettings settings() const;
    void setPrompt(const QString& prompt);
    void setLastSeed(quint64 seed);
    // Lists the models folder again, keeping the choice when it is still there.
    void refreshModels();
    // The form as the user left it, kept in QSettings across runs (group "inpaint").
    void remember() const;
    void restore();
    int brushSize() const;
    double hardness() const;
    double overlayOpacity() const;
    void setBrushSize(int size);
    QPlainTextEdit* promptEdit() const { return mPrompt; }

signals:
    void generateRequested();
    void brushChanged(int size, double hardness);
    void overlayOpacityChanged(double opacity);
    void shapingChanged(int grow, int feather);
    void extendRequested(Qt::Edge edge, int pixels);

private:
    QWidget* brushBox();
    QWidget* maskBox();
    QWidget* outpaintBox();

    QComboBox* mModel = nullptr;
    QPlainTextEdit* mPrompt = nullptr;
    QPlainTextEdit* mNegative = nullptr;
    QSpinBox* mSteps = nullptr;
    QDoubleSpinBox* mCfg = nullptr;
    QComboBox* mSampler = nullptr;
    QLineEdit* mSeed = nullptr;
    QDoubleSpinBox* mStrength = nullptr;
    QSpinBox* mFeather = nullptr;
    QSpinBox* mGrow = nullptr;
    QCheckBox* mOnlyMasked = nullptr;
    QSpinBox* mPadding = nullptr;
    QComboBox* mFill = nullptr;
    QSpinBox* mBrushSize = nullptr;
    QSlider* mHardness = nullptr;
    QSlider* mOpacity = nullptr;
    QComboBox* mEdge = nullptr;
    quint64 mLastSeed = 0;
};

} // namespace atelier::ui

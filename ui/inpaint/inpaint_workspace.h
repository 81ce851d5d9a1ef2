#pragma once
// The Inpaint workspace: the form on the left, the picture with its mask in the middle (an empty
// state while there is neither a checkpoint nor a picture). A picture comes from a file (Ctrl+O),
// the clipboard (Ctrl+V), a drop, or the Library (setPicture). Inpaint (Ctrl+Enter) sends the
// picture, the mask and the form to the compute engine; previews show on the canvas step by step,
// Esc cancels, and the result can be flipped with the original (before/after). Finished pictures
// go out through pictureFinished with their mask, to be saved. A Regions tab beside the mask draws
// regional prompts over the picture (Create's Layout mode), sent with the repaint.

#include "create/image_engine.h"

#include <QImage>
#include <QWidget>

class QAction;
class QLabel;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;

namespace atelier::ui {

class EmptyState;
class InpaintForm;
class LayoutMode;
class MaskCanvas;

class InpaintWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit InpaintWorkspace(engine::ComputeEngine& engine, QWidget* parent = nullptr);

    // Opens the picture at `path` (Send to Inpaint, File > Open); false with the reason shown when
    // it cannot be read. Its path goes with the result, so the Library can find its parent.
    bool setPicture(const QString& path);
    // A picture without a file (the clipboard, a dropped image).
    void setPictureImage(const QImage& picture);
    QString picturePath() const { return mSourcePath; }

    // Queues an inpaint of the masked area; false (with the reason shown) when it cannot start.
    bool generate();
    void cancelRunning();
    // Shows the last result (true) or the picture it was made from.
    void showResult(bool result);

    InpaintForm* form() const { return mForm; }
    MaskCanvas* canvas() const { return mCanvas; }
    // Regional prompts over the picture (issue 20): boxes with prompts of their own for the repaint.
    LayoutMode* regions() const { return mLayout; }
    ImageEngine* imageEngine() const { return mEngine; }
    const QImage& result() const { return mResult; }

signals:
    // `maskPng`: the mask the engine was given (grayscale, 255 = repainted), at the result's size.
    void pictureFinished(const atelier::ui::ImageResult& result, const QByteArray& maskPng);

protected:
    void showEvent(QShowEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    QWidget* toolBar();
    void openFile();
    void paste();
    void showError(const QString& message);
    void showStatus(const QString& message);
    void showRegionCount();
    void updateActions();
    void updatePage();
    void jobStarted(engine::JobId ticket);
    void jobProgress(engine::JobId ticket, double fraction, const QString& text);
    void jobPreview(engine::JobId ticket, int step, int steps, const QImage& image);
    void jobFinished(engine::JobId ticket, const ImageResult& result);
    QImage previewOverPicture(const QImage& preview) const;
    // "Step 9 of 16", with the strength's share of the form's steps when it runs fewer.
    QString stepText(int step, int steps) const;
    void jobFailed(engine::JobId ticket, const QString& message);
    void jobCancelled(engine::JobId ticket);

    ImageEngine* mEngine = nullptr;
    QStackedWidget* mPages = nullptr;
    EmptyState* mEmpty = nullptr;
    InpaintForm* mForm = nullptr;
    MaskCanvas* mCanvas = nullptr;
    QTabWidget* mTabs = nullptr;   // Mask | Regions
    LayoutMode* mLayout = nullptr; // the regions over the picture
    QProgressBar* mProgress = nullptr;
    QLabel* mStatus = nullptr;
    QPushButton* mCancel = nullptr;
    QAction* mEraser = nullptr;
    QList<QAction*> mMaskTools; // the toolbar's mask actions (and their separator), hidden on the Regions tab
    QAction* mBeforeAfter = nullptr;
    QAction* mKeepResult = nullptr;
    QWidget* mResultTools = nullptr; // Result and Continue from result, under the canvas
    QString mSourcePath;
    engine::JobId mRunning = 0;
    QByteArray mRunningMask; // the running job's mask as PNG
    int mRunningSteps = 0;   // the running job's Steps and strength, to explain its step count
    double mRunningStrength = 1.0;
    bool mStepShown = false; // the progress bar shows a step's text (previews write it)
    QImage mPreviewBase;     // the running job's picture and feathered mask, for its previews
    QImage mPreviewMask;
    QImage mResult;
};

} // namespace atelier::ui

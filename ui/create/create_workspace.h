#pragma once
// The Create workspace: the form on the left, the picture forming in the middle (a preview after
// every step, then the finished picture to zoom and pan), the queue and the picture's parameters
// on the right. Generate (Ctrl+Enter) queues one job per picture of the batch; Esc cancels the
// running picture at its next step. Finished pictures go out through pictureFinished to be saved.
// While a picture forms, the middle is all about it (its previews, its progress where the finished
// picture's actions were, its parameters); a cancelled or failed run gives the last finished
// picture back.

#include "create/image_engine.h"

#include <QWidget>

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTabWidget;

namespace atelier::ui {

class CreateForm;
class EmptyState;
class LayoutMode;
class PictureDescriber;
class PictureParameters;
class PictureView;

class CreateWorkspace : public QWidget {
    Q_OBJECT
public:
    explicit CreateWorkspace(engine::ComputeEngine& engine, QWidget* parent = nullptr);

    // A prompt sent from elsewhere (a chat message, the prompt history).
    void setPrompt(const QString& prompt);
    QString prompt() const;
    // Fills the form from a picture's parameters (Reuse parameters, a dropped PNG).
    void setParameters(const diffusion::GenerationParameters& parameters);
    // Makes the picture at `path` the init picture (Send to img2img).
    void setInitImage(const QString& path);
    // Turns on "Describe for Create" for the finished and the init picture; its progress shows
    // under the picture.
    void setDescriber(PictureDescriber* describer);

    // Queues the form's pictures; false (with the reason shown) when the form cannot be used.
    bool generate();
    void cancelRunning();
    // The queue's selected picture: a waiting one leaves the queue, the running one stops at its
    // next step. Without a selection, the running one (the Cancel button, Delete in the queue).
    void cancelSelected();

    // The finished picture on show, saved where the user says (File > Export Picture…); false
    // when there is none, or while a picture forms in its place.
    bool hasPicture() const;
    void exportPicture();

    CreateForm* form() const { return mForm; }
    ImageEngine* imageEngine() const { return mEngine; }
    PictureView* pictureView() const { return mView; }
    LayoutMode* layoutMode() const { return mLayout; }

signals:
    void pictureFinished(const atelier::ui::ImageResult& result);
    // The finished picture's Send to Inpaint: a PNG file of it.
    void sendToInpaint(const QString& path);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void updateQueue();
    void showError(const QString& message);
    void showLayoutCount();
    void jobStarted(engine::JobId ticket);
    void jobProgress(engine::JobId ticket, double fraction, const QString& text);
    void jobPreview(engine::JobId ticket, int step, int steps, const QImage& image);
    void jobFinished(engine::JobId ticket, const ImageResult& result);
    void jobFailed(engine::JobId ticket, const QString& message);
    void jobCancelled(engine::JobId ticket);
    void showLastPicture(); // the last finished picture (or none) with its actions and parameters

    ImageEngine* mEngine = nullptr;
    QStackedWidget* mPages = nullptr;
    EmptyState* mEmpty = nullptr;
    CreateForm* mForm = nullptr;
    PictureView* mView = nullptr;
    LayoutMode* mLayout = nullptr; // the Layout tab beside the picture: regional prompts
    QTabWidget* mCenterTabs = nullptr;
    class PictureActions* mActions = nullptr;
    QStackedWidget* mUnderPicture = nullptr; // the finished picture's actions, or the forming one's progress
    QProgressBar* mProgress = nullptr;
    QLabel* mStatus = nullptr;
    QPushButton* mCancel = nullptr;
    QPushButton* mCancelAll = nullptr;
    QListWidget* mQueue = nullptr;
    PictureParameters* mParameters = nullptr;
    engine::JobId mForming = 0; // the running picture, whose previews are on show; 0: none
    QSize mRunningSize;
    bool mShowingError = false; // mStatus holds an error banner
};

} // namespace atelier::ui

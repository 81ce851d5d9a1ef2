#pragma once
// The Library workspace: every picture made or imported, as a thumbnail grid that reads pages
// from the database while it scrolls, filtered by prompt, model and date; the chosen picture's
// parameters and what to do with it; full size on double-click; and the prompt history.

#include "diffusion/generation_parameters.h"
#include "store/picture_store.h"

#include <QWidget>

#include <memory>

class QLabel;
class QListView;
class QStackedWidget;
class QTabWidget;
class QTimer;

namespace atelier::store {
class Database;
}

namespace atelier::ui {

class GalleryFilterBar;
class PictureDescriber;
class PictureDetails;
class PictureModel;
class PictureViewer;
class PromptHistory;
class ThumbnailCache;

class LibraryWorkspace : public QWidget {
    Q_OBJECT
public:
    // `database` may be null when it could not be opened; `databaseError` then says why. Pictures
    // live in paths::galleryDir(), thumbnails in paths::thumbnailsDir().
    LibraryWorkspace(store::Database* database, const QString& databaseError, QWidget* parent = nullptr);
    ~LibraryWorkspace() override;

    store::PictureStore* store() { return mStore.get(); }
    PictureModel& pictures() { return *mModel; }
    ThumbnailCache& thumbnails() { return *mThumbnails; }

    // Records a finished picture (see PictureStore::add) and shows it first in the gallery.
    Result<store::PictureRecord> addPicture(const store::PictureRecord& record, const QByteArray& png);
    // Copies PNG files made by A1111, sd.cpp or Atelier into the gallery; what could not be
    // imported is said in the workspace and in statusMessage().
    QList<store::PictureRecord> importFiles(const QStringList& paths);
    void selectPicture(qint64 id);
    void openPicture(qint64 id); // full size
    // Selects the picture an img2img or inpaint was made from (its "from picture N" link), clearing
    // the filter when it hides it; false, said in the workspace, when it is gone.
    bool showSource(qint64 id);
    // The chosen picture's PNG, copied where the user says (File > Export Picture…).
    bool hasPicture() const { return current() != nullptr; }
    void exportPicture();
    void showGallery();
    // The chosen picture's "Describe for Create" runs on this describer.
    void setDescriber(PictureDescriber* describer);
    void showPromptHistory();

signals:
    void reuseParameters(const atelier::diffusion::GenerationParameters& parameters);
    void sendToImg2img(const QString& path);
    void sendToInpaint(const QString& path);
    void askInChat(const QString& path); // "Ask about this picture"
    void promptChosen(const QString& text, bool image);
    void statusMessage(const QString& text);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    QWidget* buildGallery();
    QWidget* buildViewer();
    QWidget* buildUndoBar();
    void applyFilter();
    void refreshModels();
    void updateCount();
    void currentChanged();
    const store::PictureRecord* current() const;
    void removeCurrent();
    void undoRemove();
    void copyPrompt();
    void reveal();
    void showError(const QString& message);

    std::unique_ptr<store::PictureStore> mStore; // null without a database
    ThumbnailCache* mThumbnails = nullptr;
    PictureModel* mModel = nullptr;
    qint64 mRemovedId = 0; // the picture the Undo bar would bring back

    QStackedWidget* mPages = nullptr;
    QTabWidget* mTabs = nullptr;
    GalleryFilterBar* mFilterBar = nullptr;
    QStackedWidget* mGalleryPages = nullptr; // grid and details, or the empty state
    QStackedWidget* mGridPages = nullptr;    // the grid, or "no picture matches"
    QListView* mGrid = nullptr;
    QLabel* mEmpty = nullptr;
    PictureDetails* mDetails = nullptr;
    PictureViewer* mViewer = nullptr;
    QLabel* mZoom = nullptr;
    PromptHistory* mHistory = nullptr;
    QLabel* mMessage = nullptr;
    QWidget* mUndoBar = nullptr;
    QLabel* mUndoText = nullptr;
    QTimer* mUndoTimer = nullptr;
};

} // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::diffusion::GenerationParameters)

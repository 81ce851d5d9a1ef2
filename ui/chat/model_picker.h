#pragma once
// The bar above a conversation: which language model answers it, "Open model file…", the load
// progress, what the model is, and Unload. A model that cannot load says why here; a file whose
// header says it cannot run is listed greyed and never replaces the model in use.

#include <QWidget>

class QComboBox;
class QLabel;
class QProgressBar;
class QToolButton;

namespace atelier::ui {

class ModelCatalog;
struct LoadedModelInfo;
struct ModelEntry;

class ModelPicker : public QWidget {
    Q_OBJECT
public:
    explicit ModelPicker(ModelCatalog& catalog, QWidget* parent = nullptr);

    // Selects `path` without announcing it (a conversation was opened).
    void setCurrentPath(const QString& path);
    QString currentPath() const;

    void showLoading(const QString& path);
    void showProgress(double fraction);
    void showLoaded(const LoadedModelInfo& info);
    void showFailed(const QString& message);
    void showUnloaded();

signals:
    void modelChosen(const QString& path);
    void unloadRequested();
    void settingsToggled(bool visible);

private:
    void fill();
    void openFile();
    void describeCurrent();
    void takeOpenedFile();
    void refuse(const ModelEntry& entry);

    ModelCatalog& mCatalog;
    QComboBox* mCombo = nullptr;
    QToolButton* mOpen = nullptr;
    QToolButton* mUnload = nullptr;
    QToolButton* mSettings = nullptr;
    QProgressBar* mProgress = nullptr;
    QLabel* mStatus = nullptr;
    QString mPath;
    QString mOpened; // chosen through Open…, waiting for its header to be read
    bool mFilling = false;
    bool mLoaded = false;
};

} // namespace atelier::ui

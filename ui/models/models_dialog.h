#pragma once
// The Models dialog: the catalogue and what the models folder holds, what fits this device's
// memory, and downloads with progress, speed, pause/resume and cancel; import a file, reveal the
// folder, delete. Downloads go on while the dialog is closed (it is hidden, not destroyed).

#include "models/catalogue.h"

#include <QDialog>
#include <QFutureWatcher>
#include <QHash>

class QLabel;
class QNetworkAccessManager;
class QProgressBar;
class QPushButton;
class QTreeWidget;
class QTreeWidgetItem;

namespace atelier::models {
class ModelDownload;
}

namespace atelier::ui {

class ModelsDialog : public QDialog {
    Q_OBJECT
public:
    explicit ModelsDialog(QWidget* parent = nullptr);
    ~ModelsDialog() override;

    void refresh(); // reads the catalogue and the models folder again
    void selectModel(const QString& id);
    void startDownload(const QString& id);
    models::ModelDownload* download(const QString& id) const { return mDownloads.value(id); }
    // Copies a model file into the models folder on a worker thread (a checkpoint is gigabytes);
    // the message line says how it went, and importFinished follows.
    void importFile(const QString& path);
    QString message() const;                // the last error or note shown under the list

signals:
    void modelsChanged(); // a model was installed, imported or deleted
    void importFinished(bool ok);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void buildRows();
    void updateRow(QTreeWidgetItem* item);
    void updateButtons();
    void updateDetails();
    void showMessage(const QString& text, bool error);
    QTreeWidgetItem* itemFor(const QString& id) const;
    const models::CatalogueModel* selectedModel() const;
    QString selectedFile() const; // the file name of the selected row, installed or not
    void deleteSelected();
    void chooseImport();
    void onImported();
    void downloadFinished(const QString& id);

    models::Catalogue mCatalogue;
    QString mCatalogueError;
    qint64 mBudget = 0;
    QNetworkAccessManager* mNetwork = nullptr;
    QHash<QString, models::ModelDownload*> mDownloads; // by catalogue id
    QLabel* mSummary = nullptr;
    QTreeWidget* mTree = nullptr;
    QLabel* mDetails = nullptr;
    QProgressBar* mProgress = nullptr;
    QLabel* mProgressText = nullptr;
    QLabel* mMessage = nullptr;
    QPushButton* mDownload = nullptr;
    QPushButton* mPause = nullptr;
    QPushButton* mResume = nullptr;
    QPushButton* mCancel = nullptr;
    QPushButton* mDelete = nullptr;
    QPushButton* mReveal = nullptr;
    QPushButton* mImport = nullptr;
    QFutureWatcher<QString> mImportWatcher; // the imported path, or "!" and the reason
    QString mImporting;                      // the file being imported
};

// The window's one Models dialog (made on first use), shown and raised.
ModelsDialog* showModelsDialog(QWidget* window);

} // namespace atelier::ui

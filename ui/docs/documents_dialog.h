#pragma once
// Edit > Documents…: the document collections chat answers from. Create one, add folders and
// files, watch it being indexed (progress, Cancel) off the UI thread, see each skipped file with
// its reason, re-index, remove. While the window runs, changed files are re-indexed on their own.

#include <QDialog>

#include <memory>

class QLabel;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTreeWidget;

namespace atelier::store { class Database; }
namespace atelier::engine { class ComputeEngine; }
namespace atelier::docs { class CollectionStore; struct IndexReport; }

namespace atelier::ui {

class DocumentIndexer;
class EmbeddingChoice;

class DocumentsDialog : public QDialog {
    Q_OBJECT
public:
    DocumentsDialog(store::Database& db, QWidget* parent = nullptr);
    ~DocumentsDialog() override;

    // What the buttons do after their file or name dialogs; public for tests.
    bool createCollection(const QString& name);
    void addPaths(const QStringList& paths); // to the selected collection, then indexes it
    void removeSelected();                   // without asking
    // The selected collection's chunk size and overlap (characters); its files are cut again.
    void setChunking(int chunkChars, int overlapChars);
    // The selected collection's embedding model (a GGUF path; empty: none); its chunks are embedded again.
    void setEmbeddingModel(const QString& path);
    // Where embedding models run (the window's engine); without one, keyword search only.
    void setComputeEngine(engine::ComputeEngine* engine);
    QString selectedCollection() const;
    // The embedding model collections use: the first one's (by name) whose file is there; empty: none.
    QString embeddingModel() const;
    DocumentIndexer& indexer() { return *mIndexer; }

signals:
    void collectionsChanged(); // one was created, removed or (re)indexed

private:
    void reload(const QString& select = {});
    void showSelected();
    void indexFinished(const QString& collection, const docs::IndexReport& report);

    store::Database& mDb;
    std::unique_ptr<docs::CollectionStore> mStore;
    DocumentIndexer* mIndexer = nullptr;
    QListWidget* mCollections = nullptr;
    QListWidget* mRoots = nullptr;
    QTreeWidget* mSkipped = nullptr;
    QLabel* mStatus = nullptr;
    QProgressBar* mProgress = nullptr;
    QPushButton* mCancel = nullptr;
    QPushButton* mAddFolder = nullptr;
    QPushButton* mAddFiles = nullptr;
    QPushButton* mReindex = nullptr;
    QPushButton* mRemove = nullptr;
    QSpinBox* mChunkChars = nullptr;
    QSpinBox* mOverlapChars = nullptr;
    QPushButton* mApplyChunking = nullptr;
    EmbeddingChoice* mEmbedding = nullptr;
};

} // namespace atelier::ui

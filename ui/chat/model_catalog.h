#pragma once
// The language models the user can pick: every *.gguf in the models folder plus files opened from
// elsewhere (remembered in QSettings). Headers are read on a worker thread; `changed` says when
// the list is ready.

#include "llm/model_file_info.h"

#include <QFutureWatcher>
#include <QList>
#include <QObject>
#include <QString>

namespace atelier::ui {

// What the model bar and the list say of a GGUF without a chat template.
QString baseModelNote();

struct ModelEntry {
    QString path;
    llm::ModelFileInfo info; // valid when error is empty
    QString error;           // the file is not a readable GGUF

    bool usable() const { return error.isEmpty() && info.problem.empty(); }
    QString displayName() const;
    QString reason() const;  // why it cannot be used; "" when usable
    QString summary() const; // "gemma3 · Q4_K_M · 268M parameters · 241 MiB · ...", or why it cannot be used
};

class ModelCatalog : public QObject {
    Q_OBJECT
public:
    explicit ModelCatalog(QObject* parent = nullptr);
    ~ModelCatalog() override;

    void refresh();
    // Remembers a model file outside the models folder and lists it from now on.
    void addFile(const QString& path);
    const QList<ModelEntry>& models() const { return mModels; }
    const ModelEntry* find(const QString& path) const;
    bool scanning() const { return mWatcher.isRunning(); }

    // The default model's file name in the models folder (installer/models.sh puts it there).
    static QString defaultModelPath();
    // What a new conversation uses: the preferred path when it is listed, else the default model,
    // else the first usable one; "" when there is none.
    QString pick(const QString& preferred) const;

signals:
    void changed();

private:
    QStringList candidates() const;

    QList<ModelEntry> mModels;
    QFutureWatcher<QList<ModelEntry>> mWatcher;
    bool mRefreshAgain = false;
};

} // namespace atelier::ui

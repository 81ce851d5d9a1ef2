#pragma once
// "Describe for Create" (issue 22): runs Chat's model with its vision projector on a picture, on
// the compute thread, and hands back a Stable Diffusion prompt (describe_prompt.h). It uses the
// model Chat has loaded (or the one a new conversation would use, loaded through ChatEngine so the
// window keeps one copy), queued behind whatever the engine is doing; progress, the answer as it
// grows, Cancel. Whether it can run at all is checked from the files' headers on a worker thread.

#include "engine/compute_engine.h"

#include <QFutureWatcher>
#include <QObject>
#include <QString>

namespace atelier::ui {

class ChatEngine;
class ModelCatalog;
struct LoadedModelInfo;

// Whether a picture can be described, and with what.
struct DescribeReadiness {
    QString modelPath;  // the chat model that would describe; "" when none is set
    bool ready = false; // a local model with a vision projector of its width beside it
    QString reason;     // why not, and what to do about it; "" when ready
};

class PictureDescriber : public QObject {
    Q_OBJECT
public:
    // `catalog` names the model a new conversation would use when Chat has none loaded.
    PictureDescriber(engine::ComputeEngine& engine, ChatEngine& chat, ModelCatalog& catalog, QObject* parent = nullptr);
    ~PictureDescriber() override;

    const DescribeReadiness& readiness() const { return mReadiness; }
    bool checking() const { return mChecking.isRunning(); }
    // Checks again which model describes and whether it reads pictures (a worker reads the headers);
    // readinessChanged follows.
    void refresh();

    // Describes the picture file; refused (failed) when not ready, ignored while another runs.
    void describe(const QString& picturePath);
    void cancel();
    bool busy() const { return mRunning; }
    // The tokens the last finished description's prompt held, the picture's among them.
    int lastPromptTokens() const { return mLastPromptTokens; }
    const QString& picturePath() const { return mPicture; }

signals:
    void readinessChanged(const atelier::ui::DescribeReadiness& readiness);
    void started(const QString& picturePath);
    // What is going on: "Loading gemma-3-4b…", "Reading the picture…", "Writing the prompt…";
    // fraction in [0, 1], or < 0 when unknown.
    void progress(const QString& text, double fraction);
    void partialPrompt(const QString& text); // the answer so far, tidied
    void finished(const QString& prompt);
    void failed(const QString& message);
    void cancelled();

private:
    QString chosenModel() const;
    void loaded(const LoadedModelInfo& info);
    void jobProgress(engine::JobId id, double fraction, const QString& text);
    void jobPartial(engine::JobId id, const QVariant& data);
    void jobFinished(engine::JobId id, const QVariant& result);
    void jobFailed(engine::JobId id, const QString& message);
    void jobCancelled(engine::JobId id);
    void end();

    engine::ComputeEngine& mEngine;
    ChatEngine& mChat;
    ModelCatalog& mCatalog;
    DescribeReadiness mReadiness;
    QFutureWatcher<DescribeReadiness> mChecking;
    bool mCheckAgain = false;
    bool mRunning = false;
    bool mLoading = false;     // the chat model is loading for this description
    engine::JobId mJob = 0;
    QString mPicture;
    QString mLoadError;        // why the model's load failed, for the job queued behind it
    QString mAnswer;           // the raw answer so far
    int mLastPromptTokens = 0;
    bool mLoadedReadsPictures = false; // what Chat's last load said of its model
    QString mLoadedVisionError;
};

} // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::DescribeReadiness)

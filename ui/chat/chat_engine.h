#pragma once
// The chat's end of the compute engine: keeps one language model loaded on the compute thread (a
// resident of the worker) and answers with it; a remote model (a model path that is an endpoint's
// URL, remote_engine.h) answers through RemoteEngine instead, with the same signals. Every call returns at once; results come back as
// signals on the UI thread.

#include "engine/compute_engine.h"
#include "llm/chat_session.h"
#include "store/chat_store.h"

#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace atelier::ui {

class RemoteEngine;

struct ChatTurn {
    QString role; // "user" or "assistant"
    QString text;
    QStringList pictures; // picture files shown with the message (full paths), read before its text
};

// One answer to write: the conversation up to the question, and how to write it.
struct ChatRequest {
    qint64 conversationId = 0;
    qint64 questionId = 0;   // the stored user message being answered
    QString modelPath;
    int contextLength = 4096;
    QString systemPrompt;
    QList<ChatTurn> turns;   // oldest first; the last is the question
    llm::GenerationSettings generation;
    QList<store::LoraChoice> loras; // LoRA adapters on the model, with their scales (local models)
};

struct ChatAnswer {
    QString text;
    store::MessageStats stats;
};

// What a finished load reports.
struct LoadedModelInfo {
    QString path;
    QString name;
    int contextLength = 0; // what the KV cache holds
    bool completesText = false; // a base model without a chat template, or one whose template could not be read
    QString templateError;      // why the model's chat template could not be read; empty when it was or there is none
    bool readsPictures = false; // its vision projector (an mmproj*.gguf next to it) is loaded too
    QString visionError;        // why it reads no pictures: no projector found, or the projector's load error
};

class ChatEngine : public QObject {
    Q_OBJECT
public:
    explicit ChatEngine(engine::ComputeEngine& engine, QObject* parent = nullptr);

    // Loads `path` with room for `contextLength` tokens, replacing any other model, unless it is
    // already loaded (or loading) with at least that much.
    void load(const QString& path, int contextLength);
    void unload();
    // Queues an answer (after any load queued before it). One answer at a time: a second one
    // while another runs is refused with answerFailed.
    void answer(const ChatRequest& request);
    // Ends the running answer at its next token; what it wrote so far is its answer.
    void stop();

    bool answering() const;
    std::optional<ChatRequest> currentRequest() const;
    bool loading() const { return mLoadJob != 0; }
    const QString& loadedPath() const { return mLoaded.path; } // "" while none is loaded

signals:
    void loadStarted(const QString& path);
    void loadProgress(double fraction);
    void loaded(const atelier::ui::LoadedModelInfo& info);
    void loadFailed(const QString& path, const QString& message);
    void unloaded();
    void answerStarted(const atelier::ui::ChatRequest& request);
    void answerText(qint64 conversationId, const QString& piece);
    // How much of a long prompt has been read (0..1), before the answer's first text.
    void answerPromptProgress(qint64 conversationId, double fraction);
    void answerFinished(const atelier::ui::ChatRequest& request, const atelier::ui::ChatAnswer& answer);
    void answerFailed(const atelier::ui::ChatRequest& request, const QString& message);

private:
    struct RunningAnswer {
        engine::JobId job = 0;
        ChatRequest request;
    };
    void jobStarted(engine::JobId id);
    void jobProgress(engine::JobId id, double fraction);
    void jobPartial(engine::JobId id, const QVariant& data);
    void jobFinished(engine::JobId id, const QVariant& result);
    void jobFailed(engine::JobId id, const QString& message);
    void jobCancelled(engine::JobId id);

    engine::ComputeEngine& mEngine;
    engine::JobId mLoadJob = 0;
    engine::JobId mUnloadJob = 0;
    QString mRequestedPath; // the model the queued jobs will find loaded
    int mRequestedContext = 0;
    LoadedModelInfo mLoaded;
    QString mLoadError; // why the last load failed, for answers queued behind it
    std::optional<RunningAnswer> mAnswer;
    RemoteEngine* mRemote = nullptr; // answers for remote models
};

} // namespace atelier::ui

Q_DECLARE_METATYPE(atelier::ui::ChatRequest)
Q_DECLARE_METATYPE(atelier::ui::ChatAnswer)
Q_DECLARE_METATYPE(atelier::ui::LoadedModelInfo)

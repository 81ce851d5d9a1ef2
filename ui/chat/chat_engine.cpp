#include "chat/chat_engine.h"

#include "chat/remote_engine.h"
#include "chat/remote_models.h"

#include "llm/chat_resident.h"
#include "llm/vision_encoder.h"
#include "picture_rgb.h"

#include <QFileInfo>

#include <map>
#include <QVariantMap>

namespace atelier::ui {

namespace {

const std::string kResidentKey = llm::kChatResidentKey;

// What stays loaded on the compute thread between jobs (the API server may answer with it too).
using LoadedChat = llm::ChatResident;

// The loaded model's vision projector, which its session reads pictures with. Erased after the
// model (its session holds a pointer to it).
const std::string kVisionKey = "chat.vision";
struct LoadedVision {
    std::unique_ptr<llm::VisionEncoder> encoder;
};

// Loads the vision projector next to the model, if there is one, and gives it to the session.
// A projector that cannot be used leaves the model loaded, reading no pictures, and says why.
void loadVision(engine::JobContext& ctx, LoadedChat& chat, LoadedModelInfo& info)
{
    if (chat.session->completesText()) {
        info.visionError = QObject::tr("%1 has no chat template to place pictures in").arg(info.name);
        return;
    }
    const std::string projector = llm::findVisionProjector(chat.path, chat.model->config().architectureName, chat.model->config().dim);
    if (projector.empty()) {
        info.visionError = QObject::tr("%1 cannot read pictures: no vision projector (mmproj*.gguf) of its width "
                                       "lies in its folder").arg(QFileInfo(info.path).fileName());
        return;
    }
    auto encoder = llm::VisionEncoder::load(ctx.device(), projector);
    Status used = encoder ? chat.session->setVision(encoder.value().get()) : Status(encoder.error());
    if (!used) {
        (void)chat.session->setVision(nullptr);
        info.visionError = QObject::tr("the vision projector %1 cannot be used: %2")
                               .arg(QFileInfo(QString::fromStdString(projector)).fileName(),
                                    QString::fromStdString(used.error().message));
        return;
    }
    auto vision = std::make_unique<LoadedVision>();
    vision->encoder = std::move(encoder).value();
    ctx.residents().put(kVisionKey, std::move(vision));
    info.readsPictures = true;
}

class LoadJob final : public engine::Job {
public:
    LoadJob(QString path, int contextLength) : mPath(std::move(path)), mContext(contextLength) {}
    QString name() const override { return QStringLiteral("Load %1").arg(QFileInfo(mPath).fileName()); }

    Result<QVariant> run(engine::JobContext& ctx) override
    {
        ctx.residents().erase(kResidentKey); // free the old model's memory before loading the next
        ctx.residents().erase(kVisionKey);
        llm::LoadOptions options;
        options.contextLength = mContext;
        auto progress = [&ctx](double f) {
            ctx.progress(f);
            return !ctx.cancelled();
        };
        ATELIER_ASSIGN(auto model, llm::LanguageModel::load(ctx.device(), mPath.toStdString(), options, progress));
        auto chat = std::make_unique<LoadedChat>();
        chat->path = mPath.toStdString();
        chat->session = std::make_unique<llm::ChatSession>(*model);
        chat->model = std::move(model);
        LoadedModelInfo info;
        info.path = mPath;
        info.name = QString::fromStdString(chat->model->config().name);
        if (info.name.isEmpty())
            info.name = QFileInfo(mPath).completeBaseName();
        info.contextLength = chat->model->contextLength();
        info.completesText = chat->session->completesText();
        if (const auto& error = chat->session->templateError())
            info.templateError = QString::fromStdString(error->message);
        loadVision(ctx, *chat, info);
        ctx.residents().put(kResidentKey, std::move(chat));
        return QVariant::fromValue(info);
    }

private:
    QString mPath;
    int mContext;
};

// The conversation's LoRA adapters on the loaded model: each file is read once while the model stays
// loaded (files no longer chosen are let go), and a different choice re-reads the conversation.
Status useAdapters(engine::JobContext& ctx, LoadedChat& chat, const QList<store::LoraChoice>& choices)
{
    std::vector<llm::ActiveLora> active;
    std::map<std::string, std::shared_ptr<const llm::LoraAdapter>> kept;
    for (const store::LoraChoice& choice : choices) {
        const std::string path = choice.path.toStdString();
        auto& adapter = kept[path];
        if (const auto cached = chat.adapters.find(path); !adapter && cached != chat.adapters.end())
            adapter = cached->second;
        if (!adapter) {
            auto loaded = llm::LoraAdapter::load(ctx.device(), path, chat.model->config(), chat.model->weights());
            if (!loaded)
                return makeError(loaded.error().code, "the LoRA adapter " + QFileInfo(choice.path).fileName().toStdString() +
                                                          " cannot be used: " + loaded.error().message);
            adapter = std::move(loaded).value();
        }
        active.push_back({adapter, float(choice.scale)});
    }
    chat.adapters = std::move(kept);
    return chat.session->setAdapters(std::move(active));
}

class UnloadJob final : public engine::Job {
public:
    QString name() const override { return QStringLiteral("Unload the language model"); }
    Result<QVariant> run(engine::JobContext& ctx) override
    {
        ctx.residents().erase(kResidentKey);
        ctx.residents().erase(kVisionKey);
        return QVariant();
    }
};

class AnswerJob final : public engine::Job {
public:
    explicit AnswerJob(ChatRequest request) : mRequest(std::move(request)) {}
    QString name() const override { return QStringLiteral("Answer"); }

    Result<QVariant> run(engine::JobContext& ctx) override
    {
        auto* chat = ctx.residents().find<LoadedChat>(kResidentKey);
        if (!chat)
            return makeError(ErrorCode::InvalidArgument, "no language model is loaded");
        std::vector<llm::ChatMessage> messages;
        for (const ChatTurn& turn : mRequest.turns) {
            std::vector<llm::PictureRef> pictures;
            for (const QString& path : turn.pictures) {
                auto picture = loadRgbPicture(path);
                if (!picture)
                    return makeError(picture.error().code, QObject::tr("the picture %1 cannot be read: %2")
                                                               .arg(QFileInfo(path).fileName(),
                                                                    QString::fromStdString(picture.error().message))
                                                               .toStdString());
                pictures.push_back(std::make_shared<const llm::RgbPicture>(std::move(picture).value()));
            }
            messages.push_back({turn.role.toStdString(), turn.text.toStdString(), {}, std::move(pictures)});
        }
        ATELIER_TRY(useAdapters(ctx, *chat, mRequest.loras));
        chat->session->setSystemPrompt(mRequest.systemPrompt.toStdString());
        chat->session->setMessages(std::move(messages));

        // A long prompt takes seconds (10 s for 1500 tokens on lavapipe): say how far it is, and
        // let Stop end it between its batches.
        chat->session->setPromptProgress([&ctx](int done, int total) {
            ctx.progress(double(done) / double(total), QStringLiteral("prompt"));
            return !ctx.cancelled();
        });
        llm::GenerationStats stats;
        auto onText = [&ctx](std::string_view piece) {
            ctx.partial(QString::fromUtf8(piece.data(), qsizetype(piece.size())));
            return !ctx.cancelled();
        };
        ATELIER_ASSIGN(const std::string text, chat->session->answer(mRequest.generation, onText, &stats));
        ChatAnswer answer;
        answer.text = QString::fromStdString(text);
        answer.stats.promptTokens = stats.promptTokens;
        answer.stats.generatedTokens = stats.generatedTokens;
        // One token is no rate (a stop right after the prompt read as "700 tokens/s").
        answer.stats.tokensPerSecond =
            stats.generationSeconds > 0 && stats.generatedTokens > 1 ? stats.generatedTokens / stats.generationSeconds : 0;
        answer.stats.firstTokenSeconds = stats.firstTokenSeconds;
        answer.stats.droppedMessages = stats.droppedMessages;
        answer.stats.stopped = stats.stoppedByUser || ctx.cancelled();
        answer.stats.model = QFileInfo(mRequest.modelPath).fileName();
        return QVariant::fromValue(answer);
    }

private:
    ChatRequest mRequest;
};

} // namespace

ChatEngine::ChatEngine(engine::ComputeEngine& engine, QObject* parent) : QObject(parent), mEngine(engine)
{
    qRegisterMetaType<ChatRequest>();
    qRegisterMetaType<ChatAnswer>();
    qRegisterMetaType<LoadedModelInfo>();
    connect(&engine, &engine::ComputeEngine::jobStarted, this, &ChatEngine::jobStarted);
    connect(&engine, &engine::ComputeEngine::jobProgress, this,
            [this](engine::JobId id, double fraction, const QString&) { jobProgress(id, fraction); });
    connect(&engine, &engine::ComputeEngine::jobPartial, this, &ChatEngine::jobPartial);
    connect(&engine, &engine::ComputeEngine::jobFinished, this, &ChatEngine::jobFinished);
    connect(&engine, &engine::ComputeEngine::jobFailed, this, &ChatEngine::jobFailed);
    connect(&engine, &engine::ComputeEngine::jobCancelled, this, &ChatEngine::jobCancelled);
    mRemote = new RemoteEngine(this);
    connect(mRemote, &RemoteEngine::answerStarted, this, &ChatEngine::answerStarted);
    connect(mRemote, &RemoteEngine::answerText, this, &ChatEngine::answerText);
    connect(mRemote, &RemoteEngine::answerFinished, this, &ChatEngine::answerFinished);
    connect(mRemote, &RemoteEngine::answerFailed, this, &ChatEngine::answerFailed);
}

void ChatEngine::load(const QString& path, int contextLength)
{
    if (path == mRequestedPath && contextLength <= mRequestedContext)
        return;
    if (mLoadJob)
        mEngine.cancel(mLoadJob);
    mLoadJob = 0;
    mRequestedPath = path;
    mRequestedContext = contextLength;
    mLoadError.clear();
    mLoaded = {};
    if (const auto remote = remoteModel(path)) {
        // Nothing to load: the endpoint holds the model. (A local model stays on the GPU until Unload.)
        // Pictures go with the question (remote_engine.h); a server whose model cannot see says so.
        mLoaded = LoadedModelInfo{path, remote->model, contextLength, false, {}, true, {}};
        emit loadStarted(path);
        emit loaded(mLoaded);
        return;
    }
    mLoadJob = mEngine.submit(std::make_unique<LoadJob>(path, contextLength));
    emit loadStarted(path);
}

void ChatEngine::unload()
{
    if (mLoadJob)
        mEngine.cancel(mLoadJob);
    mLoadJob = 0;
    mRequestedPath.clear();
    mRequestedContext = 0;
    mLoaded = {};
    mUnloadJob = mEngine.submit(std::make_unique<UnloadJob>());
}

void ChatEngine::answer(const ChatRequest& request)
{
    if (answering()) {
        emit answerFailed(request, tr("Another answer is still being written."));
        return;
    }
    load(request.modelPath, request.contextLength);
    if (const auto remote = remoteModel(request.modelPath)) {
        mRemote->setEndpoint(*remote);
        mRemote->answer(request);
        return;
    }
    mAnswer = RunningAnswer{mEngine.submit(std::make_unique<AnswerJob>(request)), request};
}

void ChatEngine::stop()
{
    if (mAnswer)
        mEngine.cancel(mAnswer->job);
    mRemote->stop();
}

bool ChatEngine::answering() const { return mAnswer.has_value() || mRemote->answering(); }

std::optional<ChatRequest> ChatEngine::currentRequest() const
{
    if (!mAnswer)
        return mRemote->currentRequest();
    return mAnswer->request;
}

void ChatEngine::jobStarted(engine::JobId id)
{
    if (mAnswer && id == mAnswer->job)
        emit answerStarted(mAnswer->request);
}

void ChatEngine::jobProgress(engine::JobId id, double fraction)
{
    if (id == mLoadJob)
        emit loadProgress(fraction);
    else if (mAnswer && id == mAnswer->job)
        emit answerPromptProgress(mAnswer->request.conversationId, fraction);
}

void ChatEngine::jobPartial(engine::JobId id, const QVariant& data)
{
    if (mAnswer && id == mAnswer->job)
        emit answerText(mAnswer->request.conversationId, data.toString());
}

void ChatEngine::jobFinished(engine::JobId id, const QVariant& result)
{
    if (id == mLoadJob) {
        mLoadJob = 0;
        mLoaded = result.value<LoadedModelInfo>();
        emit loaded(mLoaded);
    } else if (id == mUnloadJob) {
        mUnloadJob = 0;
        emit unloaded();
    } else if (mAnswer && id == mAnswer->job) {
        const ChatRequest request = std::move(mAnswer->request);
        mAnswer.reset();
        emit answerFinished(request, result.value<ChatAnswer>());
    }
}

void ChatEngine::jobFailed(engine::JobId id, const QString& message)
{
    if (id == mLoadJob) {
        mLoadJob = 0;
        const QString path = mRequestedPath;
        mRequestedPath.clear(); // a later request tries again
        mRequestedContext = 0;
        mLoadError = message;
        emit loadFailed(path, message);
    } else if (id == mUnloadJob) {
        mUnloadJob = 0;
    } else if (mAnswer && id == mAnswer->job) {
        const ChatRequest request = std::move(mAnswer->request);
        mAnswer.reset();
        // An answer queued behind a failed load fails for the load's reason.
        emit answerFailed(request, mLoadError.isEmpty() ? message : mLoadError);
    }
}

void ChatEngine::jobCancelled(engine::JobId id)
{
    if (id == mLoadJob) {
        mLoadJob = 0;
    } else if (mAnswer && id == mAnswer->job) {
        // Stopped before it started: nothing was written.
        const ChatRequest request = std::move(mAnswer->request);
        mAnswer.reset();
        ChatAnswer answer;
        answer.stats.stopped = true;
        emit answerFinished(request, answer);
    }
}

} // namespace atelier::ui

#include "describe/picture_describer.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/model_catalog.h"
#include "chat/remote_engine.h"
#include "describe/describe_prompt.h"
#include "io/gguf.h"
#include "llm/chat_resident.h"
#include "llm/model_config.h"
#include "llm/model_file_info.h"
#include "llm/vision_config.h"
#include "models/catalogue.h"
#include "picture_rgb.h"

#include <QDir>
#include <QFileInfo>
#include <QtConcurrent/QtConcurrentRun>

namespace atelier::ui {

namespace {

// What is known of the model when it is the one Chat has loaded.
struct LoadedVision {
    bool loaded = false;
    bool readsPictures = false;
    QString error;
};

// The catalogue's vision projectors for an architecture, for "File > Models… offers …".
QStringList catalogueProjectors(const std::string& architecture)
{
    QStringList names;
    auto catalogue = models::loadCatalogue();
    if (!catalogue)
        return names;
    for (const models::CatalogueModel& m : catalogue.value().models)
        if (m.kind == models::ModelKind::VisionProjector &&
            (m.architecture == QLatin1String("clip") || m.architecture == QString::fromStdString(architecture)))
            names << m.name;
    return names;
}

// Runs on a worker: reads the model's header and looks for its projector beside it.
DescribeReadiness checkReadiness(const QString& model, const LoadedVision& loaded)
{
    DescribeReadiness r;
    r.modelPath = model;
    if (model.isEmpty()) {
        r.reason = PictureDescriber::tr("No chat model is chosen. Pick a vision model in Chat's model bar: a model "
                                        "with its mmproj*.gguf vision projector beside it.");
        return r;
    }
    const QString file = QFileInfo(model).fileName();
    if (RemoteEndpoint::fromModelPath(model)) {
        r.reason = PictureDescriber::tr("Chat's model runs on another server, which takes no pictures here. Choose a "
                                        "local vision model in Chat's model bar.");
        return r;
    }
    if (!QFileInfo::exists(model)) {
        r.reason = PictureDescriber::tr("The chat model %1 is not there any more. Choose another in Chat.")
                       .arg(QDir::toNativeSeparators(model));
        return r;
    }
    auto info = llm::readModelFileInfo(model.toStdString());
    if (!info || !info.value().problem.empty()) {
        r.reason = PictureDescriber::tr("The chat model %1 cannot be used: %2")
                       .arg(file, QString::fromStdString(info ? info.value().problem : info.error().message));
        return r;
    }
    if (!info.value().hasChatTemplate) {
        r.reason = PictureDescriber::tr("%1 has no chat template to place a picture in. Choose an instruction-tuned "
                                        "vision model in Chat.").arg(file);
        return r;
    }
    auto gguf = io::GgufFile::open(model.toStdString());
    auto config = gguf ? llm::ModelConfig::fromGguf(*gguf.value()) : Result<llm::ModelConfig>(gguf.error());
    if (!config) {
        r.reason = PictureDescriber::tr("The chat model %1 cannot be used: %2")
                       .arg(file, QString::fromStdString(config.error().message));
        return r;
    }
    const std::string architecture = config.value().architectureName;
    if (llm::findVisionProjector(model.toStdString(), architecture, config.value().dim).empty()) {
        r.reason = PictureDescriber::tr("%1 cannot read pictures: it has no vision projector. Put the model's "
                                        "mmproj*.gguf next to it in %2.")
                       .arg(file, QDir::toNativeSeparators(QFileInfo(model).absolutePath()));
        if (const QStringList offered = catalogueProjectors(architecture); !offered.isEmpty())
            r.reason += QLatin1Char(' ') +
                        PictureDescriber::tr("File > Models… offers %1.").arg(offered.join(QStringLiteral(", ")));
        return r;
    }
    if (loaded.loaded && !loaded.readsPictures) { // its projector is there, but could not be used
        r.reason = PictureDescriber::tr("%1 reads no pictures: %2").arg(file, loaded.error);
        return r;
    }
    r.ready = true;
    return r;
}

// On the compute thread: the loaded chat model (a ChatEngine resident) answers the instruction.
class DescribeJob final : public engine::Job {
public:
    explicit DescribeJob(QString picture) : mPicture(std::move(picture)) {}
    QString name() const override { return QStringLiteral("Describe %1").arg(QFileInfo(mPicture).fileName()); }

    Result<QVariant> run(engine::JobContext& ctx) override
    {
        auto picture = loadRgbPicture(mPicture);
        if (!picture)
            return makeError(picture.error().code, PictureDescriber::tr("The picture %1 cannot be read: %2")
                                                       .arg(QFileInfo(mPicture).fileName(),
                                                            QString::fromStdString(picture.error().message))
                                                       .toStdString());
        auto* chat = ctx.residents().find<llm::ChatResident>(llm::kChatResidentKey);
        if (!chat)
            return makeError(ErrorCode::InvalidArgument, "no chat model is loaded");
        if (!chat->session->readsPictures())
            return makeError(ErrorCode::Unsupported, "the chat model has no vision projector loaded");
        ctx.progress(0, QStringLiteral("prompt"));
        chat->session->setPromptProgress([&ctx](int done, int total) {
            ctx.progress(double(done) / double(total), QStringLiteral("prompt"));
            return !ctx.cancelled();
        });
        auto onText = [&ctx](std::string_view piece) {
            ctx.partial(QString::fromUtf8(piece.data(), qsizetype(piece.size())));
            return !ctx.cancelled();
        };
        llm::GenerationStats stats;
        auto text = describePicture(*chat->session, std::make_shared<const llm::RgbPicture>(std::move(picture).value()),
                                    onText, &stats);
        chat->session->setPromptProgress({}); // it held this job's context
        if (ctx.cancelled())
            return makeError(ErrorCode::Cancelled, "cancelled");
        ATELIER_TRY(text);
        QVariantMap result;
        result[QStringLiteral("prompt")] = promptFromAnswer(QString::fromStdString(text.value()), cutShort(stats));
        result[QStringLiteral("promptTokens")] = stats.promptTokens;
        return QVariant(result);
    }

private:
    QString mPicture;
};

} // namespace

PictureDescriber::PictureDescriber(engine::ComputeEngine& engine, ChatEngine& chat, ModelCatalog& catalog, QObject* parent)
    : QObject(parent), mEngine(engine), mChat(chat), mCatalog(catalog)
{
    setObjectName("pictureDescriber");
    qRegisterMetaType<DescribeReadiness>();
    connect(&engine, &engine::ComputeEngine::jobProgress, this, &PictureDescriber::jobProgress);
    connect(&engine, &engine::ComputeEngine::jobPartial, this, &PictureDescriber::jobPartial);
    connect(&engine, &engine::ComputeEngine::jobFinished, this, &PictureDescriber::jobFinished);
    connect(&engine, &engine::ComputeEngine::jobFailed, this, &PictureDescriber::jobFailed);
    connect(&engine, &engine::ComputeEngine::jobCancelled, this, &PictureDescriber::jobCancelled);
    connect(&chat, &ChatEngine::loaded, this, &PictureDescriber::loaded);
    connect(&chat, &ChatEngine::unloaded, this, &PictureDescriber::refresh);
    connect(&chat, &ChatEngine::loadProgress, this, [this](double fraction) {
        if (mLoading)
            emit progress(tr("Loading %1…").arg(QFileInfo(mReadiness.modelPath).fileName()), fraction);
    });
    connect(&chat, &ChatEngine::loadFailed, this, [this](const QString& path, const QString& message) {
        if (mLoading) {
            mLoading = false;
            mLoadError = tr("%1 could not be loaded: %2").arg(QFileInfo(path).fileName(), message);
        }
        refresh();
    });
    connect(&catalog, &ModelCatalog::changed, this, &PictureDescriber::refresh);
    connect(&mChecking, &QFutureWatcher<DescribeReadiness>::finished, this, [this] {
        if (mCheckAgain) {
            mCheckAgain = false;
            refresh();
            return;
        }
        mReadiness = mChecking.result();
        emit readinessChanged(mReadiness);
    });
    refresh();
}

PictureDescriber::~PictureDescriber()
{
    mChecking.waitForFinished(); // a header read of a few milliseconds
    if (mJob)
        mEngine.cancel(mJob);
}

QString PictureDescriber::chosenModel() const
{
    if (!mChat.loadedPath().isEmpty())
        return mChat.loadedPath();
    // As ChatWorkspace::modelFor chooses a new conversation's model.
    const QString preferred = loadChatDefaults().modelPath;
    if (RemoteEndpoint::fromModelPath(preferred) || (!preferred.isEmpty() && QFileInfo::exists(preferred)))
        return preferred;
    return mCatalog.pick(preferred);
}

void PictureDescriber::refresh()
{
    if (mChecking.isRunning()) {
        mCheckAgain = true;
        return;
    }
    const QString model = chosenModel();
    LoadedVision loaded;
    if (!model.isEmpty() && model == mChat.loadedPath() && !mChat.loading()) {
        loaded.loaded = true;
        loaded.readsPictures = mLoadedReadsPictures;
        loaded.error = mLoadedVisionError;
    }
    mChecking.setFuture(QtConcurrent::run(checkReadiness, model, loaded));
}

void PictureDescriber::loaded(const LoadedModelInfo& info)
{
    mLoadedReadsPictures = info.readsPictures;
    mLoadedVisionError = info.visionError;
    if (mLoading && info.path == mReadiness.modelPath) {
        mLoading = false;
        if (!info.readsPictures)
            mLoadError = tr("%1 reads no pictures: %2").arg(QFileInfo(info.path).fileName(), info.visionError);
    }
    refresh();
}

void PictureDescriber::describe(const QString& picturePath)
{
    if (mRunning)
        return; // the buttons wait meanwhile; the running one's progress stays on show
    if (!mReadiness.ready) {
        emit failed(mReadiness.reason.isEmpty() ? tr("Checking the chat model…") : mReadiness.reason);
        return;
    }
    if (!QFileInfo(picturePath).isFile()) {
        emit failed(tr("The picture %1 is not there any more.").arg(QDir::toNativeSeparators(picturePath)));
        return;
    }
    mRunning = true;
    mPicture = picturePath;
    mAnswer.clear();
    mLoadError.clear();
    emit started(picturePath);
    const QString model = mReadiness.modelPath;
    if (mChat.loadedPath() != model || mChat.loading()) {
        mLoading = true;
        emit progress(tr("Loading %1…").arg(QFileInfo(model).fileName()), -1);
        mChat.load(model, std::max(2048, loadChatDefaults().contextLength)); // room for a tiled picture
    } else {
        emit progress(tr("Waiting for the engine…"), -1);
    }
    mJob = mEngine.submit(std::make_unique<DescribeJob>(picturePath));
}

void PictureDescriber::cancel()
{
    if (mJob)
        mEngine.cancel(mJob); // a load the chat shares goes on
}

void PictureDescriber::jobProgress(engine::JobId id, double fraction, const QString& text)
{
    if (id != mJob || !mRunning)
        return;
    mLoading = false;
    if (text == QLatin1String("prompt"))
        emit progress(tr("Reading the picture…"), fraction);
}

void PictureDescriber::jobPartial(engine::JobId id, const QVariant& data)
{
    if (id != mJob || !mRunning)
        return;
    mAnswer += data.toString();
    emit progress(tr("Writing the prompt…"), -1);
    emit partialPrompt(promptFromAnswer(mAnswer));
}

void PictureDescriber::jobFinished(engine::JobId id, const QVariant& result)
{
    if (id != mJob)
        return;
    end();
    const QVariantMap described = result.toMap();
    const QString prompt = described.value(QStringLiteral("prompt")).toString(); // tidied on the compute thread
    mLastPromptTokens = described.value(QStringLiteral("promptTokens")).toInt();
    if (prompt.isEmpty())
        emit failed(tr("The model wrote no prompt for this picture."));
    else
        emit finished(prompt);
}

void PictureDescriber::jobFailed(engine::JobId id, const QString& message)
{
    if (id != mJob)
        return;
    const QString loadError = mLoadError;
    end();
    emit failed(loadError.isEmpty() ? message : loadError);
}

void PictureDescriber::jobCancelled(engine::JobId id)
{
    if (id != mJob)
        return;
    end();
    emit cancelled();
}

void PictureDescriber::end()
{
    mJob = 0;
    mRunning = false;
    mLoading = false;
    mLoadError.clear();
}

} // namespace atelier::ui

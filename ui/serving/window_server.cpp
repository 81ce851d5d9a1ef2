#include "serving/window_server.h"

#include "chat/chat_defaults.h"
#include "chat/chat_engine.h"
#include "chat/remote_engine.h"
#include "diffusion/default_image_model.h"
#include "docs/documents_dialog.h"
#include "server/openai_server.h"

#include <QFileInfo>
#include <QSettings>

namespace atelier::ui {

ServerSettings ServerSettings::load()
{
    const QSettings s;
    ServerSettings settings;
    settings.enabled = s.value("server/enabled", false).toBool();
    settings.host = s.value("server/host", settings.host).toString();
    settings.port = s.value("server/port", settings.port).toInt();
    settings.apiKey = s.value("server/apiKey").toString();
    settings.embeddingModel = s.value("server/embeddingModel", settings.embeddingModel).toString();
    return settings;
}

void ServerSettings::save() const
{
    QSettings s;
    s.setValue("server/enabled", enabled);
    s.setValue("server/host", host);
    s.setValue("server/port", port);
    s.setValue("server/apiKey", apiKey);
    s.setValue("server/embeddingModel", embeddingModel);
}

WindowServer::WindowServer(engine::ComputeEngine& engine, QObject* window) : QObject(window), mEngine(engine)
{
    setObjectName("windowServer");
    mChat = window ? window->findChild<ChatEngine*>() : nullptr;
    if (mChat)
        connect(mChat, &ChatEngine::loaded, this, [this](const LoadedModelInfo& info) {
            if (mServer && !RemoteEndpoint::fromModelPath(info.path)) { // a remote model is not ours to serve
                mServer->setChatModel(info.path);
                emit stateChanged();
            }
        });
    if (auto* documents = window ? window->findChild<DocumentsDialog*>() : nullptr)
        connect(documents, &DocumentsDialog::collectionsChanged, this, [this] {
            if (!mServer || !mFollowsDocuments)
                return;
            const QString path = documentsEmbeddingModel();
            if (path != mServer->options().embeddingModelPath) {
                mServer->setEmbeddingModel(path);
                emit stateChanged();
            }
        });
    const ServerSettings settings = ServerSettings::load();
    if (settings.enabled)
        (void)apply(settings); // a failure (the port is taken) shows in Preferences
}

WindowServer::~WindowServer() = default;

QString WindowServer::chatModelPath() const
{
    if (mChat && !mChat->loadedPath().isEmpty() && !RemoteEndpoint::fromModelPath(mChat->loadedPath()))
        return mChat->loadedPath();
    const QString chosen = loadChatDefaults().modelPath;
    return QFileInfo::exists(chosen) ? chosen : QString(); // (a remote model's URL does not exist as a file)
}

QString WindowServer::documentsEmbeddingModel() const
{
    const auto* documents = parent() ? parent()->findChild<DocumentsDialog*>() : nullptr;
    return documents ? documents->embeddingModel() : QString();
}

QString WindowServer::embeddingModelPath(const ServerSettings& settings) const
{
    if (settings.embeddingModel == QLatin1String(ServerSettings::kDocumentsEmbedding))
        return documentsEmbeddingModel();
    return QFileInfo(settings.embeddingModel).isFile() ? settings.embeddingModel : QString();
}

Status WindowServer::apply(const ServerSettings& settings)
{
    mServer.reset();
    mError.clear();
    if (settings.enabled) {
        auto server = std::make_unique<server::OpenAiServer>(mEngine);
        server::ServerOptions options;
        options.host = settings.host.trimmed();
        options.port = quint16(settings.port);
        options.apiKey = settings.apiKey;
        options.chatModelPath = chatModelPath();
        const QString image = diffusion::defaultImageModelPath();
        options.imageModelPath = QFileInfo::exists(image) ? image : QString();
        options.embeddingModelPath = embeddingModelPath(settings);
        mFollowsDocuments = settings.embeddingModel == QLatin1String(ServerSettings::kDocumentsEmbedding);
        if (const Status started = server->start(options); !started) {
            mError = QString::fromStdString(started.error().message);
            emit stateChanged();
            return started;
        }
        mServer = std::move(server);
    }
    settings.save();
    emit stateChanged();
    return {};
}

QString WindowServer::url() const { return mServer ? mServer->baseUrl() : QString(); }

QString WindowServer::embeddingModel() const
{
    return mServer && !mServer->options().embeddingModelPath.isEmpty() ? server::modelId(mServer->options().embeddingModelPath)
                                                                        : QString();
}

QString WindowServer::chatModel() const
{
    return mServer && !mServer->options().chatModelPath.isEmpty() ? server::modelId(mServer->options().chatModelPath) : QString();
}

} // namespace atelier::ui

#pragma once
// The window's OpenAI-compatible server (Edit > Preferences > Server): serves the model Chat has
// loaded (or, before one is, the model new conversations use) and the default image model, on the
// compute engine the window uses, so API requests queue with the window's own jobs, and an
// embedding model for /v1/embeddings (by default the one Edit > Documents gives collections: the
// same resident copy on the device, llm/embedding_resident.h). Its settings live in QSettings under
// "server/"; it starts with the window when it was left on.

#include "core/result.h"

#include <QObject>
#include <QString>

#include <memory>

namespace atelier::engine {
class ComputeEngine;
}
namespace atelier::server {
class OpenAiServer;
}

namespace atelier::ui {

class ChatEngine;

struct ServerSettings {
    bool enabled = false;
    QString host = QStringLiteral("127.0.0.1");
    int port = 8080; // 0: any free port
    QString apiKey;
    // /v1/embeddings: kDocumentsEmbedding (the Documents dialog's model, or none), empty (none) or a GGUF.
    QString embeddingModel = QLatin1String(kDocumentsEmbedding);
    static constexpr const char* kDocumentsEmbedding = "documents";

    static ServerSettings load();
    void save() const;
};

class WindowServer : public QObject {
    Q_OBJECT
public:
    // `window`: the main window; its Chat's engine says which model is loaded.
    WindowServer(engine::ComputeEngine& engine, QObject* window);
    ~WindowServer() override;

    // Starts, restarts or stops the server as `settings` say, and remembers them when that worked.
    Status apply(const ServerSettings& settings);
    bool running() const { return mServer != nullptr; }
    QString url() const;          // "http://127.0.0.1:8080/v1"; empty when stopped
    QString chatModel() const;    // the model id served for chat; empty when none
    QString embeddingModel() const; // the model id served for embeddings; empty when none
    // The GGUF `settings.embeddingModel` stands for now; empty for none (or a file that is gone).
    QString embeddingModelPath(const ServerSettings& settings) const;
    QString documentsEmbeddingModel() const; // the Documents dialog's model; empty when none
    const QString& error() const { return mError; } // why it last failed to start

signals:
    void stateChanged();

private:
    QString chatModelPath() const;

    engine::ComputeEngine& mEngine;
    ChatEngine* mChat = nullptr;
    std::unique_ptr<server::OpenAiServer> mServer;
    bool mFollowsDocuments = false; // serving the Documents dialog's embedding model, whichever it is
    QString mError;
};

} // namespace atelier::ui

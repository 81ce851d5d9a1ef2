#include "serve_command.h"

#include "command_line.h"

#include "core/app_paths.h"
#include "diffusion/default_image_model.h"
#include "server/openai_server.h"

#include <QCoreApplication>
#include <QFileInfo>

#include <cstdio>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier serve [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--model GGUF]\n"
    "                     [--image-model CHECKPOINT] [--embedding-model GGUF] [--ctx N] [--max-body-mb N]\n"
    "Serves an OpenAI-compatible API at http://HOST:PORT/v1: GET /v1/models, POST /v1/chat/completions,\n"
    "/v1/completions, /v1/images/generations and (with --embedding-model, a bert or nomic-bert GGUF)\n"
    "/v1/embeddings. Without --model, the default language model in the models folder; without\n"
    "--image-model, the default image model. Any host but this computer's own\n"
    "(127.0.0.1, ::1, localhost) needs --api-key; clients then send \"Authorization: Bearer KEY\".\n";

Result<server::ServerOptions> readOptions(const QStringList& arguments)
{
    server::ServerOptions o;
    o.chatModelPath = paths::modelsDir() + "/gemma-3-270m-q4_k_m.gguf";
    o.imageModelPath = diffusion::defaultImageModelPath();
    bool chatGiven = false, imageGiven = false;
    for (int i = 0; i < arguments.size(); ++i) {
        const QString& key = arguments[i];
        if (i + 1 >= arguments.size())
            return makeError(ErrorCode::InvalidArgument, key.toStdString() + " needs a value");
        const QString value = arguments[++i];
        if (key == "--host") {
            o.host = value;
        } else if (key == "--port") {
            ATELIER_ASSIGN(const long long port, wholeNumber("--port", value, 0, 65535));
            o.port = quint16(port);
        } else if (key == "--api-key") {
            o.apiKey = value;
        } else if (key == "--model") {
            o.chatModelPath = value;
            chatGiven = true;
        } else if (key == "--image-model") {
            o.imageModelPath = value;
            imageGiven = true;
        } else if (key == "--embedding-model") {
            if (!QFileInfo::exists(value))
                return makeError(ErrorCode::Io, "--embedding-model: no such file: " + value.toStdString());
            o.embeddingModelPath = value;
        } else if (key == "--ctx") {
            ATELIER_ASSIGN(const long long ctx, wholeNumber("--ctx", value, 64, 1 << 20));
            o.contextLength = int(ctx);
        } else if (key == "--max-body-mb") {
            ATELIER_ASSIGN(const long long mb, wholeNumber("--max-body-mb", value, 1, 1024));
            o.maxBodyBytes = mb * 1024 * 1024;
        } else {
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key.toStdString());
        }
    }
    // A model named on the command line must be there; a default that is missing is left out.
    for (auto [path, given, what] : {std::tuple{&o.chatModelPath, chatGiven, "--model"},
                                     std::tuple{&o.imageModelPath, imageGiven, "--image-model"}}) {
        if (QFileInfo::exists(*path))
            continue;
        if (given)
            return makeError(ErrorCode::Io, std::string(what) + ": no such file: " + path->toStdString());
        path->clear();
    }
    if (o.chatModelPath.isEmpty() && o.imageModelPath.isEmpty() && o.embeddingModelPath.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "no model to serve: give --model, --image-model or --embedding-model, or install the "
                                                     "default models (installer/models.sh)");
    if (const QString reason = server::refusalReason(o); !reason.isEmpty())
        return makeError(ErrorCode::InvalidArgument, reason.toStdString());
    return o;
}

} // namespace

int runServe(int argc, char** argv, const QStringList& arguments, const engine::DeviceOptions& deviceOptions)
{
    if (arguments.contains("--help") || arguments.contains("-h")) {
        std::printf("%s", kUsage);
        return 0;
    }
    auto options = readOptions(arguments);
    if (!options) {
        std::fprintf(stderr, "atelier serve: %s\n\n%s", options.error().message.c_str(), kUsage); // the usage names --api-key
        return 2;
    }
    QCoreApplication app(argc, argv);
    engine::ComputeEngine engine;
    server::OpenAiServer api(engine);
    int status = 0;
    QObject::connect(&engine, &engine::ComputeEngine::deviceFailed, &app, [&](const QString& message) {
        std::fprintf(stderr, "atelier serve: no GPU: %s\n", qPrintable(message));
        status = 1;
        app.quit();
    });
    QObject::connect(&api, &server::OpenAiServer::requestAnswered, &app,
                     [](const QString& method, const QString& path, int code) {
                         std::fprintf(stderr, "%s %s %d\n", qPrintable(method), qPrintable(path), code);
                     });
    engine.start(deviceOptions);
    if (const Status started = api.start(options.value()); !started) {
        std::fprintf(stderr, "atelier serve: %s\n", started.error().message.c_str());
        return 1;
    }
    const server::ServerOptions& o = api.options();
    std::printf("Serving %s\n", qPrintable(api.baseUrl()));
    if (!o.chatModelPath.isEmpty())
        std::printf("  chat model:  %s (%s)\n", qPrintable(server::modelId(o.chatModelPath)), qPrintable(o.chatModelPath));
    if (!o.imageModelPath.isEmpty())
        std::printf("  image model: %s (%s)\n", qPrintable(server::modelId(o.imageModelPath)), qPrintable(o.imageModelPath));
    if (!o.embeddingModelPath.isEmpty())
        std::printf("  embedding model: %s (%s)\n", qPrintable(server::modelId(o.embeddingModelPath)),
                    qPrintable(o.embeddingModelPath));
    std::fflush(stdout);
    const int code = app.exec();
    return status ? status : code;
}

} // namespace atelier::app

// ChatSettings and MessageStats as the JSON kept in the database: a field that is missing or of
// the wrong type keeps its default, so older rows and hand-edited files still load.

#include "store/chat_store.h"

#include <QJsonArray>
#include <QJsonValue>

#include <algorithm>

namespace atelier::store {

namespace {

void read(const QJsonObject& json, const char* key, QString& field)
{
    if (const QJsonValue value = json.value(QLatin1String(key)); value.isString())
        field = value.toString();
}

void read(const QJsonObject& json, const char* key, double& field)
{
    if (const QJsonValue value = json.value(QLatin1String(key)); value.isDouble())
        field = value.toDouble();
}

void read(const QJsonObject& json, const char* key, int& field)
{
    field = json.value(QLatin1String(key)).toInt(field); // the default unless a whole number
}

void read(const QJsonObject& json, const char* key, qint64& field)
{
    field = json.value(QLatin1String(key)).toInteger(field);
}

void read(const QJsonObject& json, const char* key, bool& field)
{
    field = json.value(QLatin1String(key)).toBool(field);
}

} // namespace

QJsonObject ChatSettings::toJson() const
{
    return {
        {"modelPath", modelPath},
        {"systemPrompt", systemPrompt},
        {"temperature", temperature},
        {"topK", topK},
        {"topP", topP},
        {"minP", minP},
        {"repeatPenalty", repeatPenalty},
        {"repeatLastN", repeatLastN},
        {"maxTokens", maxTokens},
        {"seed", seed},
        {"contextLength", contextLength},
        {"documents", QJsonArray::fromStringList(documents)},
        {"documentSources", documentSources},
        {"loras", [this] {
             QJsonArray array;
             for (const LoraChoice& lora : loras)
                 array.append(QJsonObject{{"path", lora.path}, {"scale", lora.scale}});
             return array;
         }()},
    };
}

ChatSettings ChatSettings::fromJson(const QJsonObject& json)
{
    ChatSettings settings;
    read(json, "modelPath", settings.modelPath);
    read(json, "systemPrompt", settings.systemPrompt);
    read(json, "temperature", settings.temperature);
    read(json, "topK", settings.topK);
    read(json, "topP", settings.topP);
    read(json, "minP", settings.minP);
    read(json, "repeatPenalty", settings.repeatPenalty);
    read(json, "repeatLastN", settings.repeatLastN);
    read(json, "maxTokens", settings.maxTokens);
    read(json, "seed", settings.seed);
    read(json, "contextLength", settings.contextLength);
    read(json, "documentSources", settings.documentSources);
    settings.documentSources = std::clamp(settings.documentSources, 1, kMostDocumentSources);
    for (const QJsonValue& name : json.value(QLatin1String("documents")).toArray())
        if (name.isString())
            settings.documents << name.toString();
    for (const QJsonValue& value : json.value(QLatin1String("loras")).toArray()) {
        LoraChoice lora;
        read(value.toObject(), "path", lora.path);
        read(value.toObject(), "scale", lora.scale);
        if (!lora.path.isEmpty())
            settings.loras << lora;
    }
    return settings;
}

QJsonObject MessageStats::toJson() const
{
    return {
        {"promptTokens", promptTokens},
        {"generatedTokens", generatedTokens},
        {"tokensPerSecond", tokensPerSecond},
        {"firstTokenSeconds", firstTokenSeconds},
        {"droppedMessages", droppedMessages},
        {"stopped", stopped},
        {"model", model},
    };
}

MessageStats MessageStats::fromJson(const QJsonObject& json)
{
    MessageStats stats;
    read(json, "promptTokens", stats.promptTokens);
    read(json, "generatedTokens", stats.generatedTokens);
    read(json, "tokensPerSecond", stats.tokensPerSecond);
    read(json, "firstTokenSeconds", stats.firstTokenSeconds);
    read(json, "droppedMessages", stats.droppedMessages);
    read(json, "stopped", stats.stopped);
    read(json, "model", stats.model);
    return stats;
}

} // namespace atelier::store

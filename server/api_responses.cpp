#include "server/api_responses.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>

namespace atelier::server {

QJsonObject usageJson(int promptTokens, int completionTokens)
{
    return {{"prompt_tokens", promptTokens},
            {"completion_tokens", completionTokens},
            {"total_tokens", promptTokens + completionTokens}};
}

QJsonObject textAnswerJson(const AnswerHeader& header, const TextAnswer& answer)
{
    QJsonObject choice{{"index", 0}, {"finish_reason", answer.finishReason}, {"logprobs", QJsonValue::Null}};
    if (header.chat)
        choice["message"] = QJsonObject{{"role", "assistant"}, {"content", answer.text}};
    else
        choice["text"] = answer.text;
    return {{"id", header.id},
            {"object", header.chat ? "chat.completion" : "text_completion"},
            {"created", header.created},
            {"model", header.model},
            {"choices", QJsonArray{choice}},
            {"usage", usageJson(answer.promptTokens, answer.completionTokens)}};
}

QJsonObject textChunkJson(const AnswerHeader& header, const QString& text, const QString& finishReason, bool withRole)
{
    QJsonObject choice{{"index", 0},
                       {"finish_reason", finishReason.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(finishReason)},
                       {"logprobs", QJsonValue::Null}};
    if (header.chat) {
        QJsonObject delta;
        if (withRole)
            delta["role"] = "assistant";
        if (!text.isEmpty() || withRole)
            delta["content"] = text;
        choice["delta"] = delta;
    } else {
        choice["text"] = text;
    }
    return {{"id", header.id},
            {"object", header.chat ? "chat.completion.chunk" : "text_completion"},
            {"created", header.created},
            {"model", header.model},
            {"choices", QJsonArray{choice}}};
}

QByteArray serverSentEvent(const QJsonObject& data)
{
    return serverSentEvent(QJsonDocument(data).toJson(QJsonDocument::Compact));
}

QByteArray serverSentEvent(const QByteArray& data)
{
    return "data: " + data + "\n\n";
}

QJsonObject modelJson(const QString& id, const QString& kind, qint64 created)
{
    return {{"id", id}, {"object", "model"}, {"created", created}, {"owned_by", "atelier"}, {"kind", kind}};
}

QJsonObject modelListJson(const QStringList& chatModels, const QStringList& imageModels, qint64 created,
                          const QStringList& embeddingModels)
{
    QJsonArray data;
    for (const QString& id : chatModels)
        data.append(modelJson(id, "chat", created));
    for (const QString& id : imageModels)
        data.append(modelJson(id, "image", created));
    for (const QString& id : embeddingModels)
        data.append(modelJson(id, "embedding", created));
    return {{"object", "list"}, {"data", data}};
}

QJsonObject imagesJson(const ImagesAnswer& answer, qint64 created)
{
    QJsonArray data;
    for (qsizetype i = 0; i < answer.pngs.size(); ++i)
        data.append(QJsonObject{{"b64_json", QString::fromLatin1(answer.pngs[i].toBase64())},
                                {"seed", qint64(answer.seeds.value(i))}});
    return {{"created", created}, {"data", data}};
}

QJsonObject embeddingsJson(const EmbeddingAnswer& answer, const QString& model, bool base64)
{
    QJsonArray data;
    for (size_t i = 0; i < answer.vectors.size(); ++i) {
        const std::vector<float>& v = answer.vectors[i];
        QJsonValue embedding;
        if (base64) {
            QByteArray bytes(qsizetype(v.size() * sizeof(float)), Qt::Uninitialized);
            for (size_t j = 0; j < v.size(); ++j)
                qToLittleEndian(v[j], bytes.data() + j * sizeof(float));
            embedding = QString::fromLatin1(bytes.toBase64());
        } else {
            QJsonArray values;
            for (float x : v)
                values.append(double(x));
            embedding = values;
        }
        data.append(QJsonObject{{"object", "embedding"}, {"index", qint64(i)}, {"embedding", embedding}});
    }
    return {{"object", "list"},
            {"data", data},
            {"model", model},
            {"usage", QJsonObject{{"prompt_tokens", answer.promptTokens}, {"total_tokens", answer.promptTokens}}}};
}

} // namespace atelier::server

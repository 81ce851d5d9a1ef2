#pragma once
// The JSON Atelier answers with, in the shapes OpenAI's API documents: chat.completion and
// chat.completion.chunk, text_completion, the model list, image results and embeddings.

#include "server/embedding_job.h"
#include "server/image_job.h"
#include "server/text_job.h"

#include <QByteArray>
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace atelier::server {

// What every answer to one request repeats: its id ("chatcmpl-..." / "cmpl-..."), time and model.
struct AnswerHeader {
    QString id;
    qint64 created = 0; // seconds since the epoch
    QString model;
    bool chat = true;
};

QJsonObject usageJson(int promptTokens, int completionTokens);
// A whole, non-streamed answer.
QJsonObject textAnswerJson(const AnswerHeader& header, const TextAnswer& answer);
// One streamed piece: the text so far is delta content (chat) or text (completion); the last
// piece has no text and a finish reason. chat.completion chunks start with the assistant role.
QJsonObject textChunkJson(const AnswerHeader& header, const QString& text, const QString& finishReason = {},
                          bool withRole = false);
// `data: {...}\n\n`
QByteArray serverSentEvent(const QJsonObject& data);
QByteArray serverSentEvent(const QByteArray& data);

// GET /v1/models: each id with `kind` ("chat", "image" or "embedding", Atelier's own field).
QJsonObject modelListJson(const QStringList& chatModels, const QStringList& imageModels, qint64 created,
                          const QStringList& embeddingModels = {});
QJsonObject modelJson(const QString& id, const QString& kind, qint64 created);
QJsonObject imagesJson(const ImagesAnswer& answer, qint64 created);
// {"object": "list", "data": [{"object": "embedding", "index", "embedding"}], "model", "usage"}; with
// `base64` each embedding is its little-endian float32 bytes in base64, as OpenAI sends them.
QJsonObject embeddingsJson(const EmbeddingAnswer& answer, const QString& model, bool base64);

} // namespace atelier::server

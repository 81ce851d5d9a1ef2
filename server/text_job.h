#pragma once
// The compute job behind /v1/chat/completions and /v1/completions. It answers with the window's
// loaded model when that is the served file (llm/chat_resident.h), else keeps its own loaded on the
// compute thread as the resident "server.chat.model" (loading it first when it is not), answers a chat through the model's chat template (llm::ChatSession, which reuses the KV
// cache for the prefix the previous request left) or continues a plain prompt, and streams the
// answer as QString partials, cut before any stop string.

#include "server/api_requests.h"

#include "engine/job.h"

#include <memory>

#include <QMetaType>
#include <QString>

namespace atelier::server {

struct TextAnswer {
    QString text;
    QString finishReason; // "stop" (end of text or a stop string) or "length" (max_tokens, context)
    int promptTokens = 0;
    int completionTokens = 0;
};

class TextJob final : public engine::Job {
public:
    // `failure` hears why run() failed.
    TextJob(TextRequest request, QString modelPath, int contextLength, std::shared_ptr<JobFailure> failure);
    QString name() const override;
    Result<QVariant> run(engine::JobContext& ctx) override;

private:
    Result<QVariant> answer(engine::JobContext& ctx);
    void failedAt(const QString& field); // the request field the failure names

    TextRequest mRequest;
    QString mModelPath;
    int mContextLength;
    std::shared_ptr<JobFailure> mFailure;
};

} // namespace atelier::server

Q_DECLARE_METATYPE(atelier::server::TextAnswer)

#pragma once
// The compute job behind /v1/embeddings: the served embedding GGUF kept loaded on the compute
// thread (llm/embedding_resident.h, shared with the window's Documents), every input tokenized
// and refused when longer than the model's context, then all of them embedded in batched passes.

#include "server/api_requests.h"

#include "engine/job.h"

#include <memory>
#include <vector>

#include <QMetaType>
#include <QString>

namespace atelier::server {

struct EmbeddingAnswer {
    std::vector<std::vector<float>> vectors; // unit length, one per input, in order
    int promptTokens = 0;                    // every input's tokens, [CLS] and [SEP] included
};

class EmbeddingJob final : public engine::Job {
public:
    EmbeddingJob(EmbeddingRequest request, QString modelPath, std::shared_ptr<JobFailure> failure);
    QString name() const override { return QStringLiteral("API embeddings"); }
    Result<QVariant> run(engine::JobContext& ctx) override;

private:
    Result<QVariant> embed(engine::JobContext& ctx);

    EmbeddingRequest mRequest;
    QString mModelPath;
    std::shared_ptr<JobFailure> mFailure;
};

} // namespace atelier::server

Q_DECLARE_METATYPE(atelier::server::EmbeddingAnswer)

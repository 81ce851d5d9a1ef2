#include "server/embedding_job.h"

#include "llm/embedding_resident.h"

#include <cmath>

namespace atelier::server {

EmbeddingJob::EmbeddingJob(EmbeddingRequest request, QString modelPath, std::shared_ptr<JobFailure> failure)
    : mRequest(std::move(request)), mModelPath(std::move(modelPath)), mFailure(std::move(failure))
{
}

Result<QVariant> EmbeddingJob::run(engine::JobContext& ctx)
{
    auto result = embed(ctx);
    if (!result && mFailure)
        mFailure->set(result.error());
    return result;
}

Result<QVariant> EmbeddingJob::embed(engine::JobContext& ctx)
{
    if (ctx.cancelled())
        return makeError(ErrorCode::Cancelled, "cancelled");
    ATELIER_ASSIGN(llm::EmbeddingModel * model,
                   llm::residentEmbeddingModel(ctx.residents(), ctx.device(), mModelPath.toStdString()));
    if (mRequest.dimensions > model->dimension())
        return makeError(ErrorCode::InvalidArgument, "'dimensions' is " + std::to_string(mRequest.dimensions) +
                                                         " but this model's vectors have " +
                                                         std::to_string(model->dimension()));
    EmbeddingAnswer answer;
    std::vector<std::vector<int32_t>> ids;
    ids.reserve(mRequest.inputs.size());
    const int limit = model->config().contextLength;
    for (size_t i = 0; i < mRequest.inputs.size(); ++i) {
        ids.push_back(model->tokenizer().encode(mRequest.inputs[i], true, false));
        const int tokens = int(ids.back().size());
        // OpenAI refuses what does not fit rather than embedding a part of it.
        if (tokens > limit)
            return makeError(ErrorCode::InvalidArgument, "input " + std::to_string(i) + " has " + std::to_string(tokens) +
                                                             " tokens; this model takes at most " + std::to_string(limit));
        answer.promptTokens += tokens;
    }
    ATELIER_ASSIGN(answer.vectors, model->embedTokenLists(ids, true, &ctx.cancelFlag()));
    if (mRequest.dimensions > 0) { // the first values, at unit length again (Matryoshka models)
        for (std::vector<float>& v : answer.vectors) {
            v.resize(size_t(mRequest.dimensions));
            double length = 0;
            for (float x : v)
                length += double(x) * x;
            const double scale = length > 0 ? 1.0 / std::sqrt(length) : 1.0;
            for (float& x : v)
                x = float(x * scale);
        }
    }
    return QVariant::fromValue(answer);
}

} // namespace atelier::server

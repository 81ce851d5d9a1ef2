#include "llm/sampler.h"

#include <algorithm>
#include <cmath>

namespace atelier::llm {

Sampler::Sampler(const SamplingParams& params) : mParams(params), mRng(params.seed) {}

double Sampler::uniform() { return double(mRng() >> 11) * 0x1.0p-53; }

std::vector<int32_t> Sampler::penalised(std::span<const int32_t> history) const
{
    if (mParams.repeatPenalty == 1.0f || mParams.repeatLastN == 0)
        return {};
    const size_t n = mParams.repeatLastN < 0 ? history.size() : std::min(history.size(), size_t(mParams.repeatLastN));
    std::vector<int32_t> ids(history.end() - long(n), history.end());
    std::erase_if(ids, [](int32_t id) { return id < 0; }); // a picture's places (chat_session.h) are no tokens
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

void Sampler::applyRepeatPenalty(std::span<const int32_t> history)
{
    const std::vector<int32_t> ids = penalised(history);
    if (ids.empty())
        return;
    for (Candidate& c : mCandidates) {
        if (!std::binary_search(ids.begin(), ids.end(), c.id))
            continue;
        c.logit = c.logit > 0 ? c.logit / mParams.repeatPenalty : c.logit * mParams.repeatPenalty;
    }
}

int Sampler::candidatesNeeded(std::span<const int32_t> history, int limit) const
{
    if (mParams.temperature > 0.0f && mParams.topK <= 0)
        return 0;
    const std::vector<int32_t> ids = penalised(history);
    if (!ids.empty() && mParams.repeatPenalty < 1.0f)
        return 0; // a "penalty" below 1 raises tokens from anywhere in the row
    const size_t k = mParams.temperature <= 0.0f ? 1 : size_t(mParams.topK);
    const size_t needed = k + ids.size();
    return needed <= size_t(std::max(limit, 0)) ? int(needed) : 0;
}

Result<int32_t> Sampler::sample(std::span<const float> logits, std::span<const int32_t> history)
{
    if (logits.empty())
        return makeError(ErrorCode::InvalidArgument, "no logits to sample from");
    mCandidates.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) {
        if (std::isnan(logits[i]))
            return makeError(ErrorCode::InvalidArgument, "the model produced NaN logits");
        mCandidates[i] = {int32_t(i), logits[i]};
    }
    applyRepeatPenalty(history);
    return pick();
}

Result<int32_t> Sampler::sample(std::span<const Candidate> top, std::span<const int32_t> history)
{
    if (top.empty())
        return makeError(ErrorCode::InvalidArgument, "no logits to sample from");
    mCandidates.assign(top.begin(), top.end());
    applyRepeatPenalty(history);
    return pick();
}

Result<int32_t> Sampler::pick()
{
    auto byLogit = [](const Candidate& a, const Candidate& b) {
        return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
    };
    if (mParams.temperature <= 0.0f)
        return std::min_element(mCandidates.begin(), mCandidates.end(), byLogit)->id;

    // Top-k (sorted, most likely first).
    size_t keep = mCandidates.size();
    if (mParams.topK > 0 && size_t(mParams.topK) < keep)
        keep = size_t(mParams.topK);
    std::partial_sort(mCandidates.begin(), mCandidates.begin() + long(keep), mCandidates.end(), byLogit);
    mCandidates.resize(keep);

    // Probabilities at temperature 1 for the top-p and min-p cuts.
    auto softmax = [this](float temperature) {
        mProbabilities.resize(mCandidates.size());
        const double top = mCandidates.front().logit;
        double sum = 0;
        for (size_t i = 0; i < mCandidates.size(); ++i) {
            mProbabilities[i] = std::exp((double(mCandidates[i].logit) - top) / temperature);
            sum += mProbabilities[i];
        }
        for (double& p : mProbabilities)
            p /= sum;
    };
    softmax(1.0f);
    if (mParams.topP < 1.0f) {
        double cumulative = 0;
        size_t n = 0;
        while (n < mCandidates.size() && cumulative < mParams.topP)
            cumulative += mProbabilities[n++];
        mCandidates.resize(std::max<size_t>(n, 1));
    }
    if (mParams.minP > 0.0f) {
        const double threshold = mParams.minP * mProbabilities.front();
        size_t n = 1;
        while (n < mCandidates.size() && mProbabilities[n] >= threshold)
            ++n;
        mCandidates.resize(n);
    }

    softmax(mParams.temperature);
    double r = uniform();
    for (size_t i = 0; i < mCandidates.size(); ++i) {
        r -= mProbabilities[i];
        if (r < 0)
            return mCandidates[i].id;
    }
    return mCandidates.back().id; // rounding left a sliver of probability
}

} // namespace atelier::llm

#pragma once
// Picks the next token from a model's logits: repetition penalty, top-k, top-p, min-p, temperature,
// then a draw from a seeded generator (the order llama.cpp's default chain uses), or greedy at
// temperature 0. The same seed and inputs give the same tokens on every run.
//
// Sampling needs only the largest logits when top-k is on (greedy is top-1): candidatesNeeded()
// says how many, and sample() from that many candidates (chosen on the device, ops/top_logits.h)
// picks exactly the token it would pick from the whole row.

#include "core/result.h"
#include "ops/top_logits.h"

#include <cstdint>
#include <random>
#include <span>
#include <vector>

namespace atelier::llm {

struct SamplingParams {
    float temperature = 0.8f;   // <= 0: greedy
    int topK = 40;              // <= 0: all tokens
    float topP = 0.95f;         // 1: off
    float minP = 0.05f;         // 0: off; keeps tokens with p >= minP * p(most likely)
    float repeatPenalty = 1.0f; // 1: off (llama.cpp's default); divides positive and multiplies negative logits
    int repeatLastN = 64;       // how many recent tokens the penalty looks at
    uint64_t seed = 0;
};

class Sampler {
public:
    explicit Sampler(const SamplingParams& params);

    // history: the tokens so far (prompt and answer); only the last repeatLastN count.
    Result<int32_t> sample(std::span<const float> logits, std::span<const int32_t> history);

    using Candidate = ops::TopLogit; // a token id and its logit, as the device chooses them
    // How many of the largest logits sample() needs for `history`: top-k plus every distinct
    // token the repetition penalty lowers (each may drop out and let the next one in). 0 when it
    // needs the whole row (top-k off, a penalty below 1 that raises tokens, or more than `limit`).
    int candidatesNeeded(std::span<const int32_t> history, int limit) const;
    // `top`: at least candidatesNeeded() of the largest logits (or every logit of a smaller row),
    // most likely first, ties to the lower id.
    Result<int32_t> sample(std::span<const Candidate> top, std::span<const int32_t> history);
    const SamplingParams& params() const { return mParams; }

private:
    std::vector<int32_t> penalised(std::span<const int32_t> history) const; // distinct, ascending
    void applyRepeatPenalty(std::span<const int32_t> history);
    Result<int32_t> pick(); // from mCandidates, penalty applied
    double uniform(); // [0, 1), the same on every platform for a seed

    SamplingParams mParams;
    std::mt19937_64 mRng;
    std::vector<Candidate> mCandidates;
    std::vector<double> mProbabilities;
};

} // namespace atelier::llm

#pragma once
// The largest logits of one row chosen on the device: a sampler that keeps the top k tokens (and
// greedy decoding, k = 1) reads back a few hundred bytes per token instead of the whole
// vocabulary (1 MB for Gemma 3's 262144 tokens).
//
// topLogits() records three small passes (top_logits.comp): the maximum of each group of logits,
// a threshold (the k-th largest group maximum), and every logit at or above it, which holds the
// k largest and usually a few more. readTopLogits() returns them sorted, most likely first, ties
// by lower id (the order llm::Sampler uses), so `candidates[0..k)` equals a full sort's first k.

#include "core/result.h"
#include "ops/tensor.h"
#include "vk/command_batch.h"

#include <cstdint>
#include <vector>

namespace atelier::ops {

inline constexpr uint32_t kTopLogitsMaxK = 256;       // the most `atLeast` may ask for
inline constexpr uint32_t kTopLogitsCapacity = 2048;  // candidates the device list holds

// Device buffers for one row of `vocab` logits, made once and reused for every token.
struct TopLogitsWork {
    uint32_t vocab = 0;
    vk::Buffer maxima;   // f32 [groups], as many as the largest k makes
    vk::Buffer selected; // count, nans, threshold, pad, then kTopLogitsCapacity (id, logit) pairs
    vk::Buffer readback; // host-visible copy of `selected` where that is not mapped already

    static Result<TopLogitsWork> create(vk::Device& device, uint32_t vocab);
};

// logits: f32 [1, vocab] (or [vocab]); 1 <= atLeast <= kTopLogitsMaxK.
Status topLogits(vk::CommandBatch& batch, const Tensor& logits, uint32_t atLeast, TopLogitsWork& work);

struct TopLogit {
    int32_t id;
    float logit;
};
struct TopLogits {
    std::vector<TopLogit> candidates; // sorted, most likely first; at least `atLeast` unless vocab is smaller
    uint32_t nans = 0;                // NaN logits in the row (their tokens are not candidates)
    bool overflowed = false;          // more logits tied at the threshold than the list holds:
                                      // candidates is empty, read the whole row instead
};

// After the batch that recorded topLogits() has run.
Result<TopLogits> readTopLogits(const TopLogitsWork& work);

} // namespace atelier::ops

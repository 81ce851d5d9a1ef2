#pragma once
// A prompt of any length as CLIP text-encoder windows, as AUTOMATIC1111 builds them
// (modules/sd_hijack_clip.py, tokenize_line): each weighted run is tokenized on its own, tokens fill
// chunks of 75 between a start and an end token, padded to 77. When a chunk is full and a comma is
// among its last 20 tokens, the tokens after the comma move to the next chunk; BREAK starts a new chunk
// (an empty one if the current is empty). Every token carries its run's weight; start, end and
// padding weigh 1. The encoder scales each output vector by its weight and then restores the mean.

#include "diffusion/clip_tokenizer.h"
#include "diffusion/prompt_weights.h"

#include <array>
#include <cstdint>
#include <vector>

namespace atelier::diffusion {

constexpr int kChunkTokens = 77;    // CLIP's context
constexpr int kChunkPromptTokens = 75; // between the start and end tokens
constexpr int32_t kOpenClipPad = 0; // "!": SD 2.x and SDXL's OpenCLIP encoders pad with it

struct PromptChunk {
    std::array<int32_t, kChunkTokens> ids{};   // start, prompt tokens, end, padding
    std::array<float, kChunkTokens> weights{}; // A1111's multiplier per token
};

struct ChunkedPrompt {
    std::vector<PromptChunk> chunks; // at least one
    int tokenCount = 0; // A1111's count for the UI: 75 per chunk before the last, plus the last's tokens
};

struct ChunkOptions {
    // After the first end token: SD 1.x (and SDXL's CLIP-L) repeat the end token, SD 2.x's OpenCLIP
    // pads with kOpenClipPad (diffusers' pad_token "!", A1111's id_pad).
    int32_t padId = ClipTokenizer::kEndOfText;
    int commaBacktrack = 20; // A1111's comma_padding_backtrack; 0 never moves tokens after a comma
};

ChunkedPrompt chunkPrompt(const ClipTokenizer& tokenizer, const std::vector<PromptRun>& runs,
                          const ChunkOptions& options = {});
// parsePromptWeights, then the above.
ChunkedPrompt chunkPrompt(const ClipTokenizer& tokenizer, const QString& prompt, const ChunkOptions& options = {});

// The chunk a shorter prompt of a batch gets so that every prompt has as many (A1111's empty_chunk).
PromptChunk emptyPromptChunk(const ChunkOptions& options = {});

} // namespace atelier::diffusion

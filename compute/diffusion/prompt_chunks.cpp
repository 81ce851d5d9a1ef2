#include "diffusion/prompt_chunks.h"

#include <algorithm>

namespace atelier::diffusion {

namespace {

// [start] + ids + [end] * (76 - ids), weights 1 but the ids'; with another pad id than the end token,
// everything after the first end token becomes padding (A1111 pads after the first one, even an end
// token written in the prompt).
PromptChunk makeChunk(const std::vector<int32_t>& ids, const std::vector<double>& weights,
                      const ChunkOptions& options)
{
    PromptChunk chunk;
    chunk.ids.fill(ClipTokenizer::kEndOfText);
    chunk.weights.fill(1.0f);
    chunk.ids[0] = ClipTokenizer::kStartOfText;
    std::copy(ids.begin(), ids.end(), chunk.ids.begin() + 1);
    std::transform(weights.begin(), weights.end(), chunk.weights.begin() + 1, [](double w) { return float(w); });
    if (options.padId != ClipTokenizer::kEndOfText) {
        const auto end = std::find(chunk.ids.begin(), chunk.ids.end(), ClipTokenizer::kEndOfText);
        std::fill(end + 1, chunk.ids.end(), options.padId);
    }
    return chunk;
}

class ChunkBuilder {
public:
    explicit ChunkBuilder(const ChunkOptions& options) : mOptions(options) {}

    void add(int32_t id, double weight, int32_t comma)
    {
        const int size = int(mIds.size());
        if (id == comma) {
            mLastComma = size;
        } else if (mOptions.commaBacktrack != 0 && size == kChunkPromptTokens && mLastComma != -1 &&
                   size - mLastComma <= mOptions.commaBacktrack) {
            // The tokens after the comma start the next chunk rather than being cut apart.
            const std::vector<int32_t> ids(mIds.begin() + mLastComma + 1, mIds.end());
            const std::vector<double> weights(mWeights.begin() + mLastComma + 1, mWeights.end());
            mIds.resize(size_t(mLastComma + 1));
            mWeights.resize(size_t(mLastComma + 1));
            finish(false);
            mIds = ids;
            mWeights = weights;
        }
        if (int(mIds.size()) == kChunkPromptTokens)
            finish(false);
        mIds.push_back(id);
        mWeights.push_back(weight);
    }

    // last: only the tokens count, not the padding after them.
    void finish(bool last)
    {
        mResult.tokenCount += last ? int(mIds.size()) : kChunkPromptTokens;
        mResult.chunks.push_back(makeChunk(mIds, mWeights, mOptions));
        mIds.clear();
        mWeights.clear();
        mLastComma = -1;
    }

    bool empty() const { return mIds.empty(); }
    ChunkedPrompt take() { return std::move(mResult); }
    const ChunkedPrompt& result() const { return mResult; }

private:
    const ChunkOptions& mOptions;
    std::vector<int32_t> mIds;    // the chunk being filled, at most 75
    std::vector<double> mWeights;
    int mLastComma = -1;          // index in mIds of its last comma
    ChunkedPrompt mResult;
};

} // namespace

PromptChunk emptyPromptChunk(const ChunkOptions& options)
{
    return makeChunk({}, {}, options);
}

ChunkedPrompt chunkPrompt(const ClipTokenizer& tokenizer, const std::vector<PromptRun>& runs,
                          const ChunkOptions& options)
{
    ChunkBuilder builder(options);
    for (const PromptRun& run : runs) {
        if (run.isBreak()) {
            builder.finish(false);
            continue;
        }
        for (const int32_t id : tokenizer.encode(run.text))
            builder.add(id, run.weight, tokenizer.comma());
    }
    if (!builder.empty() || builder.result().chunks.empty())
        builder.finish(true);
    return builder.take();
}

ChunkedPrompt chunkPrompt(const ClipTokenizer& tokenizer, const QString& prompt, const ChunkOptions& options)
{
    return chunkPrompt(tokenizer, parsePromptWeights(prompt), options);
}

} // namespace atelier::diffusion

// SentencePiece-style encoding: merge adjacent pieces whose concatenation is the vocabulary token
// with the highest score; characters no token covers fall back to byte tokens.

#include "llm/pair_merge.h"
#include "llm/tokenizer.h"

namespace atelier::llm {

void Tokenizer::encodeSentencePiece(std::string_view text, std::vector<int32_t>& out) const
{
    const auto score = [this](std::string_view left, std::string_view right) -> std::optional<double> {
        const int32_t id = mVocab.find(std::string_view(left.data(), left.size() + right.size()));
        if (id < 0)
            return std::nullopt;
        return mVocab.scores[size_t(id)];
    };
    for (std::string_view piece : mergePairs(text, score)) {
        const int32_t id = mVocab.find(piece);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        for (unsigned char c : piece)
            out.push_back(mByteTokens[c]);
    }
}

} // namespace atelier::llm

#pragma once
// Text <-> token ids from the GGUF vocabulary alone, matching llama.cpp: special and user-defined
// tokens are split out first (longest first), the rest goes through SentencePiece merges, for
// "gpt2" vocabularies a pre-tokenizer and byte-level BPE merges, for "bert" ones WordPiece.

#include "core/result.h"
#include "llm/pretokenizer.h"
#include "llm/vocab.h"

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::llm {

class Tokenizer {
public:
    static Result<std::unique_ptr<Tokenizer>> create(Vocab vocab);

    // addSpecial: BOS/EOS as the model asks. parseSpecial: control tokens written in the text
    // ("<start_of_turn>") become their ids, as for a rendered chat template; user text should
    // not be parsed for them.
    std::vector<int32_t> encode(std::string_view text, bool addSpecial, bool parseSpecial) const;
    // The bytes a token stands for; control tokens are empty unless `special`.
    std::string piece(int32_t id, bool special = false) const;
    std::string decode(const std::vector<int32_t>& ids, bool special = false) const;

    const Vocab& vocab() const { return mVocab; }
    bool isEndOfGeneration(int32_t id) const;

private:
    struct Fragment {
        std::string_view text; // raw text when id < 0
        int32_t id = -1;
    };
    explicit Tokenizer(Vocab vocab);
    std::vector<Fragment> partition(std::string_view text, bool parseSpecial) const;
    void encodeSentencePiece(std::string_view text, std::vector<int32_t>& out) const;
    Result<void> prepareBpe();                                   // bpe.cpp
    void encodeBpe(std::string_view text, std::vector<int32_t>& out) const;
    void encodeBpeWord(std::string_view word, std::vector<int32_t>& out) const;
    std::string bpePiece(const std::string& text) const;
    void encodeWordPiece(std::string_view text, std::vector<int32_t>& out) const; // wordpiece.cpp

    Vocab mVocab;
    std::vector<int32_t> mSpecialByLength; // control, user-defined and unknown ids, longest text first
    std::array<int32_t, 256> mByteTokens{};  // byte fallback: "<0xAB>" ids, or BPE's one-byte tokens
    // Byte-level BPE only.
    TokenIds mMergeRanks;                    // "left right" -> rank, lower merges first
    PreTokenizer mPreTokenizer = PreTokenizer::Gpt2;
    bool mIgnoreMerges = false;              // a whole pre-token in the vocabulary is one token
    size_t mLongestToken = 0;                // WordPiece: bytes of the longest token text
};

// Turns a stream of token pieces into valid UTF-8: a character split across tokens is held back
// until it is whole; bytes that can never form one become U+FFFD.
class Utf8Stream {
public:
    std::string push(std::string_view bytes);
    std::string flush();

private:
    std::string mPending;
};

} // namespace atelier::llm

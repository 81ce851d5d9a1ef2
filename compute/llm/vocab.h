#pragma once
// A model's vocabulary as GGUF stores it (tokenizer.ggml.*): token texts, scores, types, merges
// and the special ids. Everything the tokenizer needs, nothing from a Python tokenizer.

#include "core/result.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace atelier::io {
class GgufFile;
}

namespace atelier::llm {

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t { Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 };

enum class TokenizerKind {
    SentencePiece,    // "llama": scores, byte fallback, U+2581 for spaces (Llama 2, Gemma, Mistral)
    BytePairEncoding, // "gpt2": ranked merges over byte-level text (Llama 3, Qwen2)
    WordPiece,        // "bert": longest-match pieces of lower-cased, accent-stripped words (BERT, nomic-bert)
};

// Lookups by std::string_view without building a std::string.
struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
using TokenIds = std::unordered_map<std::string, int32_t, TextHash, std::equal_to<>>;

struct Vocab {
    TokenizerKind kind = TokenizerKind::SentencePiece;
    std::string pre;                       // tokenizer.ggml.pre: the BPE pre-tokenizer's name
    std::vector<std::string> tokens;       // [vocab] token text (SentencePiece: spaces as U+2581)
    std::vector<float> scores;             // [vocab] merge priority for SentencePiece
    std::vector<TokenType> types;          // [vocab]
    std::vector<std::string> merges;       // BPE: "left right", in rank order
    TokenIds ids;                          // token text -> id
    int32_t bos = -1, eos = -1, unk = -1, pad = -1;
    int32_t sep = -1;                      // WordPiece: [SEP], which ends every encoded text
    bool lowercase = true, stripAccents = true; // WordPiece's normalizer (tokenizer.ggml.normalizer.*)
    bool addBos = false, addEos = false;
    bool addSpacePrefix = false;           // SentencePiece: a space before the first word
    std::vector<int32_t> endOfGeneration;  // eos plus end-of-turn tokens: generation stops on any

    size_t size() const { return tokens.size(); }
    int32_t find(std::string_view text) const;
    bool isControl(int32_t id) const { return types[size_t(id)] == TokenType::Control; }

    static Result<Vocab> fromGguf(const io::GgufFile& file);
};

} // namespace atelier::llm

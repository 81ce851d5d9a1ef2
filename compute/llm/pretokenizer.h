#pragma once
// Byte-level BPE pre-tokenizers: split text into the words BPE merges within, as the regexes in
// the models' tokenizer.json files do, written out by hand instead of run through a regex engine.

#include <string_view>
#include <vector>

namespace atelier::llm {

enum class PreTokenizer {
    Gpt2,   // 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
    Llama3, // (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|
            //   \s*[\r\n]+|\s+(?!\S)|\s+
    Qwen2,  // as Llama3 but \p{N} one digit at a time
};

// The pre-tokenizer for tokenizer.ggml.pre; a missing or unknown name falls back to GPT-2's (logged).
PreTokenizer preTokenizerFor(std::string_view pre);

// Whole-pre-token lookups first, as llama.cpp's ignore_merges (Llama 3's tokenizer.json sets it).
bool ignoresMerges(std::string_view pre);

// The pieces of UTF-8 text, in order, covering it exactly. Invalid bytes stand alone as symbols.
std::vector<std::string_view> preTokenize(std::string_view text, PreTokenizer kind);

} // namespace atelier::llm

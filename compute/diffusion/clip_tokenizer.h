#pragma once
// CLIP's byte-level BPE, as Stable Diffusion's text encoders read a prompt: SD 1.x (OpenAI CLIP
// ViT-L/14) and SD 2.x (OpenCLIP ViT-H/14) share its 49,408-token vocabulary.
//
// Matches Hugging Face's CLIPTokenizer of transformers 5 (transformers 4's CLIPTokenizerFast differs
// only in also taking "<|EndOfText|>" in other cases for the special token). "<|startoftext|>" and
// "<|endoftext|>" written exactly are split out first; the rest is NFC-normalized, each run of Unicode
// white space becomes one space, and it is lower-cased character by character (so no final sigma);
// then the pre-tokenizer regex
//   <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// cuts words (white space is dropped; a special token's literal is cut again into "<|", its name and
// "|>" by the byte-level step), each word's UTF-8 bytes are written in GPT-2's byte alphabet with
// "</w>" on the last one, and merged by rank.
// Not matched: ftfy.fix_text and html.unescape (OpenAI's and open_clip's tokenizers, transformers 4's
// slow one with ftfy installed, as in A1111), nor transformers 4's slow tokenizer without ftfy (its
// BasicTokenizer drops control characters and splits CJK ideographs into words); all agree on
// ordinary prompts. Character classes come from Qt's Unicode tables (14.0 in Qt 6.4): every code point
// up to U+2FFFF that Unicode 14 assigns tokenizes as transformers 5.23 does; later ones may not.

#include "core/result.h"
#include "llm/vocab.h"

#include <QString>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace atelier::diffusion {

class ClipTokenizer {
public:
    static constexpr int32_t kVocabSize = 49408;
    static constexpr int32_t kMergeCount = 48894; // merges CLIP uses from its merges file
    static constexpr int32_t kStartOfText = 49406;
    static constexpr int32_t kEndOfText = 49407;

    // The merges text of bpe_simple_vocab_16e6.txt (decompressed) or of a Hugging Face merges.txt: a
    // "#version" header line, then "left right" per line in rank order; the first 48,894 are used and
    // the vocabulary follows from them as OpenAI builds it.
    static Result<ClipTokenizer> fromMerges(std::string_view text);
    static Result<ClipTokenizer> fromFile(const QString& path);
    // The merges compiled into the app (resources/clip, cmake/ClipVocab.cmake).
    static Result<ClipTokenizer> builtIn();

    // Token ids of the text, without start or end tokens.
    std::vector<int32_t> encode(const QString& text) const;
    // A token's text in the byte alphabet ("cat</w>"); empty for an id out of range.
    const std::string& token(int32_t id) const;
    // The id of a token text, or -1.
    int32_t find(std::string_view token) const;
    int32_t comma() const { return mComma; } // ",</w>", where A1111 prefers to cut long prompts

private:
    void encodeWord(std::string_view word, std::vector<int32_t>& out) const;

    std::vector<std::string> mTokens; // [49408] token text by id
    llm::TokenIds mIds;               // token text -> id
    llm::TokenIds mMergeRanks;        // "left right" -> rank, lower merges first
    int32_t mComma = -1;
};

// NFC, white space collapsed, lower-cased: the text CLIP's pre-tokenizer sees (clip_tokenizer_text.cpp).
QString normalizeClipText(const QString& text);
// The words of normalized text, each as UTF-8, in order.
std::vector<std::string> clipWords(const QString& normalized);

// The header and merges of resources/clip/bpe_simple_vocab_16e6.txt.gz, defined in the source that
// cmake/ClipVocab.cmake generates.
std::string_view builtInClipMerges();

} // namespace atelier::diffusion

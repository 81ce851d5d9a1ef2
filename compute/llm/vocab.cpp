#include "llm/vocab.h"

#include "io/gguf.h"

#include <algorithm>

namespace atelier::llm {

int32_t Vocab::find(std::string_view text) const
{
    auto it = ids.find(text);
    return it == ids.end() ? -1 : it->second;
}

namespace {

Error vocabError(const std::string& what) { return makeError(ErrorCode::Format, "model vocabulary: " + what); }

// An optional integer key: -1 when absent; an error when present but not a valid token id.
Result<int32_t> optionalId(const io::GgufFile& f, const char* key, size_t vocabSize)
{
    if (!f.find(key))
        return -1;
    ATELIER_ASSIGN(const uint32_t id, f.u32(key));
    if (id >= vocabSize)
        return vocabError(std::string(key) + " = " + std::to_string(id) + " is outside the vocabulary of " +
                          std::to_string(vocabSize));
    return int32_t(id);
}

bool optionalBool(const io::GgufFile& f, const char* key, bool fallback)
{
    auto v = f.boolean(key);
    return v.ok() ? v.value() : fallback;
}

} // namespace

Result<Vocab> Vocab::fromGguf(const io::GgufFile& f)
{
    Vocab v;
    ATELIER_ASSIGN(const std::string model, f.string("tokenizer.ggml.model"));
    if (model == "llama")
        v.kind = TokenizerKind::SentencePiece;
    else if (model == "gpt2")
        v.kind = TokenizerKind::BytePairEncoding;
    else if (model == "bert")
        v.kind = TokenizerKind::WordPiece;
    else
        return makeError(ErrorCode::Unsupported, "tokenizer '" + model + "' is not supported (only llama, gpt2 and bert)");
    if (f.find("tokenizer.ggml.pre")) {
        ATELIER_ASSIGN(v.pre, f.string("tokenizer.ggml.pre"));
    }

    ATELIER_ASSIGN(v.tokens, f.stringArray("tokenizer.ggml.tokens"));
    const size_t n = v.tokens.size();
    if (n == 0)
        return vocabError("no tokens");
    if (f.find("tokenizer.ggml.scores")) {
        ATELIER_ASSIGN(v.scores, f.f32Array("tokenizer.ggml.scores"));
    }
    if (v.scores.empty())
        v.scores.assign(n, 0.0f);
    std::vector<int32_t> types;
    if (f.find("tokenizer.ggml.token_type")) {
        ATELIER_ASSIGN(types, f.i32Array("tokenizer.ggml.token_type"));
    }
    if (types.empty())
        types.assign(n, int32_t(TokenType::Normal));
    if (v.scores.size() != n || types.size() != n)
        return vocabError("scores or token types do not have one entry per token");
    v.types.reserve(n);
    for (int32_t t : types)
        v.types.push_back(t >= 0 && t <= 6 ? TokenType(t) : TokenType::Normal);
    if (v.kind == TokenizerKind::BytePairEncoding) {
        ATELIER_ASSIGN(v.merges, f.stringArray("tokenizer.ggml.merges"));
    }

    v.ids.reserve(n);
    for (size_t i = 0; i < n; ++i)
        v.ids.emplace(v.tokens[i], int32_t(i)); // the first of duplicate texts wins

    ATELIER_ASSIGN(v.bos, optionalId(f, "tokenizer.ggml.bos_token_id", n));
    ATELIER_ASSIGN(v.eos, optionalId(f, "tokenizer.ggml.eos_token_id", n));
    ATELIER_ASSIGN(v.unk, optionalId(f, "tokenizer.ggml.unknown_token_id", n));
    ATELIER_ASSIGN(v.pad, optionalId(f, "tokenizer.ggml.padding_token_id", n));
    ATELIER_ASSIGN(const int32_t eot, optionalId(f, "tokenizer.ggml.eot_token_id", n));
    if (v.kind == TokenizerKind::WordPiece) {
        // As llama.cpp: [CLS] text [SEP] always, BERT's usual ids where the file names none.
        ATELIER_ASSIGN(v.sep, optionalId(f, "tokenizer.ggml.seperator_token_id", n)); // sic, as GGUF spells it
        for (auto [id, fallback] : {std::pair{&v.bos, 101}, {&v.sep, 102}, {&v.unk, 100}})
            if (*id < 0 && size_t(fallback) < n)
                *id = fallback;
        if (v.bos < 0 || v.sep < 0 || v.unk < 0)
            return vocabError("a WordPiece vocabulary needs [CLS], [SEP] and [UNK] tokens");
        v.lowercase = optionalBool(f, "tokenizer.ggml.normalizer.lowercase", true);
        v.stripAccents = optionalBool(f, "tokenizer.ggml.normalizer.strip_accents", v.lowercase);
    }
    v.addBos = optionalBool(f, "tokenizer.ggml.add_bos_token",
                            v.kind == TokenizerKind::SentencePiece || v.kind == TokenizerKind::WordPiece);
    v.addEos = optionalBool(f, "tokenizer.ggml.add_eos_token", false);
    v.addSpacePrefix = optionalBool(f, "tokenizer.ggml.add_space_prefix", v.kind == TokenizerKind::SentencePiece);
    if (v.addBos && v.bos < 0)
        return vocabError("the model asks for a BOS token but names none");

    // Generation ends on EOS and on the end-of-turn markers chat templates use.
    for (int32_t id : {v.eos, eot})
        if (id >= 0)
            v.endOfGeneration.push_back(id);
    for (const char* marker : {"<end_of_turn>", "<|im_end|>", "<|eot_id|>", "<|end|>", "<|endoftext|>", "</s>"}) {
        const int32_t id = v.find(marker);
        if (id >= 0 && v.types[size_t(id)] == TokenType::Control &&
            std::find(v.endOfGeneration.begin(), v.endOfGeneration.end(), id) == v.endOfGeneration.end())
            v.endOfGeneration.push_back(id);
    }
    return v;
}

} // namespace atelier::llm

#include "llm/tokenizer.h"

#include <algorithm>
#include <bitset>
#include <cstdio>

namespace atelier::llm {

namespace {

constexpr std::string_view kSpaceMarker = "\xE2\x96\x81"; // U+2581, SentencePiece's visible space

bool isSpecialType(TokenType t)
{
    return t == TokenType::Control || t == TokenType::UserDefined || t == TokenType::Unknown;
}

} // namespace

Tokenizer::Tokenizer(Vocab vocab) : mVocab(std::move(vocab)) {}

Result<std::unique_ptr<Tokenizer>> Tokenizer::create(Vocab vocab)
{
    std::unique_ptr<Tokenizer> t(new Tokenizer(std::move(vocab)));
    const Vocab& v = t->mVocab;
    for (size_t i = 0; i < v.size(); ++i) {
        if (isSpecialType(v.types[i]) && !v.tokens[i].empty())
            t->mSpecialByLength.push_back(int32_t(i));
    }
    std::stable_sort(t->mSpecialByLength.begin(), t->mSpecialByLength.end(),
                     [&v](int32_t a, int32_t b) { return v.tokens[size_t(a)].size() > v.tokens[size_t(b)].size(); });
    if (v.kind == TokenizerKind::BytePairEncoding) {
        ATELIER_TRY(t->prepareBpe());
        return t;
    }
    if (v.kind == TokenizerKind::WordPiece) {
        for (const std::string& token : v.tokens)
            t->mLongestToken = std::max(t->mLongestToken, token.size());
        return t;
    }
    for (int b = 0; b < 256; ++b) {
        char name[8];
        std::snprintf(name, sizeof name, "<0x%02X>", b);
        const int32_t id = v.find(name);
        t->mByteTokens[size_t(b)] = id >= 0 ? id : v.unk;
        if (t->mByteTokens[size_t(b)] < 0)
            return makeError(ErrorCode::Format, "model vocabulary: no byte token " + std::string(name) +
                                                    " and no unknown token to fall back on");
    }
    return t;
}

bool Tokenizer::isEndOfGeneration(int32_t id) const
{
    return std::find(mVocab.endOfGeneration.begin(), mVocab.endOfGeneration.end(), id) != mVocab.endOfGeneration.end();
}

std::vector<Tokenizer::Fragment> Tokenizer::partition(std::string_view text, bool parseSpecial) const
{
    std::vector<Fragment> fragments{{text, -1}};
    std::bitset<256> present; // a special token whose first byte is absent cannot match
    for (unsigned char c : text)
        present.set(c);
    for (int32_t id : mSpecialByLength) {
        const std::string& special = mVocab.tokens[size_t(id)];
        if (!present.test((unsigned char)special[0]))
            continue;
        // User-defined tokens are always split out; control tokens only when asked to.
        if (!parseSpecial && mVocab.types[size_t(id)] != TokenType::UserDefined)
            continue;
        std::vector<Fragment> next;
        next.reserve(fragments.size());
        for (const Fragment& f : fragments) {
            if (f.id >= 0) {
                next.push_back(f);
                continue;
            }
            std::string_view rest = f.text;
            for (size_t at; (at = rest.find(special)) != std::string_view::npos;) {
                if (at > 0)
                    next.push_back({rest.substr(0, at), -1});
                next.push_back({{}, id});
                rest.remove_prefix(at + special.size());
            }
            if (!rest.empty())
                next.push_back({rest, -1});
        }
        fragments.swap(next);
    }
    return fragments;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, bool addSpecial, bool parseSpecial) const
{
    std::vector<int32_t> out;
    if (mVocab.kind == TokenizerKind::WordPiece) { // [CLS] pieces [SEP], as llama.cpp
        if (addSpecial)
            out.push_back(mVocab.bos);
        for (const Fragment& f : partition(text, parseSpecial)) {
            if (f.id >= 0)
                out.push_back(f.id);
            else
                encodeWordPiece(f.text, out);
        }
        if (addSpecial)
            out.push_back(mVocab.sep);
        return out;
    }
    if (addSpecial && mVocab.addBos)
        out.push_back(mVocab.bos);
    bool afterSpecial = true; // SentencePiece adds its space prefix at the start and after specials
    for (const Fragment& f : partition(text, parseSpecial)) {
        if (f.id >= 0) {
            out.push_back(f.id);
            afterSpecial = true;
            continue;
        }
        if (mVocab.kind == TokenizerKind::BytePairEncoding) {
            encodeBpe(f.text, out);
            continue;
        }
        std::string escaped;
        escaped.reserve(f.text.size() + 8);
        if (mVocab.addSpacePrefix && afterSpecial)
            escaped += kSpaceMarker;
        for (char c : f.text) {
            if (c == ' ')
                escaped += kSpaceMarker;
            else
                escaped += c;
        }
        encodeSentencePiece(escaped, out);
        afterSpecial = false;
    }
    if (addSpecial && mVocab.addEos && mVocab.eos >= 0)
        out.push_back(mVocab.eos);
    return out;
}

std::string Tokenizer::piece(int32_t id, bool special) const
{
    if (id < 0 || size_t(id) >= mVocab.size())
        return {};
    const std::string& text = mVocab.tokens[size_t(id)];
    switch (mVocab.types[size_t(id)]) {
    case TokenType::Control:
    case TokenType::Unknown:
        return special ? text : std::string();
    case TokenType::UserDefined:
        return text;
    default:
        break;
    }
    if (mVocab.kind == TokenizerKind::BytePairEncoding)
        return bpePiece(text);
    if (mVocab.kind == TokenizerKind::WordPiece) // a word's first piece carries U+2581 for its space
        return text.compare(0, kSpaceMarker.size(), kSpaceMarker) == 0 ? " " + text.substr(kSpaceMarker.size()) : text;
    switch (mVocab.types[size_t(id)]) {
    case TokenType::Byte: {
        unsigned value = 0;
        if (text.size() == 6 && std::sscanf(text.c_str(), "<0x%2X>", &value) == 1)
            return std::string(1, char(value));
        return text;
    }
    default: {
        std::string out;
        out.reserve(text.size());
        for (size_t i = 0; i < text.size();) {
            if (text.compare(i, kSpaceMarker.size(), kSpaceMarker) == 0) {
                out += ' ';
                i += kSpaceMarker.size();
            } else {
                out += text[i++];
            }
        }
        return out;
    }
    }
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids, bool special) const
{
    std::string out;
    for (int32_t id : ids)
        out += piece(id, special);
    return out;
}

} // namespace atelier::llm

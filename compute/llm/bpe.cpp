// Byte-level BPE (GPT-2, Llama 3, Qwen2): each pre-token's bytes are written in GPT-2's printable
// byte alphabet, then the adjacent pair with the lowest merge rank is merged (ties: leftmost first)
// until no merge applies; a symbol the vocabulary lacks falls back to one token per byte.

#include "llm/pair_merge.h"
#include "llm/tokenizer.h"

#include <algorithm>

namespace atelier::llm {

namespace {

std::string utf8(char32_t c)
{
    std::string s;
    if (c < 0x80) {
        s += char(c);
    } else if (c < 0x800) {
        s += char(0xC0 | (c >> 6));
        s += char(0x80 | (c & 0x3F));
    } else {
        s += char(0xE0 | (c >> 12));
        s += char(0x80 | ((c >> 6) & 0x3F));
        s += char(0x80 | (c & 0x3F));
    }
    return s;
}

// GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes
// (controls, space, 0x7F-0xA0, 0xAD) become U+0100 onwards in byte order.
struct ByteAlphabet {
    std::array<std::string, 256> text;   // byte -> its character, UTF-8
    std::array<int16_t, 324> byteOf;     // code point -> byte, -1 if none
    ByteAlphabet()
    {
        byteOf.fill(-1);
        char32_t next = 256;
        for (int b = 0; b < 256; ++b) {
            const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
            const char32_t c = printable ? char32_t(b) : next++;
            text[size_t(b)] = utf8(c);
            byteOf[c] = int16_t(b);
        }
    }
};

const ByteAlphabet& byteAlphabet()
{
    static const ByteAlphabet alphabet;
    return alphabet;
}

} // namespace

Result<void> Tokenizer::prepareBpe()
{
    if (mVocab.merges.empty())
        return makeError(ErrorCode::Format, "model vocabulary: a byte-level BPE tokenizer without merges "
                                            "(tokenizer.ggml.merges is missing or empty)");
    mMergeRanks.reserve(mVocab.merges.size());
    for (size_t i = 0; i < mVocab.merges.size(); ++i) {
        const std::string& m = mVocab.merges[i];
        const size_t space = m.find(' ', 1); // the left side may itself be a lone space character
        if (space == std::string::npos || space + 1 >= m.size())
            return makeError(ErrorCode::Format, "model vocabulary: merge " + std::to_string(i) + " '" + m +
                                                    "' is not two symbols separated by a space");
        mMergeRanks.emplace(m, int32_t(i)); // the first of duplicate merges wins
    }
    mPreTokenizer = preTokenizerFor(mVocab.pre);
    mIgnoreMerges = ignoresMerges(mVocab.pre);
    const ByteAlphabet& alphabet = byteAlphabet();
    for (int b = 0; b < 256; ++b) {
        const int32_t id = mVocab.find(alphabet.text[size_t(b)]);
        mByteTokens[size_t(b)] = id >= 0 ? id : mVocab.unk; // -1: the byte is dropped, as llama.cpp does
    }
    return {};
}

void Tokenizer::encodeBpe(std::string_view text, std::vector<int32_t>& out) const
{
    const ByteAlphabet& alphabet = byteAlphabet();
    std::string word;
    for (std::string_view raw : preTokenize(text, mPreTokenizer)) {
        word.clear();
        for (unsigned char c : raw)
            word += alphabet.text[c];
        encodeBpeWord(word, out);
    }
}

void Tokenizer::encodeBpeWord(std::string_view word, std::vector<int32_t>& out) const
{
    if (mIgnoreMerges) {
        const int32_t id = mVocab.find(word);
        if (id >= 0) {
            out.push_back(id);
            return;
        }
    }
    std::string key;
    const auto rank = [&](std::string_view left, std::string_view right) -> std::optional<double> {
        key.assign(left);
        key += ' ';
        key.append(right);
        auto it = mMergeRanks.find(std::string_view(key));
        if (it == mMergeRanks.end())
            return std::nullopt;
        return -double(it->second); // lower ranks merge first
    };
    for (std::string_view piece : mergePairs(word, rank)) {
        const int32_t id = mVocab.find(piece);
        if (id >= 0) {
            out.push_back(id);
            continue;
        }
        for (unsigned char c : bpePiece(std::string(piece))) {
            if (mByteTokens[c] >= 0)
                out.push_back(mByteTokens[c]);
        }
    }
}

// A BPE token's text in the byte alphabet back to the bytes it stands for; characters outside
// the alphabet are kept as they are.
std::string Tokenizer::bpePiece(const std::string& text) const
{
    const ByteAlphabet& alphabet = byteAlphabet();
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size();) {
        const auto lead = (unsigned char)text[i];
        const size_t n = std::min(utf8Length(lead), text.size() - i);
        char32_t c = n == 1 ? lead : n == 2 ? lead & 0x1F : n == 3 ? lead & 0x0F : lead & 0x07;
        for (size_t k = 1; k < n; ++k)
            c = (c << 6) | ((unsigned char)text[i + k] & 0x3F);
        if (c < alphabet.byteOf.size() && alphabet.byteOf[c] >= 0)
            out += char(alphabet.byteOf[c]);
        else
            out.append(text, i, n);
        i += n;
    }
    return out;
}

} // namespace atelier::llm

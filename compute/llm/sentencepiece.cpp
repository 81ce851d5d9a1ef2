// SentencePiece-style encoding: start from UTF-8 characters and repeatedly merge the adjacent pair
// whose concatenation is the vocabulary token with the highest score (ties: leftmost first);
// characters no token covers fall back to byte tokens.

#include "llm/tokenizer.h"

#include <queue>

namespace atelier::llm {

namespace {

size_t utf8Length(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if ((lead & 0xE0) == 0xC0)
        return 2;
    if ((lead & 0xF0) == 0xE0)
        return 3;
    if ((lead & 0xF8) == 0xF0)
        return 4;
    return 1; // a stray continuation byte stands alone
}

struct Symbol {
    size_t start, length; // bytes of the text; length 0 once merged into its left neighbour
    int prev, next;
};

struct Bigram {
    int left, right;
    float score;
    size_t length; // of the merged text, to detect stale entries
    bool operator<(const Bigram& o) const { return score < o.score || (score == o.score && left > o.left); }
};

} // namespace

void Tokenizer::encodeSentencePiece(std::string_view text, std::vector<int32_t>& out) const
{
    std::vector<Symbol> symbols;
    for (size_t at = 0; at < text.size();) {
        const size_t n = std::min(utf8Length((unsigned char)text[at]), text.size() - at);
        const int index = int(symbols.size());
        symbols.push_back({at, n, index - 1, at + n == text.size() ? -1 : index + 1});
        at += n;
    }

    std::priority_queue<Bigram> queue;
    auto consider = [&](int left, int right) {
        if (left < 0 || right < 0)
            return;
        const std::string_view merged = text.substr(symbols[size_t(left)].start,
                                                    symbols[size_t(left)].length + symbols[size_t(right)].length);
        const int32_t id = mVocab.find(merged);
        if (id >= 0)
            queue.push({left, right, mVocab.scores[size_t(id)], merged.size()});
    };
    for (int i = 1; i < int(symbols.size()); ++i)
        consider(i - 1, i);

    while (!queue.empty()) {
        const Bigram b = queue.top();
        queue.pop();
        Symbol& left = symbols[size_t(b.left)];
        Symbol& right = symbols[size_t(b.right)];
        if (left.length == 0 || right.length == 0 || left.length + right.length != b.length)
            continue; // one side was merged elsewhere since this pair was queued
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0)
            symbols[size_t(right.next)].prev = b.left;
        consider(left.prev, b.left);
        consider(b.left, left.next);
    }

    for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[size_t(i)].next) {
        const std::string_view piece = text.substr(symbols[size_t(i)].start, symbols[size_t(i)].length);
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

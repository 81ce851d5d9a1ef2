#include "llm/pair_merge.h"

#include <queue>

namespace atelier::llm {

namespace {

struct Symbol {
    size_t start, length; // bytes of the text; length 0 once merged into its left neighbour
    int prev, next;
};

struct Pair {
    int left, right;
    double priority;
    size_t length; // of the merged text, to detect stale entries
    bool operator<(const Pair& o) const { return priority < o.priority || (priority == o.priority && left > o.left); }
};

} // namespace

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
    return 1;
}

std::vector<std::string_view> mergePairs(std::string_view text, const PairPriority& priority)
{
    std::vector<Symbol> symbols;
    for (size_t at = 0; at < text.size();) {
        const size_t n = std::min(utf8Length((unsigned char)text[at]), text.size() - at);
        const int index = int(symbols.size());
        symbols.push_back({at, n, index - 1, at + n == text.size() ? -1 : index + 1});
        at += n;
    }

    std::priority_queue<Pair> queue;
    auto consider = [&](int left, int right) {
        if (left < 0 || right < 0)
            return;
        const Symbol& l = symbols[size_t(left)];
        const Symbol& r = symbols[size_t(right)];
        if (auto p = priority(text.substr(l.start, l.length), text.substr(r.start, r.length)))
            queue.push({left, right, *p, l.length + r.length});
    };
    for (int i = 1; i < int(symbols.size()); ++i)
        consider(i - 1, i);

    while (!queue.empty()) {
        const Pair p = queue.top();
        queue.pop();
        Symbol& left = symbols[size_t(p.left)];
        Symbol& right = symbols[size_t(p.right)];
        if (left.length == 0 || right.length == 0 || left.next != p.right || left.length + right.length != p.length)
            continue; // one side was merged elsewhere since this pair was queued
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0)
            symbols[size_t(right.next)].prev = p.left;
        consider(left.prev, p.left);
        consider(p.left, left.next);
    }

    std::vector<std::string_view> pieces;
    for (int i = symbols.empty() ? -1 : 0; i >= 0; i = symbols[size_t(i)].next)
        pieces.push_back(text.substr(symbols[size_t(i)].start, symbols[size_t(i)].length));
    return pieces;
}

} // namespace atelier::llm

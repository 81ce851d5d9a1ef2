#include "llm/tokenizer.h"

namespace atelier::llm {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD"; // U+FFFD

// Bytes in the sequence a lead byte starts; 0 for a byte that cannot start one.
size_t sequenceLength(unsigned char lead)
{
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return 2;
    if (lead >= 0xE0 && lead <= 0xEF)
        return 3;
    if (lead >= 0xF0 && lead <= 0xF4)
        return 4;
    return 0;
}

bool isContinuation(unsigned char c) { return (c & 0xC0) == 0x80; }

} // namespace

std::string Utf8Stream::push(std::string_view bytes)
{
    mPending.append(bytes);
    std::string out;
    size_t i = 0;
    while (i < mPending.size()) {
        const size_t n = sequenceLength((unsigned char)mPending[i]);
        if (n == 0) {
            out += kReplacement;
            ++i;
            continue;
        }
        size_t have = 1;
        while (have < n && i + have < mPending.size() && isContinuation((unsigned char)mPending[i + have]))
            ++have;
        if (have == n) {
            out.append(mPending, i, n);
            i += n;
        } else if (i + have == mPending.size()) {
            break; // the rest of this character is still to come
        } else {
            out += kReplacement; // broken sequence: a new character started too early
            i += have;
        }
    }
    mPending.erase(0, i);
    return out;
}

std::string Utf8Stream::flush()
{
    std::string out = mPending.empty() ? std::string() : std::string(kReplacement);
    mPending.clear();
    return out;
}

} // namespace atelier::llm

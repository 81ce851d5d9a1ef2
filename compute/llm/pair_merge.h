#pragma once
// The merge loop SentencePiece and byte-level BPE share: start from a text's UTF-8 characters and
// repeatedly merge the adjacent pair with the best priority (ties: leftmost first) until no pair
// has one. The two tokenizers differ only in how a pair is ranked.

#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

namespace atelier::llm {

// Bytes in the UTF-8 sequence `lead` starts (1 for a stray continuation byte).
size_t utf8Length(unsigned char lead);

// priority(left, right): how eagerly to merge two adjacent pieces (higher first), or nullopt when
// they must not merge. left and right are contiguous in `text`. Returns the final pieces, in order.
using PairPriority = std::function<std::optional<double>(std::string_view left, std::string_view right)>;
std::vector<std::string_view> mergePairs(std::string_view text, const PairPriority& priority);

} // namespace atelier::llm

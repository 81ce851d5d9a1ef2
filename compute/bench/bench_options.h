#pragma once
// The `--key value` options of `atelier bench llm|sd`, read so that every refusal names its option
// as the other commands do (issue 18): "--pp needs a whole number, got 12abc", "--size must be a
// multiple of 64 from 64 to 4096, got 100", "--model needs a value", "unknown option --ppp".

#include "core/result.h"

#include <map>
#include <string>
#include <vector>

namespace atelier::bench {

// `args`: key, value, key, value...; only the keys in `known` are accepted.
Result<std::map<std::string, std::string>> readOptions(const std::vector<std::string>& args,
                                                       const std::vector<std::string>& known);

// `text` as a whole number in [min, max] that is a multiple of `multiple`.
Result<int> wholeOption(const std::string& option, const std::string& text, int min, int max, int multiple = 1);

} // namespace atelier::bench

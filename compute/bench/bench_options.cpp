#include "bench/bench_options.h"

#include <algorithm>
#include <charconv>

namespace atelier::bench {

Result<std::map<std::string, std::string>> readOptions(const std::vector<std::string>& args,
                                                       const std::vector<std::string>& known)
{
    std::map<std::string, std::string> values;
    for (size_t i = 0; i < args.size(); i += 2) {
        const std::string& key = args[i];
        if (std::find(known.begin(), known.end(), key) == known.end())
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key);
        if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
            return makeError(ErrorCode::InvalidArgument, key + " needs a value");
        values[key] = args[i + 1];
    }
    return values;
}

Result<int> wholeOption(const std::string& option, const std::string& text, int min, int max, int multiple)
{
    long long value = 0;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end)
        return makeError(ErrorCode::InvalidArgument, option + " needs a whole number, got " + text);
    if (value < min || value > max || value % multiple != 0) {
        const std::string what = multiple > 1 ? "a multiple of " + std::to_string(multiple) + " from " : "from ";
        return makeError(ErrorCode::InvalidArgument, option + " must be " + what + std::to_string(min) + " to " +
                                                         std::to_string(max) + ", got " + text);
    }
    return int(value);
}

} // namespace atelier::bench

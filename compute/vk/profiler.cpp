#include "vk/profiler.h"

#include <algorithm>
#include <cstdio>
#include <vector>

namespace atelier::vk {

void Profiler::add(const std::string& label, double ns)
{
    Entry& e = mEntries[label];
    e.minNs = e.calls ? std::min(e.minNs, ns) : ns;
    e.maxNs = e.calls ? std::max(e.maxNs, ns) : ns;
    e.totalNs += ns;
    ++e.calls;
}

std::string Profiler::table() const
{
    std::vector<std::pair<std::string, Entry>> rows(mEntries.begin(), mEntries.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.totalNs > b.second.totalNs; });
    double total = 0;
    for (const auto& r : rows)
        total += r.second.totalNs;
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "%-28s %8s %11s %10s %10s %10s %6s\n", "kernel", "calls", "total ms", "mean us",
                  "min us", "max us", "share");
    out += line;
    for (const auto& [label, e] : rows) {
        std::snprintf(line, sizeof line, "%-28s %8llu %11.3f %10.1f %10.1f %10.1f %5.1f%%\n", label.c_str(),
                      (unsigned long long)e.calls, e.totalNs / 1e6, e.totalNs / double(e.calls) / 1e3, e.minNs / 1e3,
                      e.maxNs / 1e3, total > 0 ? 100.0 * e.totalNs / total : 0.0);
        out += line;
    }
    std::snprintf(line, sizeof line, "%-28s %8s %11.3f\n", "total", "", total / 1e6);
    out += line;
    return out;
}

} // namespace atelier::vk

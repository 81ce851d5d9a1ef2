#pragma once
// Per-kernel GPU times from timestamp queries, summed over a job (ATELIER_PROFILE=1).

#include <cstdint>
#include <map>
#include <string>

namespace atelier::vk {

class Profiler {
public:
    struct Entry {
        uint64_t calls = 0;
        double totalNs = 0;
        double minNs = 0;
        double maxNs = 0;
    };

    void add(const std::string& label, double ns);
    void reset() { mEntries.clear(); }
    bool empty() const { return mEntries.empty(); }
    const std::map<std::string, Entry>& entries() const { return mEntries; }
    // kernel | calls | total ms | mean us | min us | max us | share, sorted by total time.
    std::string table() const;

private:
    std::map<std::string, Entry> mEntries;
};

} // namespace atelier::vk

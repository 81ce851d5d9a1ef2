// Plain driver for the fuzz entry point, so every build (gcc included) runs it: each seed file as is,
// then deterministic mutations of it (bit flips, random bytes, boundary integers written over fields,
// truncation, spliced copies). Usage: <name>_fuzz_replay [--mutations N] file-or-folder...

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

using Bytes = std::vector<uint8_t>;

struct Rng {
    uint64_t state;
    uint64_t next()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
    size_t below(size_t n) { return n ? size_t(next() % n) : 0; }
};

void mutate(Bytes& b, Rng& rng)
{
    static const uint64_t kInteresting[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 31, 32, 33, 64, 255, 256,
                                            0x7fffffffull, 0x80000000ull, 0xffffffffull, 1ull << 32,
                                            1ull << 40, 0x7fffffffffffffffull, 0x8000000000000000ull,
                                            ~0ull, ~0ull - 31};
    switch (rng.below(6)) {
    case 0:  // flip a bit
        if (!b.empty())
            b[rng.below(b.size())] ^= uint8_t(1u << rng.below(8));
        break;
    case 1:  // random byte
        if (!b.empty())
            b[rng.below(b.size())] = uint8_t(rng.next());
        break;
    case 2:
    case 3: {  // boundary value over a u32 or u64 field
        const uint64_t v = kInteresting[rng.below(std::size(kInteresting))] + (rng.below(4) == 0 ? b.size() : 0);
        const size_t width = rng.below(2) ? 8 : 4;
        if (b.size() >= width)
            std::memcpy(b.data() + rng.below(b.size() - width + 1), &v, width);
        break;
    }
    case 4:  // truncate
        b.resize(rng.below(b.size() + 1));
        break;
    default: {  // copy a chunk over another place
        if (b.size() < 2)
            break;
        const size_t from = rng.below(b.size()), to = rng.below(b.size());
        const size_t n = std::min({rng.below(64) + 1, b.size() - from, b.size() - to});
        std::memmove(b.data() + to, b.data() + from, n);
    }
    }
}

Bytes readFile(const std::filesystem::path& path)
{
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), {});
}

} // namespace

int main(int argc, char** argv)
{
    int mutations = 2000;
    std::vector<std::filesystem::path> seeds;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--mutations") == 0 && i + 1 < argc) {
            mutations = std::atoi(argv[++i]);
        } else if (std::filesystem::is_directory(argv[i])) {
            for (const auto& entry : std::filesystem::directory_iterator(argv[i]))
                if (entry.is_regular_file())
                    seeds.push_back(entry.path());
        } else {
            seeds.emplace_back(argv[i]);
        }
    }
    std::sort(seeds.begin(), seeds.end());
    if (seeds.empty()) {
        std::fprintf(stderr, "usage: %s [--mutations N] file-or-folder...\n", argv[0]);
        return 2;
    }
    size_t runs = 0;
    for (const auto& seed : seeds) {
        const Bytes original = readFile(seed);
        LLVMFuzzerTestOneInput(original.data(), original.size());
        Rng rng{0x9e3779b97f4a7c15ull ^ original.size()};
        for (int m = 0; m < mutations; ++m) {
            Bytes b = original;
            for (size_t k = 0, n = rng.below(4) + 1; k < n; ++k)
                mutate(b, rng);
            LLVMFuzzerTestOneInput(b.data(), b.size());
        }
        runs += size_t(mutations) + 1;
    }
    std::printf("%zu inputs from %zu seeds, no crash\n", runs, seeds.size());
    return 0;
}

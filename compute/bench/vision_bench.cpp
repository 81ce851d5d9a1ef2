#include "bench/vision_bench.h"

#include "bench/bench_stats.h"
#include "llm/picture.h"
#include "llm/vision_encoder.h"
#include "vk/device.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace atelier::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Multiply-adds of one tile, as 2 flops each: the patch embedding, per layer q/k/v/out and the
// feed-forward, attention's two products, and the projector.
double tileFlops(const llm::VisionConfig& c)
{
    const double n = c.patches(), d = c.dim, ff = c.feedForward, patch = 3.0 * c.patchSize * c.patchSize;
    const double perLayer = n * (4 * d * d + 2 * d * ff) + 2 * n * n * d;
    const double projector = c.projector == llm::Projector::Gemma3 ? c.tokens() * (n * d + d * c.textDim)
                                                                   : c.tokens() * (d * c.merge * c.merge * c.textDim);
    return 2 * (n * patch * d + c.layers * perLayer + projector);
}

} // namespace

Status runVisionBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    std::string path;
    int reps = 3;
    for (size_t i = 0; i + 1 < args.size(); i += 2) {
        if (args[i] == "--mmproj") {
            path = args[i + 1];
        } else if (args[i] == "--reps") {
            try {
                reps = std::stoi(args[i + 1]);
            } catch (const std::exception&) {
                return makeError(ErrorCode::InvalidArgument, "--reps needs a number, not '" + args[i + 1] + "'");
            }
        } else {
            return makeError(ErrorCode::InvalidArgument, "unknown option " + args[i]);
        }
    }
    if (path.empty() || reps < 1 || reps > 100)
        return makeError(ErrorCode::InvalidArgument, "usage: atelier bench vision --mmproj PATH [--reps N (1-100)]");

    const auto loading = Clock::now();
    ATELIER_ASSIGN(auto encoder, llm::VisionEncoder::load(device, path));
    const llm::VisionConfig& c = encoder->config();
    char line[256];
    std::snprintf(line, sizeof line, "vision projector %s (%s): %d layers of %d, tiles of %d px in %d patches -> %d embeddings of %d; loaded in %.2f s\n",
                  c.name.c_str(), c.projectorName.c_str(), c.layers, c.dim, c.imageSize, c.patches(), c.tokens(), c.textDim,
                  std::chrono::duration<double>(Clock::now() - loading).count());
    out << line << std::flush;

    // A picture of the tile's size: gradients with a square, so no resize runs.
    llm::RgbPicture tile{c.imageSize, c.imageSize, std::vector<uint8_t>(size_t(c.imageSize) * size_t(c.imageSize) * 3)};
    for (int y = 0; y < c.imageSize; ++y)
        for (int x = 0; x < c.imageSize; ++x) {
            uint8_t* p = tile.rgb.data() + (size_t(y) * size_t(c.imageSize) + size_t(x)) * 3;
            const bool square = x > c.imageSize / 3 && x < 2 * c.imageSize / 3 && y > c.imageSize / 3 && y < 2 * c.imageSize / 3;
            p[0] = square ? 220 : uint8_t(x * 255 / c.imageSize);
            p[1] = square ? 30 : uint8_t(y * 255 / c.imageSize);
            p[2] = 128;
        }
    // ATELIER_PROFILE=1: the GPU time per kernel of the last run.
    const bool profile = device.profiling() && std::getenv("ATELIER_PROFILE") && *std::getenv("ATELIER_PROFILE") != '0';
    std::vector<double> seconds;
    for (int r = 0; r <= reps; ++r) { // run 0 warms pipelines and caches
        device.profiler().reset();
        const auto t0 = Clock::now();
        ATELIER_ASSIGN(const std::vector<float> embeddings, encoder->encodeToHost(tile));
        const double s = std::chrono::duration<double>(Clock::now() - t0).count();
        if (r > 0)
            seconds.push_back(s);
        std::snprintf(line, sizeof line, "%s %d: %.3f s\n", r == 0 ? "warm-up" : "run", r, s);
        out << line << std::flush;
    }
    if (profile)
        out << "GPU time per kernel, last run:\n" << device.profiler().table();
    const double m = median(seconds);
    std::snprintf(line, sizeof line, "encode one tile: %.3f s median of %d (%.1f GFLOP/s, %.1f GFLOP a tile); peak host memory %.0f MB\n",
                  m, reps, tileFlops(c) / m * 1e-9, tileFlops(c) * 1e-9, double(peakHostBytes()) / 1e6);
    out << line << std::flush;
    return {};
}

} // namespace atelier::bench

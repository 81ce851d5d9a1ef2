#include "bench/sd_bench.h"

#include "bench/bench_options.h"
#include "bench/bench_stats.h"
#include "core/elapsed.h"
#include "diffusion/generation.h"
#include "diffusion/sampling/gaussian_noise.h"
#include "diffusion/stable_diffusion.h"
#include "diffusion/unet.h"
#include "diffusion/vae.h"
#include "vk/device.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>

namespace atelier::bench {

namespace {

using Clock = std::chrono::steady_clock;

} // namespace

Status runSdBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    static const char* kUsage = "usage: atelier bench sd --model PATH [--size N (a multiple of 64)] [--iterations N] "
                                "[--precision f16|f32]";
    ATELIER_ASSIGN(const auto given, readOptions(args, {"--model", "--size", "--iterations", "--precision"}));
    const auto option = [&](const char* key, const char* otherwise) {
        const auto it = given.find(key);
        return it == given.end() ? std::string(otherwise) : it->second;
    };
    const std::string path = option("--model", "");
    if (path.empty())
        return makeError(ErrorCode::InvalidArgument, std::string("--model is needed\n") + kUsage);
    ATELIER_ASSIGN(const int size, wholeOption("--size", option("--size", "512"), 64, 4096, 64));
    ATELIER_ASSIGN(const int iterations, wholeOption("--iterations", option("--iterations", "5"), 1, 1000));
    const std::string precision = option("--precision", "f16");
    if (precision != "f16" && precision != "f32")
        return makeError(ErrorCode::InvalidArgument, "--precision must be f16 or f32, got " + precision);
    const bool f32 = precision == "f32";

    diffusion::StableDiffusionOptions options;
    options.precision = f32 ? diffusion::WeightPrecision::AsStored : diffusion::WeightPrecision::F16;
    const uint64_t blocksBefore = device.allocator().blocksCreated();
    auto t0 = Clock::now();
    ATELIER_ASSIGN(auto model, diffusion::StableDiffusion::load(device, path, options));
    const double loadSeconds = secondsSince(t0);
    char line[640];
    // The driver allocations show whether loading churned memory (each costs milliseconds on a
    // discrete GPU) rather than only uploading.
    std::snprintf(line, sizeof line,
                  "model: %s (%s, %.0f MB of weights as %s, loaded in %.1f s with %llu memory allocations)\n"
                  "device: %s\n",
                  path.c_str(), diffusion::modelFamilyName(model->config().family), double(model->weightBytes()) / 1e6,
                  f32 ? "stored" : "f16", loadSeconds,
                  (unsigned long long)(device.allocator().blocksCreated() - blocksBefore), device.info().name.c_str());
    out << line << std::flush;
    const bool profile = device.profiling() && std::getenv("ATELIER_PROFILE") && *std::getenv("ATELIER_PROFILE") != '0';

    // Text encoder: a prompt and an empty negative prompt, as every generation starts.
    std::vector<double> textTimes;
    diffusion::Conditioning conditioning;
    std::string textTable;
    double textFlops = 0;
    for (int r = 0; r < 3; ++r) {
        device.profiler().reset();
        device.resetWorkCounts();
        t0 = Clock::now();
        ATELIER_ASSIGN(conditioning, diffusion::encodePrompts(*model, "a photograph of an astronaut riding a horse on the moon",
                                                              "", 1));
        textTimes.push_back(secondsSince(t0));
        textTable = device.profiler().table();
        textFlops = device.workCounts().flops;
    }

    std::snprintf(line, sizeof line, "text encoder, prompt + negative: %.3f s (median of 3), %.1f GFLOP/s\n",
                  median(textTimes), textFlops / median(textTimes) / 1e9);
    out << line << std::flush;
    if (profile)
        out << "\nGPU time per kernel, text encoder (prompt + negative):\n" << textTable << "\n" << std::flush;

    // UNet: [uncond; cond] at size / 8, one warm-up iteration (pipeline creation) then the timed ones.
    const int latent = size / model->config().vae.downscale();
    const int channels = model->config().unet.inChannels;
    diffusion::GaussianNoise noise(1);
    std::vector<float> x = noise.draw(size_t(2 * channels * latent * latent));
    std::vector<float> context(conditioning.uncond);
    context.insert(context.end(), conditioning.cond.begin(), conditioning.cond.end());
    std::vector<double> unetTimes;
    std::string unetTable;
    double unetFlops = 0;
    for (int r = 0; r <= iterations; ++r) {
        device.profiler().reset();
        device.resetWorkCounts();
        t0 = Clock::now();
        ATELIER_ASSIGN(auto prediction, model->unet().predict(x, 2, latent, latent, 999.0 - 50.0 * r, context,
                                                              conditioning.tokens));
        if (r > 0)
            unetTimes.push_back(secondsSince(t0));
        unetTable = device.profiler().table();
        unetFlops = device.workCounts().flops;
    }

    const double unet = median(unetTimes);
    std::snprintf(line, sizeof line,
                  "UNet, %dx%d with CFG (batch 2): %.3f it/s (%.2f s per iteration, median of %d), %.1f GFLOP/s\n",
                  size, size, 1.0 / unet, unet, iterations, unetFlops / unet / 1e9);
    out << line << std::flush;
    if (profile)
        out << "\nGPU time per kernel, one UNet iteration:\n" << unetTable << "\n" << std::flush;

    // VAE decode of a latent the size of the picture (tiled where the device needs it).
    model->unet().releaseRunState(); // as generate() does when the VAE needs the room
    diffusion::VaeTiling tiling;
    tiling.enabled = model->vae().needsTiling(latent, latent);
    const std::vector<float> z(x.begin(), x.begin() + std::ptrdiff_t(4 * latent * latent));
    device.profiler().reset();
    device.resetWorkCounts();
    t0 = Clock::now();
    ATELIER_ASSIGN(auto pixels, model->vae().decode(z, latent, latent, tiling));
    const double decodeSeconds = secondsSince(t0);
    const std::string vaeTable = device.profiler().table();

    std::snprintf(line, sizeof line,
                  "VAE decode %dx%d%s: %.2f s (first run), %.1f GFLOP/s\n"
                  "a %d-step picture would take about %.1f s\n"
                  "peak device memory: %.0f MB in buffers, %.0f MB held from the driver; peak host memory: %.0f MB\n",
                  size, size, tiling.enabled ? " (tiled)" : "", decodeSeconds,
                  device.workCounts().flops / decodeSeconds / 1e9, 20,
                  median(textTimes) + 20 * unet + decodeSeconds, double(device.allocator().peakBytesInUse()) / 1e6,
                  double(device.allocator().bytesReserved()) / 1e6, double(peakHostBytes()) / 1e6);
    out << line;
    if (profile)
        out << "\nGPU time per kernel, VAE decode:\n" << vaeTable;
    return {};
}

} // namespace atelier::bench

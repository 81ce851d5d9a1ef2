#include "bench/llm_bench.h"

#include "bench/bench_options.h"
#include "bench/bench_stats.h"
#include "llm/language_model.h"
#include "llm/sampler.h"
#include "vk/device.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace atelier::bench {

namespace {

using Clock = std::chrono::steady_clock;

} // namespace

Status runLlmBench(vk::Device& device, const std::vector<std::string>& args, std::ostream& out)
{
    static const char* kUsage = "usage: atelier bench llm --model PATH [--pp N] [--tg N] [--reps N]";
    ATELIER_ASSIGN(const auto given, readOptions(args, {"--model", "--pp", "--tg", "--reps"}));
    const auto option = [&](const char* key, const char* otherwise) {
        const auto it = given.find(key);
        return it == given.end() ? std::string(otherwise) : it->second;
    };
    const std::string path = option("--model", "");
    if (path.empty())
        return makeError(ErrorCode::InvalidArgument, std::string("--model is needed\n") + kUsage);
    ATELIER_ASSIGN(const int pp, wholeOption("--pp", option("--pp", "512"), 1, 1 << 20));
    ATELIER_ASSIGN(const int tg, wholeOption("--tg", option("--tg", "128"), 1, 1 << 20));
    ATELIER_ASSIGN(const int reps, wholeOption("--reps", option("--reps", "3"), 1, 1000));

    llm::LoadOptions options;
    options.contextLength = pp + tg;
    options.maxBatch = std::min(pp, 512);
    ATELIER_ASSIGN(auto model, llm::LanguageModel::load(device, path, options));
    const int vocab = model->vocabSize();
    std::vector<int32_t> prompt(static_cast<size_t>(pp));
    for (int i = 0; i < pp; ++i)
        prompt[size_t(i)] = int32_t((uint64_t(i) * 7919u + 1000u) % uint64_t(vocab)); // fixed, arbitrary tokens

    // ATELIER_PROFILE=1: the GPU time per kernel of the last run's prompt and generation.
    const bool profile = device.profiling() && std::getenv("ATELIER_PROFILE") && *std::getenv("ATELIER_PROFILE") != '0';
    std::string ppTable, tgTable;
    std::vector<double> ppRates, tgRates;
    vk::Device::WorkCounts tgCounts;
    for (int r = 0; r <= reps; ++r) { // run 0 warms pipelines and caches
        model->truncate(0);
        device.profiler().reset();
        auto t0 = Clock::now();
        ATELIER_TRY(model->forward(prompt));
        const double ppSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
        ppTable = device.profiler().table();
        device.profiler().reset();
        device.resetWorkCounts();
        t0 = Clock::now();
        for (int i = 0; i < tg; ++i)
            ATELIER_TRY(model->forward(std::vector<int32_t>{prompt[size_t(i) % prompt.size()]}));
        const double tgSeconds = std::chrono::duration<double>(Clock::now() - t0).count();
        tgTable = device.profiler().table();
        tgCounts = device.workCounts();
        if (r > 0) {
            ppRates.push_back(pp / ppSeconds);
            tgRates.push_back(tg / tgSeconds);
        }
    }
    // Generation as a chat does it, with the default sampler: the token drawn from the candidates
    // the device chose, and from the whole row of logits read back.
    auto sampledRate = [&](bool onDevice) -> Result<double> {
        llm::Sampler sampler{llm::SamplingParams{}};
        std::vector<int32_t> history(prompt.begin(), prompt.end());
        model->truncate(0);
        const int asked = onDevice ? sampler.candidatesNeeded(history, int(ops::kTopLogitsMaxK)) : 0;
        ATELIER_TRY(model->forward(prompt, asked));
        const auto t0 = Clock::now();
        for (int i = 0; i < tg; ++i) {
            int32_t token = 0;
            if (onDevice) {
                ATELIER_ASSIGN(const ops::TopLogits top, model->topLogits());
                ATELIER_ASSIGN(token, sampler.sample(top.candidates, history));
            } else {
                ATELIER_ASSIGN(const std::vector<float> logits, model->logits());
                ATELIER_ASSIGN(token, sampler.sample(logits, history));
            }
            history.push_back(token);
            ATELIER_TRY(model->forward(std::vector<int32_t>{token},
                                       onDevice ? sampler.candidatesNeeded(history, int(ops::kTopLogitsMaxK)) : 0));
        }
        return tg / std::chrono::duration<double>(Clock::now() - t0).count();
    };
    device.profiler().reset();
    ATELIER_ASSIGN(const double sampledOnDevice, sampledRate(true));
    const std::string sampledTable = device.profiler().table();
    ATELIER_ASSIGN(const double sampledOnHost, sampledRate(false));

    const double tgRate = median(tgRates);
    const double weightGB = double(model->weightBytes()) / 1e9;
    const double activeGB = double(model->weightBytesPerToken()) / 1e9;
    const bool experts = model->config().experts > 0;
    char line[512];
    std::snprintf(line, sizeof line,
                  "model: %s (%s, %.0f MB of weights)\ndevice: %s\n"
                  "%-12s %12s\n%-12s %12.2f\n%-12s %12.2f\n"
                  "generation reads %.2f GB/s of weights (%s once per token)\n"
                  "peak device memory: %.0f MB in buffers, %.0f MB held from the driver; peak host memory: %.0f MB "
                  "(median of %d runs)\n",
                  path.c_str(), model->config().architectureName.c_str(), weightGB * 1e3, device.info().name.c_str(),
                  "test", "tokens/s", ("pp" + std::to_string(pp)).c_str(), median(ppRates),
                  ("tg" + std::to_string(tg)).c_str(), tgRate, tgRate * activeGB,
                  experts ? "every weight but the experts the router leaves out" : "every weight",
                  double(device.allocator().peakBytesInUse()) / 1e6, double(device.allocator().bytesReserved()) / 1e6,
                  double(peakHostBytes()) / 1e6, reps);
    out << line;
    std::snprintf(line, sizeof line, "per generated token: %.1f dispatches, %.1f barriers, %.1f submits\n",
                  double(tgCounts.dispatches) / tg, double(tgCounts.barriers) / tg, double(tgCounts.batches) / tg);
    out << line;
    std::snprintf(line, sizeof line,
                  "tg%d sampled (top-k 40, top-p 0.95, min-p 0.05): %.2f tokens/s from device candidates, "
                  "%.2f reading back all %d logits\n",
                  tg, sampledOnDevice, sampledOnHost, vocab);
    out << line;
    if (profile)
        out << "\nGPU time per kernel, pp" << pp << ":\n" << ppTable << "\nGPU time per kernel, tg" << tg << ":\n" << tgTable
            << "\nGPU time per kernel, tg" << tg << " sampled from device candidates (its prompt included):\n" << sampledTable;
    return {};
}

} // namespace atelier::bench

#include "bench/bench_command.h"

#include "bench/llm_bench.h"
#include "bench/ops_bench.h"
#include "bench/sd_bench.h"
#include "bench/vision_bench.h"
#include "vk/device.h"

#include <QtGlobal>

#include <cstdio>
#include <iostream>

namespace atelier::bench {

int runBenchCommand(const std::vector<std::string>& args, const engine::DeviceOptions& options)
{
    const std::string what = args.empty() ? std::string() : args.front();
    if (what != "ops" && what != "llm" && what != "sd" && what != "vision") {
        std::fprintf(stderr, "usage: atelier bench ops [--quick]\n       atelier bench llm --model PATH [--pp N] [--tg N] [--reps N]\n"
                             "       atelier bench sd --model PATH [--size N] [--iterations N] [--precision f16|f32]\n"
                             "       atelier bench vision --mmproj PATH [--reps N]\n");
        return 2;
    }
    vk::Device::Options o;
    o.deviceIndex = options.deviceIndex;
    o.validation = options.validation;
    o.pipelineCachePath = options.pipelineCachePath.toStdString();
    o.profile = true; // GPU timestamps give the kernel time without submit overhead
    // ATELIER_STAGED_TRANSFERS=1: copy through staging buffers as on a discrete GPU, even where the
    // device's memory is mapped (lavapipe, integrated GPUs), to measure that path.
    o.stagedTransfers = qEnvironmentVariableIntValue("ATELIER_STAGED_TRANSFERS") != 0;
    auto device = vk::Device::create(o);
    if (!device) {
        std::fprintf(stderr, "atelier: %s\n", device.error().message.c_str());
        return 1;
    }
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    const Status s = what == "ops"      ? runOpsBench(*device.value(), rest, std::cout)
                     : what == "llm"    ? runLlmBench(*device.value(), rest, std::cout)
                     : what == "vision" ? runVisionBench(*device.value(), rest, std::cout)
                                        : runSdBench(*device.value(), rest, std::cout);
    if (!s) {
        std::fprintf(stderr, "atelier: %s\n", s.error().message.c_str());
        return 1;
    }
    return 0;
}

} // namespace atelier::bench

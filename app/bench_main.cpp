// atelier-bench: `atelier bench` without the window's libraries (Qt Widgets, Gui, PDF, Network,
// HTTP server), so that a machine given only the engine can run it: a GPU machine lent for a few
// minutes with 64 MiB of files carried to it (compute/bench/gpu_pack.sh, gpu_run.sh).
//
//   atelier-bench [--device N] [--validation] ops|llm|sd|vision OPTIONS...

#include "bench/bench_command.h"
#include "core/app_paths.h"
#include "core/logging.h"

#include <QCoreApplication>

#include <cstdlib>
#include <string>
#include <vector>

using namespace atelier;

int main(int argc, char** argv)
{
    QCoreApplication::setApplicationName("Atelier");
    QCoreApplication::setOrganizationName("Atelier");
    setupLogging(std::string(), false);

    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    options.pipelineCachePath = paths::pipelineCachePath();
    int i = 1;
    for (; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--device" && i + 1 < argc)
            options.deviceIndex = std::atoi(argv[++i]);
        else if (a == "--validation")
            options.validation = true;
        else
            break;
    }
    return bench::runBenchCommand(std::vector<std::string>(argv + i, argv + argc), options);
}

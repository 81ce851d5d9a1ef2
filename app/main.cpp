// atelier: opens the window, or runs a command-line tool (devices, bench, chat, generate, inpaint).

#include "chat_command.h"
#include "describe_command.h"
#include "generate_command.h"
#include "inpaint_command.h"
#include "docs_command.h"
#include "library_command.h"
#include "models_command.h"
#include "serve_command.h"
#include "serving/window_server.h"
#include "command_line.h"

#include "bench/bench_command.h"
#include "core/app_paths.h"
#include "core/logging.h"
#include "engine/compute_engine.h"
#include "main_window.h"
#include "vk/device.h"
#include "vk/instance.h"

#include <QApplication>
#include <QCoreApplication>

#include <cstdio>

using namespace atelier;

namespace {

int listDevices(const app::CommandLine& cl)
{
    auto instance = vk::Instance::create(cl.validation);
    if (!instance) {
        std::fprintf(stderr, "atelier: %s\n", instance.error().message.c_str());
        return 1;
    }
    const auto devices = instance.value()->devices();
    if (devices.empty()) {
        std::fprintf(stderr, "atelier: no Vulkan device found (install a GPU driver, or mesa-vulkan-drivers)\n");
        return 1;
    }
    const auto chosen = vk::chooseDevice(devices, cl.deviceIndex);
    std::printf("%zu Vulkan device(s):\n\n", devices.size());
    for (size_t i = 0; i < devices.size(); ++i)
        std::printf("%s%s\n", devices[i].describe().c_str(), chosen && *chosen == i ? "    -> Atelier uses this device\n" : "");
    return 0;
}

} // namespace

int main(int argc, char** argv)
{
    QStringList args;
    for (int i = 1; i < argc; ++i)
        args << QString::fromLocal8Bit(argv[i]);
    const app::CommandLine cl = app::parseCommandLine(args);
    if (!cl.error.isEmpty()) {
        std::fprintf(stderr, "atelier: %s\n\n%s", qPrintable(cl.error), qPrintable(app::usageText()));
        return 2;
    }
    if (cl.command == "help") {
        std::printf("%s", qPrintable(app::usageText()));
        return 0;
    }
    if (cl.command == "version") {
        std::printf("atelier %s\n", ATELIER_VERSION);
        return 0;
    }

    QCoreApplication::setApplicationName("Atelier");
    QCoreApplication::setOrganizationName("Atelier");
    QCoreApplication::setApplicationVersion(ATELIER_VERSION);

    const bool gui = cl.command.isEmpty();
    setupLogging(gui ? paths::logsDir().toStdString() : std::string(), cl.verbose);

    engine::DeviceOptions options = engine::DeviceOptions::fromEnvironment();
    if (cl.deviceIndex >= 0)
        options.deviceIndex = cl.deviceIndex;
    options.validation = options.validation || cl.validation;
    options.pipelineCachePath = paths::pipelineCachePath();

    if (cl.command == "devices")
        return listDevices(cl);
    if (cl.command == "bench") {
        std::vector<std::string> benchArgs;
        for (const QString& a : cl.arguments)
            benchArgs.push_back(a.toStdString());
        return bench::runBenchCommand(benchArgs, options);
    }
    if (cl.command == "chat")
        return app::runChat(cl.arguments, options.deviceIndex, options.validation);
    if (cl.command == "describe")
        return app::runDescribe(cl.arguments, options.deviceIndex, options.validation);
    if (cl.command == "generate")
        return app::runGenerate(cl.arguments, options.deviceIndex, options.validation);
    if (cl.command == "inpaint")
        return app::runInpaint(cl.arguments, options.deviceIndex, options.validation);
    if (cl.command == "library")
        return app::runLibrary(argc, argv, cl.arguments);
    if (cl.command == "models")
        return app::runModels(argc, argv, cl.arguments);
    if (cl.command == "docs")
        return app::runDocs(argc, argv, cl.arguments, options.deviceIndex, options.validation);
    if (cl.command == "serve")
        return app::runServe(argc, argv, cl.arguments, options);

    QApplication app(argc, argv);
    QGuiApplication::setDesktopFileName(QStringLiteral("io.github.atelier.Atelier")); // links the window to its menu entry on Wayland
    app.setWindowIcon(QIcon(":/icons/atelier.svg"));
    engine::ComputeEngine engine;
    ui::MainWindow window(engine);
    new ui::WindowServer(engine, &window); // Preferences > Server; starts now when it was left on
    window.show();
    engine.start(options);
    return app.exec();
}

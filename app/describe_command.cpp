#include "describe_command.h"

#include "cli_device.h"
#include "core/app_paths.h"
#include "describe/describe_prompt.h"
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/vision_encoder.h"
#include "picture_rgb.h"
#include "vk/device.h"

#include <cstdio>
#include <string>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier describe --image FILE [--model GGUF] [--mmproj FILE]\n"
    "Prints a Stable Diffusion prompt for the picture (short comma-separated keywords: subject, style,\n"
    "colours, lighting, composition), written greedily by a vision model as the window's \"Describe for\n"
    "Create\" does. The model needs its vision projector: --mmproj, or an mmproj*.gguf of its width\n"
    "next to it. Without --model, the default model in the models folder.\n";

struct DescribeOptions {
    QString image;
    std::string model, projector;
};

Status parse(const QStringList& args, DescribeOptions& o)
{
    for (int i = 0; i < args.size(); ++i) {
        const QString& key = args[i];
        if (!key.startsWith(QLatin1String("--")) || i + 1 >= args.size())
            return makeError(ErrorCode::InvalidArgument, "unexpected argument '" + key.toStdString() + "'");
        const QString value = args[++i];
        if (key == QLatin1String("--image"))
            o.image = value;
        else if (key == QLatin1String("--model"))
            o.model = value.toStdString();
        else if (key == QLatin1String("--mmproj"))
            o.projector = value.toStdString();
        else
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key.toStdString());
    }
    if (o.image.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "--image FILE is needed");
    return {};
}

} // namespace

int runDescribe(const QStringList& arguments, int deviceIndex, bool validation)
{
    if (arguments.contains("--help") || arguments.contains("-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    DescribeOptions o;
    if (const Status parsed = parse(arguments, o); !parsed) {
        std::fprintf(stderr, "atelier describe: %s\n%s", parsed.error().message.c_str(), kUsage);
        return 2;
    }
    if (o.model.empty())
        o.model = (paths::modelsDir() + "/gemma-3-270m-q4_k_m.gguf").toStdString();
    auto picture = ui::loadRgbPicture(o.image); // before the model loads: a bad file fails at once
    if (!picture) {
        std::fprintf(stderr, "atelier describe: %s\n", picture.error().message.c_str());
        return 1;
    }

    auto device = openCliDevice(deviceIndex, validation);
    if (!device) {
        std::fprintf(stderr, "atelier describe: %s\n", device.error().message.c_str());
        return 1;
    }
    llm::LoadOptions load;
    load.contextLength = 2048;
    auto model = llm::LanguageModel::load(*device.value(), o.model, load);
    if (!model) {
        std::fprintf(stderr, "atelier describe: cannot load %s: %s\n", o.model.c_str(), model.error().message.c_str());
        return 1;
    }
    llm::ChatSession session(*model.value());
    if (session.completesText()) {
        std::fprintf(stderr, "atelier describe: %s has no chat template to place a picture in; use an instruction-tuned "
                             "vision model\n", o.model.c_str());
        return 1;
    }
    const std::string projector =
        o.projector.empty()
            ? llm::findVisionProjector(o.model, model.value()->config().architectureName, model.value()->config().dim)
            : o.projector;
    if (projector.empty()) {
        std::fprintf(stderr, "atelier describe: %s cannot read pictures: put its vision projector (mmproj*.gguf) next "
                             "to it, or name one with --mmproj\n", o.model.c_str());
        return 1;
    }
    auto vision = llm::VisionEncoder::load(*device.value(), projector);
    if (!vision) {
        std::fprintf(stderr, "atelier describe: cannot load the vision projector %s: %s\n", projector.c_str(),
                     vision.error().message.c_str());
        return 1;
    }
    if (const Status s = session.setVision(vision.value().get()); !s) {
        std::fprintf(stderr, "atelier describe: %s: %s\n", projector.c_str(), s.error().message.c_str());
        return 1;
    }
    llm::GenerationStats stats;
    auto answer = ui::describePicture(session, std::make_shared<const llm::RgbPicture>(std::move(picture).value()),
                                      [](std::string_view) { return true; }, &stats);
    if (!answer) {
        std::fprintf(stderr, "atelier describe: %s\n", answer.error().message.c_str());
        return 1;
    }
    const QString prompt = ui::promptFromAnswer(QString::fromStdString(answer.value()), ui::cutShort(stats));
    if (prompt.isEmpty()) {
        std::fprintf(stderr, "atelier describe: the model wrote no prompt for this picture\n");
        return 1;
    }
    std::printf("%s\n", qPrintable(prompt));
    std::fflush(stdout);
    std::fprintf(stderr, "[prompt: %d tokens in %.2f s; answer: %d tokens in %.2f s]\n", stats.promptTokens,
                 stats.promptSeconds, stats.generatedTokens, stats.generationSeconds);
    return 0;
}

} // namespace atelier::app

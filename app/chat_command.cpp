#include "chat_command.h"

#include "core/app_paths.h"
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "vk/device.h"

#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <string>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier chat [--model PATH] [--system TEXT] [--prompt TEXT] [--temp T] [--top-k K] [--top-p P]\n"
    "                    [--min-p P] [--repeat-penalty R] [--seed N] [--max-tokens N] [--ctx N]\n"
    "Without --prompt, reads one message per line from standard input. Without --model, uses the\n"
    "default model in the models folder.\n";

struct ChatOptions {
    std::string model, system, prompt;
    bool hasPrompt = false;
    llm::GenerationSettings settings;
    int context = 4096;
};

bool parse(const QStringList& args, ChatOptions& o, std::string& error)
{
    std::map<std::string, std::string> values;
    for (int i = 0; i < args.size(); ++i) {
        const std::string key = args[i].toStdString();
        if (key.rfind("--", 0) != 0 || i + 1 >= args.size()) {
            error = "unexpected argument '" + key + "'";
            return false;
        }
        values[key] = args[++i].toStdString();
    }
    try {
        for (const auto& [key, value] : values) {
            if (key == "--model") o.model = value;
            else if (key == "--system") o.system = value;
            else if (key == "--prompt") { o.prompt = value; o.hasPrompt = true; }
            else if (key == "--temp") o.settings.sampling.temperature = std::stof(value);
            else if (key == "--top-k") o.settings.sampling.topK = std::stoi(value);
            else if (key == "--top-p") o.settings.sampling.topP = std::stof(value);
            else if (key == "--min-p") o.settings.sampling.minP = std::stof(value);
            else if (key == "--repeat-penalty") o.settings.sampling.repeatPenalty = std::stof(value);
            else if (key == "--seed") o.settings.sampling.seed = std::stoull(value);
            else if (key == "--max-tokens") o.settings.maxTokens = std::stoi(value);
            else if (key == "--ctx") o.context = std::stoi(value);
            else {
                error = "unknown option " + key;
                return false;
            }
        }
    } catch (const std::exception&) {
        error = "a number was expected";
        return false;
    }
    return true;
}

} // namespace

int runChat(const QStringList& arguments, int deviceIndex, bool validation)
{
    ChatOptions o;
    o.settings.sampling.seed = std::random_device{}();
    std::string error;
    if (arguments.contains("--help") || arguments.contains("-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (!parse(arguments, o, error)) {
        std::fprintf(stderr, "atelier chat: %s\n%s", error.c_str(), kUsage);
        return 2;
    }
    if (o.model.empty())
        o.model = (paths::modelsDir() + "/gemma-3-270m-q4_k_m.gguf").toStdString();

    vk::Device::Options deviceOptions;
    deviceOptions.deviceIndex = deviceIndex;
    deviceOptions.validation = validation;
    deviceOptions.pipelineCachePath = paths::pipelineCachePath().toStdString();
    auto device = vk::Device::create(deviceOptions);
    if (!device) {
        std::fprintf(stderr, "atelier chat: %s\n", device.error().message.c_str());
        return 1;
    }
    llm::LoadOptions load;
    load.contextLength = o.context;
    auto model = llm::LanguageModel::load(*device.value(), o.model, load);
    if (!model) {
        std::fprintf(stderr, "atelier chat: cannot load %s: %s\n", o.model.c_str(), model.error().message.c_str());
        return 1;
    }
    llm::ChatSession session(*model.value());
    session.setSystemPrompt(o.system);
    if (session.completesText())
        std::fprintf(stderr, "atelier chat: %s has no chat template (a base model): it continues the text\n",
                     o.model.c_str());

    auto ask = [&](const std::string& text) {
        llm::GenerationStats stats;
        auto answer = session.reply(text, o.settings, [](std::string_view piece) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        }, &stats);
        std::fputc('\n', stdout);
        if (!answer) {
            std::fprintf(stderr, "atelier chat: %s\n", answer.error().message.c_str());
            return false;
        }
        const int processed = stats.promptTokens - stats.reusedTokens;
        std::fprintf(stderr, "[prompt: %d tokens (%d reused), %.1f tokens/s; answer: %d tokens, %.1f tokens/s; first text after %.2f s%s]\n",
                     stats.promptTokens, stats.reusedTokens, stats.promptSeconds > 0 ? processed / stats.promptSeconds : 0.0,
                     stats.generatedTokens, stats.generationSeconds > 0 ? stats.generatedTokens / stats.generationSeconds : 0.0,
                     stats.firstTokenSeconds, stats.droppedMessages ? "; oldest turns dropped to fit the context" : "");
        return true;
    };
    if (o.hasPrompt)
        return ask(o.prompt) ? 0 : 1;
    for (std::string line; std::fputs("> ", stderr), std::getline(std::cin, line);) {
        if (!line.empty() && !ask(line))
            return 1;
    }
    return 0;
}

} // namespace atelier::app

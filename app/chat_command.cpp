#include "chat_command.h"

#include "command_line.h"
#include "docs_command.h"

#include "cli_device.h"
#include "core/app_paths.h"
#include "docs/grounding.h"
#include "llm/chat_session.h"
#include "llm/language_model.h"
#include "llm/vision_encoder.h"
#include "picture_rgb.h"
#include "vk/device.h"

#include <cmath>
#include <cstdio>
#include <iostream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <utility>

namespace atelier::app {

namespace {

const char* kUsage =
    "usage: atelier chat [--model PATH] [--system TEXT] [--prompt TEXT] [--temp T] [--top-k K] [--top-p P]\n"
    "                    [--min-p P] [--repeat-penalty R] [--seed N] [--max-tokens N] [--ctx N]\n"
    "                    [--docs COLLECTION[,COLLECTION...] [--docs-k 5]] [--lora FILE[:SCALE] ...]\n"
    "                    [--image FILE ...] [--mmproj FILE]\n"
    "Without --prompt, reads one message per line from standard input. Without --model, uses the\n"
    "default model in the models folder. With --docs, each question is answered from the collections'\n"
    "best chunks (atelier docs), cited as [1], [2], ..., and the sources are listed after the answer.\n"
    "--lora applies a LoRA adapter in llama.cpp's GGUF format to the model, with a scale (default 1;\n"
    "0 leaves it out, negative subtracts it); repeat it for several.\n"
    "--image shows the model a picture with the first message (repeat it for several); the model then\n"
    "needs its vision projector: --mmproj, or an mmproj*.gguf of the right width next to the model.\n";

struct ChatOptions {
    std::string model, system, prompt;
    bool hasPrompt = false;
    llm::GenerationSettings settings;
    int context = 4096;
    QStringList docs; // collections to answer from
    int docsK = 5;
    std::vector<std::pair<std::string, float>> loras; // LoRA adapter files and their scales
    QStringList images;                               // pictures shown with the first message
    std::string projector;                            // the vision projector (mmproj GGUF)
};

// FILE or FILE:SCALE; a path may hold colons itself, so only a number after the last one is a scale.
Status readLora(const QString& value, ChatOptions& o)
{
    const qsizetype colon = value.lastIndexOf(u':');
    bool isNumber = false;
    const double scale = colon > 0 ? value.mid(colon + 1).toDouble(&isNumber) : 1.0;
    if (colon > 0 && isNumber && (!std::isfinite(scale) || std::abs(scale) > 100))
        return outOfRange("--lora", "a scale between -100 and 100", value.mid(colon + 1));
    const QString file = colon > 0 && isNumber ? value.left(colon) : value;
    if (file.isEmpty())
        return makeError(ErrorCode::InvalidArgument, "--lora needs a file");
    o.loras.emplace_back(file.toStdString(), isNumber ? float(scale) : 1.0f);
    return {};
}

// A sampling value in range: temperature 0 (greedy) to 100, top-k 0 (off) or more, top-p in (0, 1],
// min-p in [0, 1], a repeat penalty in (0, 100] (1: off).
Status readSampling(const std::string& key, const QString& value, llm::SamplingParams& s)
{
    if (key == "--top-k") {
        ATELIER_ASSIGN(s.topK, wholeNumber(key, value, 0, std::numeric_limits<int>::max()));
        return {};
    }
    ATELIER_ASSIGN(const double v, decimalNumber(key, value));
    if (key == "--temp") {
        if (v < 0 || v > 100)
            return outOfRange(key, "between 0 (greedy) and 100", value);
        s.temperature = float(v);
    } else if (key == "--top-p") {
        if (v <= 0 || v > 1)
            return outOfRange(key, "more than 0 and at most 1", value);
        s.topP = float(v);
    } else if (key == "--min-p") {
        if (v < 0 || v > 1)
            return outOfRange(key, "between 0 and 1", value);
        s.minP = float(v);
    } else {
        if (v <= 0 || v > 100)
            return outOfRange(key, "more than 0 and at most 100 (1: off)", value);
        s.repeatPenalty = float(v);
    }
    return {};
}

Status parse(const QStringList& args, ChatOptions& o)
{
    std::map<std::string, QString> values;
    for (int i = 0; i < args.size(); ++i) {
        const std::string key = args[i].toStdString();
        if (key.rfind("--", 0) != 0 || i + 1 >= args.size())
            return makeError(ErrorCode::InvalidArgument, "unexpected argument '" + key + "'");
        if (key == "--lora") // repeatable
            ATELIER_TRY(readLora(args[++i], o));
        else if (key == "--image") // repeatable
            o.images.append(args[++i]);
        else
            values[key] = args[++i];
    }
    constexpr long long kIntMax = std::numeric_limits<int>::max();
    for (const auto& [key, value] : values) {
        if (key == "--model") {
            o.model = value.toStdString();
        } else if (key == "--system") {
            o.system = value.toStdString();
        } else if (key == "--prompt") {
            o.prompt = value.toStdString();
            o.hasPrompt = true;
        } else if (key == "--temp" || key == "--top-k" || key == "--top-p" || key == "--min-p" ||
                   key == "--repeat-penalty") {
            ATELIER_TRY(readSampling(key, value, o.settings.sampling));
        } else if (key == "--seed") {
            ATELIER_ASSIGN(o.settings.sampling.seed, wholeNumber(key, value, 0));
        } else if (key == "--max-tokens") {
            ATELIER_ASSIGN(o.settings.maxTokens, wholeNumber(key, value, 1, kIntMax));
        } else if (key == "--docs") {
            o.docs = value.split(u',', Qt::SkipEmptyParts);
        } else if (key == "--docs-k") {
            ATELIER_ASSIGN(o.docsK, wholeNumber(key, value, 1, 50));
        } else if (key == "--mmproj") {
            o.projector = value.toStdString();
        } else if (key == "--ctx") {
            ATELIER_ASSIGN(o.context, wholeNumber(key, value, 1, kIntMax));
        } else {
            return makeError(ErrorCode::InvalidArgument, "unknown option " + key);
        }
    }
    return {};
}

} // namespace

int runChat(const QStringList& arguments, int deviceIndex, bool validation)
{
    ChatOptions o;
    o.settings.sampling.seed = std::random_device{}();
    if (arguments.contains("--help") || arguments.contains("-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (const Status parsed = parse(arguments, o); !parsed) {
        std::fprintf(stderr, "atelier chat: %s\n%s", parsed.error().message.c_str(), kUsage);
        return 2;
    }
    if (o.model.empty())
        o.model = (paths::modelsDir() + "/gemma-3-270m-q4_k_m.gguf").toStdString();
    std::unique_ptr<ChatDocuments> documents;
    if (!o.docs.isEmpty()) {
        auto opened = ChatDocuments::open(o.docs, o.docsK, deviceIndex, validation); // before the model: a wrong name fails at once
        if (!opened) {
            std::fprintf(stderr, "atelier chat: %s\n", opened.error().message.c_str());
            return 1;
        }
        documents = std::move(opened).value();
    }

    std::vector<llm::PictureRef> pictures; // read before the model loads: a bad file fails at once
    for (const QString& path : o.images) {
        auto picture = ui::loadRgbPicture(path);
        if (!picture) {
            std::fprintf(stderr, "atelier chat: %s\n", picture.error().message.c_str());
            return 1;
        }
        pictures.push_back(std::make_shared<const llm::RgbPicture>(std::move(picture).value()));
    }

    auto device = openCliDevice(deviceIndex, validation);
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
    std::unique_ptr<llm::VisionEncoder> vision;
    if (!pictures.empty() || !o.projector.empty()) {
        const std::string projector =
            o.projector.empty() ? llm::findVisionProjector(o.model, model.value()->config().architectureName, model.value()->config().dim) : o.projector;
        if (projector.empty()) {
            std::fprintf(stderr, "atelier chat: %s cannot read pictures: no vision projector (mmproj*.gguf) for it lies "
                                 "next to it; name one with --mmproj\n", o.model.c_str());
            return 1;
        }
        auto loaded = llm::VisionEncoder::load(*device.value(), projector);
        if (!loaded) {
            std::fprintf(stderr, "atelier chat: cannot load the vision projector %s: %s\n", projector.c_str(),
                         loaded.error().message.c_str());
            return 1;
        }
        vision = std::move(loaded).value();
        if (const Status s = session.setVision(vision.get()); !s) {
            std::fprintf(stderr, "atelier chat: %s: %s\n", projector.c_str(), s.error().message.c_str());
            return 1;
        }
        std::fprintf(stderr, "atelier chat: vision projector %s (%d embeddings a picture)\n", projector.c_str(),
                     vision->tokensPerPicture());
    }
    std::vector<llm::ActiveLora> adapters;
    for (const auto& [path, scale] : o.loras) {
        auto adapter = llm::LoraAdapter::load(*device.value(), path, model.value()->config(), model.value()->weights());
        if (!adapter) {
            std::fprintf(stderr, "atelier chat: cannot use the LoRA adapter %s: %s\n", path.c_str(),
                         adapter.error().message.c_str());
            return 1;
        }
        for (const std::string& skipped : adapter.value()->skipped())
            std::fprintf(stderr, "atelier chat: %s: left out %s\n", path.c_str(), skipped.c_str());
        std::fprintf(stderr, "atelier chat: LoRA %s at scale %g (%d weights)\n", path.c_str(), double(scale),
                     adapter.value()->pairCount());
        adapters.push_back({adapter.value(), scale});
    }
    if (const Status s = session.setAdapters(std::move(adapters)); !s) {
        std::fprintf(stderr, "atelier chat: %s\n", s.error().message.c_str());
        return 1;
    }
    if (session.templateError())
        std::fprintf(stderr, "atelier chat: the chat template of %s could not be read (%s): it continues the text\n",
                     o.model.c_str(), session.templateError()->message.c_str());
    else if (session.completesText())
        std::fprintf(stderr, "atelier chat: %s has no chat template (a base model): it continues the text\n",
                     o.model.c_str());

    auto ask = [&](const std::string& question) {
        std::string text = question;
        std::vector<docs::Hit> sources;
        if (documents) {
            auto grounded = documents->ground(QString::fromStdString(question), sources);
            if (!grounded) {
                std::fprintf(stderr, "atelier chat: %s\n", grounded.error().message.c_str());
                return false;
            }
            text = grounded->toStdString();
            if (sources.empty())
                std::fprintf(stderr, "atelier chat: nothing in the documents matches; answering without them\n");
        }
        llm::GenerationStats stats;
        auto answer = session.reply(text, o.settings, [](std::string_view piece) {
            std::fwrite(piece.data(), 1, piece.size(), stdout);
            std::fflush(stdout);
            return true;
        }, &stats, std::exchange(pictures, {}));
        std::fputc('\n', stdout);
        if (!sources.empty())
            std::printf("Sources:\n%s\n", qPrintable(docs::sourceList(sources)));
        std::fflush(stdout); // the answer's line ends before the stats' line starts, in one pipe too
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

#include "command_line.h"

#include <cmath>

namespace atelier::app {

CommandLine parseCommandLine(const QStringList& args)
{
    CommandLine cl;
    for (int i = 0; i < args.size(); ++i) {
        const QString& a = args[i];
        if (!cl.command.isEmpty()) {
            cl.arguments << a;
        } else if (a == "--device") {
            bool ok = false;
            cl.deviceIndex = i + 1 < args.size() ? args[i + 1].toInt(&ok) : -1;
            if (!ok || cl.deviceIndex < 0) {
                cl.error = "--device needs a device number (see `atelier devices`), got " +
                           (i + 1 < args.size() ? args[i + 1] : QStringLiteral("nothing"));
                return cl;
            }
            ++i;
        } else if (a == "--validation") {
            cl.validation = true;
        } else if (a == "--verbose" || a == "-v") {
            cl.verbose = true;
        } else if (a == "--version") {
            cl.command = "version";
        } else if (a == "--help" || a == "-h" || a == "help") {
            cl.command = "help";
        } else if (a.startsWith('-')) {
            // Qt's own options (-platform, -style ...) are for the window.
            if (a == "-platform" || a == "-style" || a == "-display")
                ++i;
        } else if (a == "devices" || a == "bench" || a == "chat" || a == "generate" || a == "inpaint" ||
                   a == "library" || a == "models" || a == "serve" || a == "docs" || a == "describe") {
            cl.command = a;
        } else {
            cl.error = "unknown command '" + a + "'";
            return cl;
        }
    }
    return cl;
}

QString usageText()
{
    return QStringLiteral(
        "Usage: atelier [--device N] [--validation] [--verbose] [COMMAND]\n"
        "\n"
        "Without a command, opens the Atelier window.\n"
        "\n"
        "Commands:\n"
        "  devices          list every Vulkan device and the capabilities Atelier uses\n"
        "  bench ops        time each GPU kernel at several sizes (median of runs)\n"
        "  bench llm --model PATH [--pp N] [--tg N] [--reps N]\n"
        "                   prompt and generation tokens/s of a GGUF model\n"
        "  bench sd --model PATH [--size N] [--iterations N] [--precision f16|f32]\n"
        "                   UNet iterations/s with CFG, text encoder and VAE times of a checkpoint\n"
        "  generate         make a picture from a prompt (atelier generate --help)\n"
        "  inpaint          repaint the masked area of a picture (atelier inpaint --help)\n"
        "  chat             talk to a language model (atelier chat --help)\n"
        "  describe --image FILE [--model GGUF] [--mmproj FILE]\n"
        "                   a picture's Stable Diffusion prompt, written by a vision model\n"
        "  library import FILE.png...\n"
        "                   copy pictures with A1111 parameters into the Library\n"
        "  models list|download NAME_OR_URL|verify [NAME...]|remove NAME\n"
        "                   the model catalogue: download (resumable, sha256 checked), check, delete\n"
        "  serve [--host 127.0.0.1] [--port 8080] [--api-key KEY] [--model GGUF] [--image-model FILE]\n"
        "        [--embedding-model GGUF]\n"
        "                   an OpenAI-compatible API for other programs (atelier serve --help)\n"
        "  docs add NAME PATH... | search NAME QUERY [--k 5] | list | skipped NAME | remove NAME\n"
        "                   document collections to chat with (atelier docs --help)\n"
        "  --version        print the version\n"
        "\n"
        "Environment:\n"
        "  ATELIER_DEVICE=N          use Vulkan device N\n"
        "  ATELIER_VK_VALIDATION=1   enable the Khronos validation layer\n"
        "  ATELIER_PROFILE=1         print GPU time per kernel after each job\n"
        "  ATELIER_DATA_DIR=PATH     keep models, pictures and the database in PATH\n"
        "  ATELIER_CATALOGUE=FILE    use this model catalogue instead of the built-in one\n");
}

Result<long long> wholeNumber(const std::string& option, const QString& text, long long min, long long max)
{
    bool ok = false;
    const long long value = text.trimmed().toLongLong(&ok);
    if (!ok)
        return makeError(ErrorCode::InvalidArgument, option + " needs a whole number, got " + text.toStdString());
    if (value < min || value > max) {
        const std::string range = max >= std::numeric_limits<int>::max()
                                      ? std::to_string(min) + " or more"
                                      : "between " + std::to_string(min) + " and " + std::to_string(max);
        return outOfRange(option, range, text);
    }
    return value;
}

Result<double> decimalNumber(const std::string& option, const QString& text)
{
    bool ok = false;
    const double value = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(value))
        return makeError(ErrorCode::InvalidArgument, option + " needs a number, got " + text.toStdString());
    return value;
}

Error outOfRange(const std::string& option, const std::string& what, const QString& text)
{
    return makeError(ErrorCode::InvalidArgument, option + " must be " + what + ", got " + text.toStdString());
}

} // namespace atelier::app

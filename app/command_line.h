#pragma once
// The `atelier` command line: global options, then an optional subcommand and its arguments.

#include "core/result.h"

#include <QStringList>

#include <limits>

namespace atelier::app {

struct CommandLine {
    QString command;        // "", "devices", "bench", "help", "version"
    QStringList arguments;  // what follows the command
    int deviceIndex = -1;   // --device N (else ATELIER_DEVICE)
    bool validation = false; // --validation (or ATELIER_VK_VALIDATION=1)
    bool verbose = false;    // --verbose: debug logging on the console
    QString error;           // set when the arguments cannot be understood
};

CommandLine parseCommandLine(const QStringList& args); // args without the program name
QString usageText();

// The number a command's option was given, refused with the option's name: "--steps needs a whole
// number, got abc", "--steps must be between 1 and 1000, got 0" (max past int's: "1 or more").
Result<long long> wholeNumber(const std::string& option, const QString& text,
                              long long min = std::numeric_limits<long long>::min(),
                              long long max = std::numeric_limits<long long>::max());
// A finite decimal number ("--cfg needs a number, got abc"); ranges are the caller's.
Result<double> decimalNumber(const std::string& option, const QString& text);
// "--top-p must be <what>, got <text>": an out-of-range value, named.
Error outOfRange(const std::string& option, const std::string& what, const QString& text);

} // namespace atelier::app

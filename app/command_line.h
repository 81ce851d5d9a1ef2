#pragma once
// The `atelier` command line: global options, then an optional subcommand and its arguments.

#include <QStringList>

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

} // namespace atelier::app

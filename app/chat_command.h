#pragma once
// `atelier chat`: talk to a GGUF model in the terminal (one --prompt, or a REPL).

#include <QStringList>

namespace atelier::app {

// arguments: what follows "chat"; deviceIndex/validation as for every command.
int runChat(const QStringList& arguments, int deviceIndex, bool validation);

} // namespace atelier::app

#pragma once
// `atelier serve`: the OpenAI-compatible API (server/) on the compute engine, without a window.

#include "engine/compute_engine.h"

#include <QStringList>

namespace atelier::app {

// arguments: what follows "serve"; options: the device the engine opens.
int runServe(int argc, char** argv, const QStringList& arguments, const engine::DeviceOptions& options);

} // namespace atelier::app

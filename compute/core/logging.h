#pragma once
// spdlog to the console (stderr) and to a rotating file in the app data folder.

#include <string>

namespace atelier {

// logDir empty: console only. verbose: debug level.
void setupLogging(const std::string& logDir, bool verbose);

} // namespace atelier
